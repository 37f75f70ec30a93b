/**
 * The live PreferenceData layer: a seed source and one or more evaluation sources, each named by a
 * spec — a JSONL path (`data/pairs.jsonl`, `jsonl:…`) or a Hugging Face dataset (`hf:Anthropic/hh-rlhf`,
 * `hf:org/name?config=c&split=s&mapping=prompt=q,chosen=a,rejected=b`).
 */
import { FetchHttpClient, type FileSystem, type HttpClient } from "@effect/platform"
import { Effect, Layer, Random, type Redacted } from "effect"
import { mappingFor, parseMapping } from "../../domain/data/preference-datasets.ts"
import { PreferenceData, PreferenceDataError, type PreferenceSource } from "../../services/preference-data.ts"
import { hfRowsSource } from "./preference-hf-rows.ts"
import { jsonlSource } from "./preference-jsonl.ts"

export interface PreferenceDataOptions {
  readonly seed: string
  readonly evaluation: ReadonlyArray<string>
  readonly datasetsServerUrl?: string
  readonly hfToken?: Redacted.Redacted<string> | undefined
}

/** Builds one source from its spec. */
export const sourceFromSpec = (
  spec: string,
  options: Pick<PreferenceDataOptions, "datasetsServerUrl" | "hfToken"> = {}
): Effect.Effect<PreferenceSource, PreferenceDataError, FileSystem.FileSystem | HttpClient.HttpClient> => {
  if (!spec.startsWith("hf:")) return jsonlSource(spec.replace(/^jsonl:/, ""))
  const url = new URL(`x://${spec.slice(3)}`)
  const dataset = `${url.host}${url.pathname}`
  const mappingSpec = url.searchParams.get("mapping")
  const mapping = mappingSpec === null ? mappingFor(dataset) : parseMapping(mappingSpec)
  if (mapping === undefined || mapping === null)
    return Effect.fail(
      new PreferenceDataError({
        source: spec,
        message: `no row mapping for ${dataset}: add ?mapping=prompt=FIELD,chosen=FIELD,rejected=FIELD (or prompt=FIELD,completions=FIELD)`
      })
    )
  const config = url.searchParams.get("config")
  const split = url.searchParams.get("split")
  return hfRowsSource({
    dataset,
    mapping,
    ...(config === null ? {} : { config }),
    ...(split === null ? {} : { split }),
    ...(options.datasetsServerUrl === undefined ? {} : { baseUrl: options.datasetsServerUrl }),
    token: options.hfToken
  })
}

/** Picks one of several sources at random for each item, so no dataset's position is predictable. */
const mixed = (sources: ReadonlyArray<PreferenceSource>): PreferenceSource => ({
  name: sources.map((s) => s.name).join("+"),
  next: Random.nextIntBetween(0, sources.length).pipe(Effect.flatMap((i) => sources[i]!.next))
})

/** The live layer (HTTP through fetch). */
export const layer = (options: PreferenceDataOptions): Layer.Layer<PreferenceData, PreferenceDataError, FileSystem.FileSystem> =>
  Layer.effect(
    PreferenceData,
    Effect.gen(function* () {
      if (options.evaluation.length === 0)
        return yield* new PreferenceDataError({ source: "evaluation", message: "at least one evaluation source is needed" })
      const seed = yield* sourceFromSpec(options.seed, options)
      const evaluation = yield* Effect.forEach(options.evaluation, (spec) => sourceFromSpec(spec, options))
      return { seed, evaluation: mixed(evaluation) }
    })
  ).pipe(Layer.provide(FetchHttpClient.layer))
