/**
 * Exports the validator's scored requests as the open preference dataset: reads them from the store
 * (oldest first), turns each into a dataset row (see `domain/data/preference-dataset.ts`), and writes
 * `data/train.jsonl`, `data/train.parquet`, `pairs.jsonl` (reward-model format) and the card `README.md`.
 */
import { Effect, Option } from "effect"
import { datasetCard } from "../domain/data/dataset-card.ts"
import { type DatasetRow, datasetRow, rowPreferencePairs } from "../domain/data/preference-dataset.ts"
import { DatasetSink } from "../services/dataset-sink.ts"
import { DashboardReadModel } from "../services/dashboard-read-model.ts"
import { type RequestKind, RequestLedger } from "../services/request-ledger.ts"
import { nowSeconds } from "./clock.ts"

/** What to export and how to describe it. */
export interface ExportOptions {
  /** Only requests created at or after this unix time. */
  readonly since?: number | undefined
  /** Request kinds to include (default elsewhere: `seed` only). */
  readonly kinds: ReadonlyArray<RequestKind>
  readonly formats: { readonly jsonl: boolean; readonly parquet: boolean }
  readonly license: string
  readonly prettyName: string
  readonly netuid?: number | undefined
  /** Called every `progressEvery` requests read, and once at the end. */
  readonly onProgress?: (done: number, total: number) => Effect.Effect<void>
  readonly progressEvery?: number
}

/** Why requests in the store gave no row. */
export interface SkipCounts {
  /** Not scored yet. */
  readonly pending: number
  /** A kind not asked for. */
  readonly kind: number
  /** Created before `since`. */
  readonly beforeSince: number
  readonly fewerThanTwoScored: number
  readonly allTied: number
}

/** The rows and what was left out. */
export interface CollectedDataset {
  readonly rows: ReadonlyArray<DatasetRow>
  /** Requests in the store when the export began. */
  readonly scanned: number
  readonly skipped: SkipCounts
}

/** What an export wrote. */
export interface ExportSummary extends CollectedDataset {
  readonly pairs: number
  readonly completions: number
  /** Relative paths with their sizes in bytes, in writing order. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly bytes: number }>
}

/** Reads every matching scored request from the store and builds its row, oldest first. */
export const collectDataset = Effect.fn("DatasetExport.collect")(function* (options: ExportOptions) {
  const store = yield* RequestLedger
  const readModel = yield* DashboardReadModel
  const stats = yield* readModel.stats
  // Newest first from the store; the dataset runs oldest first.
  const recent = [...(yield* readModel.recentRequests(Math.max(1, stats.requests)))].reverse()
  const kinds = new Set(options.kinds)
  const since = options.since ?? Number.NEGATIVE_INFINITY
  const skipped = { pending: 0, kind: 0, beforeSince: 0, fewerThanTwoScored: 0, allTied: 0 }
  const wanted = recent.filter((r) => {
    const reason =
      r.createdAt < since ? "beforeSince" : !kinds.has(r.kind) ? "kind" : r.status !== "scored" ? "pending" : undefined
    if (reason !== undefined) skipped[reason]++
    return reason === undefined
  })
  const every = Math.max(1, options.progressEvery ?? 1000)
  const rows: Array<DatasetRow> = []
  let done = 0
  for (const line of wanted) {
    const stored = yield* store.getRequest(line.requestId)
    if (Option.isSome(stored) && stored.value.result !== undefined) {
      const outcome = datasetRow({
        request: stored.value.request,
        result: stored.value.result,
        createdAt: stored.value.createdAt,
        scoredAt: stored.value.result.scoredAt
      })
      if (outcome._tag === "Row") rows.push(outcome.row)
      else if (outcome.reason === "all-tied") skipped.allTied++
      else skipped.fewerThanTwoScored++
    }
    done++
    if (options.onProgress && done % every === 0) yield* options.onProgress(done, wanted.length)
  }
  if (options.onProgress) yield* options.onProgress(done, wanted.length)
  return { rows, scanned: recent.length, skipped } satisfies CollectedDataset
})

/** Collects the dataset and writes its files and card through `DatasetSink`. */
export const exportDataset = Effect.fn("DatasetExport.export")(function* (options: ExportOptions) {
  const sink = yield* DatasetSink
  const collected = yield* collectDataset(options)
  const { rows } = collected
  const files: Array<{ path: string; bytes: number }> = []
  if (options.formats.jsonl) files.push({ path: "data/train.jsonl", bytes: yield* sink.writeJsonl("data/train.jsonl", rows) })
  if (options.formats.parquet) files.push({ path: "data/train.parquet", bytes: yield* sink.writeParquet("data/train.parquet", rows) })
  const pairs = rows.flatMap(rowPreferencePairs)
  files.push({ path: "pairs.jsonl", bytes: yield* sink.writeJsonl("pairs.jsonl", pairs) })
  const completions = rows.reduce((n, r) => n + r.completions.length, 0)
  const card = datasetCard({
    prettyName: options.prettyName,
    license: options.license,
    rows: rows.length,
    pairs: pairs.length,
    completions,
    firstCreatedAt: rows[0]?.created_at,
    lastCreatedAt: rows[rows.length - 1]?.created_at,
    exportedAt: yield* nowSeconds,
    kinds: options.kinds,
    formats: options.formats,
    netuid: options.netuid
  })
  files.push({ path: "README.md", bytes: yield* sink.writeText("README.md", card) })
  return { ...collected, pairs: pairs.length, completions, files } satisfies ExportSummary
})
