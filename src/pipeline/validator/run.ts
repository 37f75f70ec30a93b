/**
 * The validator, top to bottom: make sure the hotkey is registered, serve the axon (for MTurkResponse)
 * and announce it on chain, then run four loops side by side until interrupted — query miners every
 * step, score requests past their deadline and deliver their results, set weights every epoch, and
 * forget accuracy outcomes that fell out of the window. A failing pass is logged and the loop goes on.
 */
import { Duration, Effect, Ref, Schedule } from "effect"
import { windowStart } from "../../domain/scoring/accuracy.ts"
import { uidOf } from "../../domain/chain/metagraph.ts"
import { Axon } from "../../services/axon.ts"
import { Chain } from "../../services/chain.ts"
import { RequestLedger } from "../../services/request-ledger.ts"
import { Wallet } from "../../services/wallet.ts"
import { nowSeconds } from "../clock.ts"
import { registeredUid } from "../registered-uid.ts"
import { deliverResults } from "./deliver-results.ts"
import { recordDeliveries, recordQuery, recordWeightsSet } from "./metrics.ts"
import { mturkResponseRoute } from "./mturk-route.ts"
import { queryStep } from "./query-step.ts"
import { scoreDueRequests } from "./score-due-requests.ts"
import { setWeights } from "./set-weights.ts"
import { ValidatorSettings } from "./settings.ts"
import { isWeightsRefusal } from "./weights-refusals.ts"

/** Version announced with the axon on chain (our `version_as_int`, ≥ 7002000 as the SDK expects). */
export const VALIDATOR_AXON_VERSION = 9_012_002

/** Runs `pass` every `every`, logging failures instead of stopping. */
const loop = <A, E, R>(name: string, pass: Effect.Effect<A, E, R>, every: Duration.DurationInput) =>
  pass.pipe(
    Effect.catchAllCause((cause) => Effect.logError(`${name} pass failed`, cause)),
    Effect.repeat(Schedule.spaced(every)),
    Effect.annotateLogs({ loop: name })
  )

/** Sets weights once an epoch has passed since the last time (first attempt as soon as scores exist). */
export const weightsLoop = Effect.gen(function* () {
  const chain = yield* Chain
  const settings = yield* ValidatorSettings
  const lastSet = yield* Ref.make<number | null>(null)
  const pass = Effect.gen(function* () {
    const block = yield* chain.block
    const epochLength = settings.epochLength ?? (yield* chain.hyperparameters(settings.netuid)).tempo + 1
    const last = yield* Ref.get(lastSet)
    if (last !== null && block - last < epochLength) return
    const outcome = yield* setWeights().pipe(
      // A refusal retrying cannot fix now: say what to do and wait an epoch, never a tight loop.
      Effect.catchIf(isWeightsRefusal, (refusal) =>
        Effect.zipRight(
          Effect.logWarning(refusal.message).pipe(Effect.annotateLogs({ refusal: refusal._tag })),
          Effect.as(Ref.set(lastSet, block), { _tag: "Skipped" as const, reason: refusal._tag })
        )
      )
    )
    if (outcome._tag === "Set") yield* Effect.zipRight(Ref.set(lastSet, outcome.block), recordWeightsSet(outcome.block))
    else yield* Effect.logDebug("weights not set").pipe(Effect.annotateLogs({ reason: outcome.reason }))
  })
  return yield* loop("weights", pass, Duration.seconds(Math.max(1, Math.min(12, settings.stepSeconds))))
})

/** Starts everything; returns only when interrupted (or when the hotkey is not registered). */
export const runValidator = Effect.gen(function* () {
  const settings = yield* ValidatorSettings
  const chain = yield* Chain
  const store = yield* RequestLedger
  const hotkey = yield* (yield* Wallet).hotkey
  const metagraph = yield* chain.metagraph(settings.netuid)
  const uid = yield* registeredUid(uidOf(metagraph, hotkey.ss58Address), settings.netuid, hotkey.ss58Address)

  const axon = yield* (yield* Axon).serve([yield* mturkResponseRoute])
  const served = yield* chain
    .serveAxon(settings.netuid, hotkey, { ip: axon.external.ip, port: axon.external.port, version: VALIDATOR_AXON_VERSION })
    .pipe(
      // A dropped connection or a pool hiccup is worth retrying; a runtime refusal (bad IP, …) is not.
      Effect.retry({
        while: (e) => e._tag === "ChainTimeout" || e._tag === "ChainUnavailable" || e._tag === "ChainTxRejected",
        schedule: Schedule.exponential("2 seconds").pipe(Schedule.intersect(Schedule.recurs(4)))
      })
    )
  yield* Effect.logInfo("validator started").pipe(
    Effect.annotateLogs({
      netuid: settings.netuid,
      uid,
      hotkey: hotkey.ss58Address,
      axon: `${axon.external.ip}:${axon.external.port}`,
      served: served._tag,
      step_seconds: settings.stepSeconds,
      deadline_seconds: settings.deadlineSeconds
    })
  )

  const scoringEvery = Duration.seconds(Math.max(0.5, Math.min(settings.stepSeconds, settings.deadlineSeconds / 4, 30)))
  const pruneAccuracy = Effect.gen(function* () {
    const now = yield* nowSeconds
    // Outcomes from before the current window never count again.
    yield* store.pruneAccuracy(windowStart(now, settings.evaluationWindowSeconds))
  })
  yield* Effect.all(
    [
      loop(
        "query",
        Effect.tap(queryStep(), (step) => (step.queried > 0 ? recordQuery(step.kind, step.statuses) : Effect.void)),
        Duration.seconds(settings.stepSeconds)
      ),
      loop("scoring", Effect.zipRight(scoreDueRequests(), Effect.flatMap(deliverResults(), recordDeliveries)), scoringEvery),
      weightsLoop,
      loop("accuracy-prune", pruneAccuracy, Duration.hours(1))
    ],
    { concurrency: "unbounded", discard: true }
  )
}).pipe(Effect.withSpan("Validator.run"))
