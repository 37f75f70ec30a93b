/**
 * Scoring throughput: N stored requests (default 10,000) each answered by R miners (default all 256) of a
 * 256-miner subnet, scored by the validator's real `scoreDueRequests` (consensus, accuracy, one EMA step
 * over 257 uids and a RankingResult outbox row per participant, one transaction per request) on an SQLite
 * file (WAL, synchronous=FULL), then one `setWeights` on the in-memory chain. Beside it, the same
 * consensus + EMA maths alone in memory, to show what the store costs.
 * Run: `bun bench/validator-scoring.bench.ts [requests] [responses per request]`. Prints figures; asserts nothing.
 */
import { Effect, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as ChainMemory from "../src/adapters/chain/memory.ts"
import * as RequestLedgerSql from "../src/adapters/store/request-ledger-sql.ts"
import * as ScoreLedgerSql from "../src/adapters/store/score-ledger-sql.ts"
import { SqlLive } from "../src/adapters/store/sql-client.ts"
import { keypairFromUri } from "../src/adapters/wallet/sr25519.ts"
import { layerDev } from "../src/adapters/wallet/wallet-fs.ts"
import { accuracyMultiplier } from "../src/domain/scoring/accuracy.ts"
import { computeConsensus, toRankingResult } from "../src/domain/scoring/consensus.ts"
import { updateScores, type UidScore } from "../src/domain/scoring/moving-average.ts"
import { makeRng } from "../src/domain/prng.ts"
import type { RankingRequest } from "../src/domain/wire/protocol.ts"
import { scoreDueRequests } from "../src/pipeline/validator/score-due-requests.ts"
import { setWeights } from "../src/pipeline/validator/set-weights.ts"
import { defaultValidatorSettings, ValidatorSettings } from "../src/pipeline/validator/settings.ts"
import { RequestLedger, type StoredResponse } from "../src/services/request-ledger.ts"
import { ScoreLedger } from "../src/services/score-ledger.ts"
import { Netuid } from "../src/domain/chain/ids.ts"

const REQUESTS = Number(process.argv[2] ?? 10_000)
const RESPONSES = Number(process.argv[3] ?? 256)
const MINERS = 256
const NETUID = Netuid.make(1)
const CIDS = ["c1", "c2", "c3", "c4"]

const validator = keypairFromUri("//Alice//hot")
const minerHotkey = (i: number) => `5BenchMiner${i.toString().padStart(4, "0")}`
const neurons = [
  { hotkey: validator.ss58Address, coldkey: keypairFromUri("//Alice").ss58Address, stake: 10_000, validatorPermit: true },
  ...Array.from({ length: MINERS }, (_, i) => ({
    hotkey: minerHotkey(i),
    coldkey: `5BenchCold${i}`,
    axon: { ip: "127.0.0.2", port: 10_000 + i }
  }))
]

const dir = mkdtempSync(join(tmpdir(), "dojo-bench-scoring-"))
const file = join(dir, "validator.sqlite")

/** Milliseconds spent in each store operation during scoring (the store wrapped with timers). */
const spent = new Map<string, { ms: number; calls: number }>()
const timed = <A, E, R>(name: string, effect: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    const start = performance.now()
    return Effect.ensuring(
      effect,
      Effect.sync(() => {
        const t = spent.get(name) ?? { ms: 0, calls: 0 }
        spent.set(name, { ms: t.ms + performance.now() - start, calls: t.calls + 1 })
      })
    )
  })
const timedLedger = Layer.effect(
  RequestLedger,
  Effect.map(RequestLedger, (s) => ({
    ...s,
    dueRequests: (now: number, limit: number) => timed("dueRequests", s.dueRequests(now, limit)),
    accuracyCounts: (since: number) => timed("accuracyCounts", s.accuracyCounts(since)),
    recordScoring: (input: Parameters<typeof s.recordScoring>[0]) => timed("recordScoring", s.recordScoring(input))
  }))
).pipe(Layer.provide(RequestLedgerSql.layer))
const timedScores = Layer.effect(
  ScoreLedger,
  Effect.map(ScoreLedger, (s) => ({ ...s, loadScores: timed("loadScores", s.loadScores) }))
).pipe(Layer.provide(ScoreLedgerSql.layer))
const timedStore = Layer.merge(timedLedger, timedScores).pipe(Layer.provide(SqlLive({ _tag: "sqlite", filename: file })))

const layers = Layer.mergeAll(
  ChainMemory.layer({
    subnets: [{ netuid: NETUID, neurons, hyperparameters: { maxAllowedUids: MINERS + 1, weightsRateLimit: 0, maxAllowedValidators: 64 } }]
  }),
  layerDev("//Alice"),
  timedStore,
  Layer.succeed(ValidatorSettings, { ...defaultValidatorSettings, netuid: NETUID, deadlineSeconds: 0 }),
  Logger.minimumLogLevel(LogLevel.Warning)
)
const runtime = ManagedRuntime.make(layers)
const run = <A, E>(effect: Effect.Effect<A, E, ManagedRuntime.ManagedRuntime.Context<typeof runtime>>) => runtime.runPromise(effect)

const request = (id: string): RankingRequest => ({
  epoch_timestamp: 1_718_000_000.5,
  request_id: id,
  prompt: `Explain why the sky looks blue, briefly (${id}).`,
  n_completions: CIDS.length,
  completions: CIDS.map((cid) => ({ cid, text: `completion ${cid}: ${"a plausible answer ".repeat(12)}` })),
  ranks: [],
  scoring_method: null,
  model_config: null,
  mturk_hit_id: null,
  modality: "text"
})

/** R miners chosen at random answer with noisy versions of a hidden true order. */
const responsesFor = (i: number): StoredResponse[] => {
  const rng = makeRng(`bench-${i}`)
  const truth = CIDS.map(() => rng())
  const uids = Array.from({ length: MINERS }, (_, u) => u)
  for (let k = uids.length - 1; k > 0; k--) {
    const j = Math.floor(rng() * (k + 1))
    ;[uids[k], uids[j]] = [uids[j]!, uids[k]!]
  }
  return uids.slice(0, RESPONSES).map((u) => ({
    hotkey: minerHotkey(u),
    uid: u + 1,
    scoringMethod: "hf_model",
    modelConfig: { provider: null, model_name: "bench-model" },
    ranks: CIDS.map((cid, c) => ({ cid, score: Math.min(1, Math.max(0, truth[c]! + (rng() - 0.5) * (u / MINERS))) })),
    mturkHitId: null,
    humanVerified: false,
    source: "axon",
    receivedAt: 1_700_000_000 + i
  }))
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US")
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

console.log(`validator scoring: ${fmt(REQUESTS)} requests × ${RESPONSES} responses, ${MINERS} miners (+1 validator), SQLite file ${file}`)

try {
  // 1. Build the data with the store's own saveRequest (one transaction per request, as the query step does).
  const buildStart = performance.now()
  const data: Array<{ request: RankingRequest; responses: StoredResponse[]; evaluation: boolean }> = []
  for (let i = 0; i < REQUESTS; i++) {
    const responses = responsesFor(i)
    const evaluation = i % 4 === 0
    data.push({ request: request(`req-${i.toString().padStart(6, "0")}`), responses, evaluation })
    await run(
      Effect.flatMap(RequestLedger, (s) =>
        s.saveRequest({
          request: data[i]!.request,
          kind: evaluation ? "evaluation" : "seed",
          ...(evaluation ? { evaluation: { chosenCid: "c1", rejectedCid: "c2" } } : {}),
          createdAt: 1_700_000_000 + i,
          deadlineAt: 1_700_000_000 + i,
          responses
        })
      )
    )
    if ((i + 1) % 500 === 0 || i + 1 === REQUESTS)
      process.stdout.write(`\r  building: ${fmt(i + 1)}/${fmt(REQUESTS)} requests saved (${fmt(((i + 1) * 1000) / (performance.now() - buildStart))}/s)`)
  }
  console.log(`\n  built in ${seconds(performance.now() - buildStart)}; store ${fmt(statSync(file).size / 1e6)} MB`)

  // 2. Score everything with the real step (100 requests per pass, as the scoring loop does).
  spent.clear()
  const scoreStart = performance.now()
  let scored = 0
  let mark = { at: scoreStart, scored: 0, accuracyMs: 0 }
  for (;;) {
    const n = await run(scoreDueRequests())
    if (n === 0) break
    scored += n
    if (scored % 1000 === 0 || scored === REQUESTS) {
      // The rate of the last stretch shows how scoring slows as the store fills.
      const now = performance.now()
      const accuracyMs = spent.get("accuracyCounts")?.ms ?? 0
      console.log(
        `  scoring: ${fmt(scored)}/${fmt(REQUESTS)}: last ${fmt(scored - mark.scored)} at ${fmt(((scored - mark.scored) * 1000) / (now - mark.at))} requests/s ` +
          `(accuracyCounts ${((accuracyMs - mark.accuracyMs) / (scored - mark.scored)).toFixed(1)} ms per request)`
      )
      mark = { at: now, scored, accuracyMs }
    }
  }
  const scoreMs = performance.now() - scoreStart

  // 3. Weights from the resulting EMA vector, on the in-memory chain.
  const weightsStart = performance.now()
  const outcome = await run(setWeights())
  const weightsMs = performance.now() - weightsStart

  // 4. The same maths in memory only (consensus + accuracy + EMA), no store.
  const mathStart = performance.now()
  let scores: ReadonlyArray<UidScore> = []
  const counts = new Map<string, { correct: number; answered: number }>()
  const metagraphNeurons = neurons.map((n, uid) => ({ uid, hotkey: n.hotkey }))
  for (const d of data) {
    const consensus = computeConsensus({
      cids: CIDS,
      responses: d.responses.map((r) => ({ hotkey: r.hotkey, scoringMethod: r.scoringMethod, humanVerified: false, ranks: r.ranks })),
      accuracy: (h) => accuracyMultiplier(counts.get(h)?.correct ?? 0, counts.get(h)?.answered ?? 0)
    })
    const result = toRankingResult(d.request.request_id, consensus)
    scores = updateScores({ previous: scores, neurons: metagraphNeurons, rewards: new Map(Object.entries(result.hotkey_to_score)), alpha: 0.3 })
    if (d.evaluation)
      for (const r of d.responses) {
        const c = counts.get(r.hotkey) ?? { correct: 0, answered: 0 }
        const s = new Map(r.ranks.map((x) => [x.cid, x.score]))
        counts.set(r.hotkey, { correct: c.correct + ((s.get("c1") ?? 0) > (s.get("c2") ?? 0) ? 1 : 0), answered: c.answered + 1 })
      }
  }
  const mathMs = performance.now() - mathStart

  console.log(`\nresults (${REQUESTS} requests × ${RESPONSES} responses, ${MINERS + 1} uids):`)
  console.log(`  scoreDueRequests (store + maths)  ${seconds(scoreMs).padStart(9)}  ${fmt((scored * 1000) / scoreMs).padStart(8)} requests/s  (${fmt((scored * RESPONSES * 1000) / scoreMs)} responses/s)`)
  console.log(`  maths alone (in memory)           ${seconds(mathMs).padStart(9)}  ${fmt((REQUESTS * 1000) / mathMs).padStart(8)} requests/s`)
  console.log(`  setWeights (${MINERS + 1} uids)            ${`${weightsMs.toFixed(1)} ms`.padStart(9)}  ${outcome._tag}${outcome._tag === "Set" ? `: ${outcome.uids.length} non-zero weights` : ` (${outcome.reason})`}`)
  console.log(`  total (scoring + weights)         ${seconds(scoreMs + weightsMs).padStart(9)}  ${fmt((scored * 1000) / (scoreMs + weightsMs)).padStart(8)} requests/s`)
  const inStore = [...spent.values()].reduce((a, t) => a + t.ms, 0)
  console.log(`  of the scoring time, in store calls: ${[...spent].map(([k, t]) => `${k} ${seconds(t.ms)} (${fmt(t.calls)} calls)`).join(", ")}; the rest ${seconds(scoreMs - inStore)}`)
  console.log(`  store afterwards: ${fmt(statSync(file).size / 1e6)} MB (outbox: ${fmt(scored * RESPONSES)} delivery rows)`)
} finally {
  await runtime.dispose()
  rmSync(dir, { recursive: true, force: true })
}
