/**
 * Store throughput with the real transaction boundaries: `saveRequest` with 10 responses per request
 * (one transaction each), sequential and 8 at a time, then `recordScoring` (256-uid EMA vector, 10
 * outcomes, 10 deliveries per request) and `dueRequests`. On an SQLite file (WAL, synchronous=FULL)
 * and on PostgreSQL (the system's server with fsync off, or PGlite with DOJO_TEST_PG=pglite).
 * Run: `bun bench/store.bench.ts [requests]`. Prints figures; asserts nothing.
 */
import { Effect, ManagedRuntime, Redacted } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { StoreConfig } from "../src/adapters/store/sql-client.ts"
import * as ValidatorStoreSql from "../src/adapters/store/validator-store.ts"
import type { RankingRequest } from "../src/domain/wire/protocol.ts"
import { DashboardReadModel } from "../src/services/dashboard-read-model.ts"
import { RequestLedger, type StoredResponse } from "../src/services/request-ledger.ts"
import { startPostgres } from "../test/support/postgres.ts"

const requests = Number(process.argv[2] ?? 400)
const responsesPerRequest = 10
const cids = ["c1", "c2", "c3", "c4"]

const request = (id: string): RankingRequest => ({
  epoch_timestamp: 1_700_000_000.5,
  request_id: id,
  prompt: `Explain, in two paragraphs, why the sky looks blue (${id}).`,
  n_completions: cids.length,
  completions: cids.map((cid) => ({ cid, text: `completion ${cid} `.repeat(40) })),
  ranks: [],
  scoring_method: null,
  model_config: null,
  mturk_hit_id: null,
  modality: "text"
})

const responses: ReadonlyArray<StoredResponse> = Array.from({ length: responsesPerRequest }, (_, i) => ({
  hotkey: `5Miner${i.toString().padStart(3, "0")}`,
  uid: i,
  scoringMethod: "hf_model",
  modelConfig: { provider: null, model_name: "OpenAssistant/reward-model-deberta-v3-large-v2" },
  ranks: cids.map((cid, j) => ({ cid, score: Math.sin(i * 7 + j) })),
  mturkHitId: null,
  humanVerified: false,
  source: "axon",
  receivedAt: 1_700_000_001 + i
}))

const scores = Array.from({ length: 256 }, (_, uid) => ({ uid, hotkey: `5Hot${uid}`, score: Math.random() }))

const rate = (n: number, ms: number) => `${Math.round((n * 1000) / ms).toLocaleString("en-US")}/s`

const measure = async (label: string, config: StoreConfig) => {
  const runtime = ManagedRuntime.make(ValidatorStoreSql.layer(config))
  const run = <A, E>(effect: Effect.Effect<A, E, ValidatorStoreSql.ValidatorStores>) => runtime.runPromise(effect)
  const save = (id: string) =>
    Effect.flatMap(RequestLedger, (s) =>
      s.saveRequest({ request: request(id), kind: "seed", createdAt: 1, deadlineAt: 2, responses })
    )
  try {
    await run(Effect.forEach(Array.from({ length: 20 }, (_, i) => `warm-${i}`), save)) // warm-up

    let t = performance.now()
    await run(Effect.forEach(Array.from({ length: requests }, (_, i) => `seq-${i}`), save))
    const sequential = performance.now() - t

    t = performance.now()
    await run(Effect.forEach(Array.from({ length: requests }, (_, i) => `par-${i}`), save, { concurrency: 8 }))
    const concurrent = performance.now() - t

    t = performance.now()
    await run(
      Effect.forEach(Array.from({ length: requests }, (_, i) => `seq-${i}`), (id) =>
        Effect.flatMap(RequestLedger, (s) =>
          s.recordScoring({
            requestId: id,
            result: { request_id: id, cid_to_consensus: { c1: 0.5, c2: 0.25 }, hotkey_to_score: { a: 1 } },
            scores,
            accuracyOutcomes: responses.map((r) => ({ hotkey: r.hotkey, outcome: "correct" as const })),
            deliverTo: responses.map((r, i) => ({ hotkey: r.hotkey, ip: "127.0.0.2", port: 9000 + i })),
            scoredAt: 3
          })
        )
      )
    )
    const scoring = performance.now() - t

    t = performance.now()
    const due = await run(Effect.flatMap(RequestLedger, (s) => s.dueRequests(10, 100)))
    const dueMs = performance.now() - t
    const stats = await run(Effect.flatMap(DashboardReadModel, (s) => s.stats))

    console.log(
      [
        `${label}:`,
        `  saveRequest (10 responses, 1 tx), sequential: ${rate(requests, sequential)} requests, ${rate(requests * responsesPerRequest, sequential)} responses`,
        `  saveRequest, 8 concurrent:                     ${rate(requests, concurrent)} requests, ${rate(requests * responsesPerRequest, concurrent)} responses`,
        `  recordScoring (256 scores, 10 outcomes, 10 deliveries, 1 tx): ${rate(requests, scoring)}`,
        `  dueRequests(limit 100, ${due.length} due with ${due.length * responsesPerRequest} responses): ${dueMs.toFixed(1)} ms`,
        `  store size after ${stats.requests} requests / ${stats.responses} responses: ${(stats.storeBytes / 1024 / 1024).toFixed(1)} MiB`
      ].join("\n")
    )
  } finally {
    await runtime.dispose()
  }
}

const dir = mkdtempSync(join(tmpdir(), "dojo-store-bench-"))
try {
  await measure("SQLite file (WAL, synchronous=FULL)", { _tag: "sqlite", filename: join(dir, "bench.sqlite") })
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const pg = await startPostgres()
try {
  const what = pg.kind === "system" ? "PostgreSQL (system server, fsync=off)" : `PostgreSQL (${pg.kind})`
  await measure(`${what}, pool of 8`, { _tag: "postgres", url: Redacted.make(pg.url), maxConnections: 8 })
} finally {
  await pg.stop()
}
