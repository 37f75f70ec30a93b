/**
 * A validator process for the crash test: `bun test/support/validator-harness.ts <config.json>`.
 *
 * It runs the validator's real steps — queryStep (real dendrite to the test's miner axons), then
 * scoreDueRequests, deliverResults and setWeights — in rounds against an SQLite FILE store, until the
 * store holds `requests` requests, all scored and delivered, and weights are set; then it prints
 * `@@ DONE {"weights": …}` and exits. Killed at any moment and started again, it resumes from the store.
 *
 * What makes a restarted run end in exactly the state of an uninterrupted one:
 *  - the in-memory chain is seeded identically on every start (same uids and hotkeys);
 *  - step k (k = requests already stored) runs with the seeded request randomness, Random seeded `<seed>-k`, so the request id, cids,
 *    order, miner sample and evaluation choice of request k never depend on earlier crashes;
 *  - the preference streams are advanced past the items the stored requests used (per kind);
 *  - scoring goes by creation order, and the accuracy window is made long enough (1e9 s) that no run
 *    straddles a window boundary (a boundary would rightly reset accuracy between two runs).
 *
 * `delays` put latency before each commit (save, scoring, set_weights), like a slow disk or a block
 * time, so a kill can land while a step is under way. `@@ PHASE <name> {…}` lines tell the test where
 * the process is; the validator's own logs (logfmt) follow on stdout.
 */
import { BunContext } from "@effect/platform-bun"
import { Effect, Layer, Logger, LogLevel, Random } from "effect"
import { readFileSync } from "node:fs"
import * as ChainMemory from "../../src/adapters/chain/memory.ts"
import * as DendriteLive from "../../src/adapters/dendrite/dendrite.ts"
import * as PreferenceDataLive from "../../src/adapters/data/preference-data.ts"
import * as RequestRandomnessLive from "../../src/adapters/request-randomness.ts"
import * as ApiKeyStoreSql from "../../src/adapters/store/api-key-store-sql.ts"
import * as DashboardReadModelSql from "../../src/adapters/store/dashboard-read-model-sql.ts"
import * as RequestLedgerSql from "../../src/adapters/store/request-ledger-sql.ts"
import * as ScoreLedgerSql from "../../src/adapters/store/score-ledger-sql.ts"
import { SqlLive } from "../../src/adapters/store/sql-client.ts"
import { layerDev } from "../../src/adapters/wallet/wallet-fs.ts"
import { rewardRule } from "../../src/domain/scoring/reward-rule.ts"
import { deliverResults } from "../../src/pipeline/validator/deliver-results.ts"
import { queryStep } from "../../src/pipeline/validator/query-step.ts"
import { scoreDueRequests } from "../../src/pipeline/validator/score-due-requests.ts"
import { setWeights } from "../../src/pipeline/validator/set-weights.ts"
import { ValidatorSettings } from "../../src/pipeline/validator/settings.ts"
import { Chain } from "../../src/services/chain.ts"
import { PreferenceData } from "../../src/services/preference-data.ts"
import { RequestLedger } from "../../src/services/request-ledger.ts"
import { allStores } from "./validator-stores.ts"
import { NETUID, testValidatorSettings, VALIDATOR_WALLET, validatorKey, worldChain } from "./validator-world.ts"
import { Uid } from "../../src/domain/chain/ids.ts"

/** What the harness is told to do. */
export interface HarnessConfig {
  /** SQLite file of the store. */
  readonly store: string
  /** The miners' axons, uid 1, 2, … in this order. */
  readonly miners: ReadonlyArray<{ readonly hotkey: string; readonly ip: string; readonly port: number }>
  readonly seedPath: string
  readonly evaluationPath: string
  /** Requests to create in all. */
  readonly requests: number
  /** Query steps per round (then one scoring, delivery and weights pass). */
  readonly perRound: number
  readonly seed: string
  readonly evaluationRate: number
  /** Milliseconds slept before each commit. */
  readonly delays: { readonly saveMs: number; readonly scoreMs: number; readonly weightsMs: number }
}

/** The marker line prefix. */
export const MARKER = "@@"

const started = performance.now()
const marker = (name: string, data: Record<string, unknown> = {}) =>
  Effect.sync(() => console.log(`${MARKER} ${name} ${JSON.stringify({ ...data, ms: Math.round(performance.now() - started) })}`))

/** The validator's layers for `config`, with latency before each commit. */
const harnessLayers = (config: HarnessConfig) => {
  const chain = ChainMemory.layer(
    worldChain(config.miners.map((m) => ({ hotkey: m.hotkey, axon: { ip: m.ip, port: m.port } })), { weightsRateLimit: 0 })
  )
  const slowChain = Layer.effect(
    Chain,
    Effect.map(Chain, (c) => ({
      ...c,
      setWeights: (...args: Parameters<typeof c.setWeights>) => Effect.zipRight(Effect.sleep(config.delays.weightsMs), c.setWeights(...args))
    }))
  ).pipe(Layer.provide(chain))
  const slowLedger = Layer.effect(
    RequestLedger,
    Effect.map(RequestLedger, (s) => ({
      ...s,
      saveRequest: (input: Parameters<typeof s.saveRequest>[0]) => Effect.zipRight(Effect.sleep(config.delays.saveMs), s.saveRequest(input)),
      recordScoring: (input: Parameters<typeof s.recordScoring>[0]) => Effect.zipRight(Effect.sleep(config.delays.scoreMs), s.recordScoring(input))
    }))
  ).pipe(Layer.provide(RequestLedgerSql.layer))
  const slowStore = Layer.mergeAll(slowLedger, ScoreLedgerSql.layer, ApiKeyStoreSql.layer, DashboardReadModelSql.layer).pipe(
    Layer.provide(SqlLive({ _tag: "sqlite", filename: config.store }))
  )
  return Layer.mergeAll(
    slowChain,
    slowStore,
    layerDev(VALIDATOR_WALLET),
    // Replays must be reproducible: the seeded randomness, never used by a running validator.
    RequestRandomnessLive.layerTest,
    DendriteLive.layer({ hotkey: validatorKey }),
    PreferenceDataLive.layer({ seed: config.seedPath, evaluation: [config.evaluationPath] }).pipe(Layer.provide(BunContext.layer)),
    Layer.succeed(
      ValidatorSettings,
      testValidatorSettings({
        deadlineSeconds: 0,
        evaluationRate: config.evaluationRate,
        evaluationWindowSeconds: 1e9,
        // Crash consistency, not the rule, is under test: the original rule pays from the first request (the
        // new one pays nothing until a miner's credit shows, which 15 requests may not reach) and makes no
        // self-made pairs (resuming counts stored requests per kind, which those would throw off).
        rewardRule: rewardRule("original"),
        queryTimeoutSeconds: 5,
        resultTimeoutSeconds: 5
      })
    ),
    Logger.logFmt,
    Logger.minimumLogLevel(LogLevel.Info)
  )
}

/** The harness's whole run. */
export const harness = (config: HarnessConfig) =>
  Effect.gen(function* () {
    const store = yield* allStores
    const chain = yield* Chain
    const data = yield* PreferenceData

    // Resume the preference streams where the stored requests left them.
    const stored = yield* store.recentRequests(1_000_000)
    const used = { seed: stored.filter((r) => r.kind === "seed").length, evaluation: stored.filter((r) => r.kind === "evaluation").length }
    for (let i = 0; i < used.seed; i++) yield* data.seed.next
    for (let i = 0; i < used.evaluation; i++) yield* data.evaluation.next
    yield* marker("START", { stored: stored.length })

    for (;;) {
      let queried = 0
      for (let r = 0; r < config.perRound; r++) {
        const k = (yield* store.stats).requests
        if (k >= config.requests) break
        yield* marker("PHASE", { phase: "query", k })
        yield* queryStep().pipe(Effect.withRandom(Random.make(`${config.seed}-${k}`)))
        queried++
      }
      yield* marker("PHASE", { phase: "scoring" })
      const scored = yield* scoreDueRequests()
      yield* marker("PHASE", { phase: "delivering" })
      const delivered = yield* deliverResults()
      yield* marker("PHASE", { phase: "weights" })
      const weights = yield* setWeights()
      const stats = yield* store.stats
      if (stats.requests >= config.requests && stats.pending === 0 && stats.deliveriesPending === 0 && weights._tag === "Set") {
        yield* marker("DONE", { weights: yield* chain.weightsOf(NETUID, Uid.make(0)) })
        return
      }
      // Only a delivery retry is left (it waits for its time): do not spin.
      if (queried === 0 && scored === 0 && delivered === 0) yield* Effect.sleep("100 millis")
    }
  })

if (import.meta.main) {
  const path = process.argv[2]
  if (path === undefined) throw new Error("usage: validator-harness.ts <config.json>")
  const config = JSON.parse(readFileSync(path, "utf8")) as HarnessConfig
  await Effect.runPromise(harness(config).pipe(Effect.provide(harnessLayers(config))))
  process.exit(0)
}
