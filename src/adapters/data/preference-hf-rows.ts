/**
 * A PreferenceSource over the Hugging Face datasets-server rows API
 * (`GET {base}/rows?dataset=…&config=…&split=…&offset=…&length=…`), read page by page in order and
 * cycled at the end, so any public dataset works given a row mapping.
 */
import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Effect, Redacted, Ref, Schedule, Schema } from "effect"
import { mapRow, type RowMapping } from "../../domain/data/preference-datasets.ts"
import type { PreferenceItem } from "../../domain/data/preference-item.ts"
import { PreferenceDataError, type PreferenceSource } from "../../services/preference-data.ts"

/** Public datasets-server endpoint. */
export const DATASETS_SERVER_URL = "https://datasets-server.huggingface.co"
/** The API's largest page. */
const PAGE = 100

const RowsPage = Schema.Struct({
  rows: Schema.Array(Schema.Struct({ row_idx: Schema.Number, row: Schema.Record({ key: Schema.String, value: Schema.Unknown }) })),
  num_rows_total: Schema.Number
})

export interface HfRowsOptions {
  readonly dataset: string
  readonly mapping: RowMapping
  readonly config?: string
  readonly split?: string
  readonly baseUrl?: string
  readonly token?: Redacted.Redacted<string> | undefined
}

/** A cycling source over one dataset split. Network errors are retried briefly, then reported. */
export const hfRowsSource = Effect.fn("PreferenceData.hfRowsSource")(function* (options: HfRowsOptions) {
  const client = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk)
  const base = options.baseUrl ?? DATASETS_SERVER_URL
  const name = `hf:${options.dataset}`
  const state = yield* Ref.make<{ offset: number; buffer: PreferenceItem[] }>({ offset: 0, buffer: [] })
  const fail = (message: string) => new PreferenceDataError({ source: name, message })

  const fetchPage = (offset: number) =>
    HttpClientRequest.get(`${base}/rows`).pipe(
      HttpClientRequest.setUrlParams({
        dataset: options.dataset,
        config: options.config ?? "default",
        split: options.split ?? "train",
        offset: String(offset),
        length: String(PAGE)
      }),
      options.token ? HttpClientRequest.bearerToken(Redacted.value(options.token)) : (r) => r,
      client.execute,
      Effect.flatMap(HttpClientResponse.schemaBodyJson(RowsPage)),
      Effect.scoped,
      Effect.timeout("20 seconds"),
      Effect.retry(Schedule.exponential("500 millis").pipe(Schedule.intersect(Schedule.recurs(2)))),
      Effect.mapError((e) => fail(`rows API at ${base} failed for ${options.dataset} at offset ${offset}: ${e.message}`))
    )

  // Refill from the next pages until something fits; a whole pass with nothing usable is an error.
  const refill: Effect.Effect<void, PreferenceDataError> = Effect.gen(function* () {
    let { offset } = yield* Ref.get(state)
    let wrapped = false
    for (;;) {
      const page = yield* fetchPage(offset)
      const items = page.rows.flatMap((r) => {
        const item = mapRow(options.mapping, `${options.dataset}#${r.row_idx}`, r.row as Record<string, unknown>)
        return item === null ? [] : [item]
      })
      offset += page.rows.length
      if (page.rows.length === 0 || offset >= page.num_rows_total) {
        if (wrapped && items.length === 0) return yield* fail(`no row of ${options.dataset} fits its mapping`)
        wrapped = true
        offset = 0
      }
      if (items.length > 0) return yield* Ref.set(state, { offset, buffer: items })
    }
  })

  const next = Effect.gen(function* () {
    if ((yield* Ref.get(state)).buffer.length === 0) yield* refill
    return yield* Ref.modify(state, (s) => [s.buffer[0]!, { ...s, buffer: s.buffer.slice(1) }])
  })
  return { name, next } satisfies PreferenceSource
})
