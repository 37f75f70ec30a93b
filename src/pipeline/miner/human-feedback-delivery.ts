/**
 * Delivery of human feedback: once a HIT has all its assignments (or expired with some), the workers'
 * sliders are aggregated per completion (mean of 1–10, scaled to [0, 1]) and sent as an MTurkResponse to
 * exactly the validator whose request the HIT answers, with short-lived credentials that let it check
 * the HIT with MTurk itself. A failed delivery is retried with doubling backoff until it lands or the
 * attempts run out; every step is recorded in the store, so a restart resumes where it stopped.
 */
import { Duration, Effect, Schedule } from "effect"
import { isServing, type Neuron } from "../../domain/chain/metagraph.ts"
import { backoffSeconds } from "../../domain/backoff.ts"
import { aggregateAssignments } from "../../domain/mturk/formats.ts"
import type { AWSCredentials, MTurkResponse } from "../../domain/wire/protocol.ts"
import { MTurkResponseSynapse } from "../../domain/wire/synapses.ts"
import { Dendrite, type DendriteTarget } from "../../services/dendrite.ts"
import { type HitRecord, MinerStore } from "../../services/miner-store.ts"
import { ValidatorCredentials } from "../../services/validator-credentials.ts"
import { nowSeconds } from "../clock.ts"
import type { MetagraphView } from "./metagraph-view.ts"
import { MinerSettings } from "./settings.ts"

/** The wait before the next attempt after `attempts` failures so far (doubling, capped). */
export const deliveryBackoff = (attempts: number, baseSeconds: number, maxSeconds: number): number =>
  backoffSeconds(attempts, { baseSeconds, factor: 2, maxSeconds })

/** Where the HIT's validator listens now: its current axon if it moved, else where it was when it asked. */
export const deliveryTarget = (hit: HitRecord, neurons: ReadonlyArray<Neuron>): DendriteTarget => {
  const neuron = neurons.find((n) => n.hotkey === hit.validatorHotkey)
  return neuron !== undefined && isServing(neuron.axon)
    ? { hotkey: hit.validatorHotkey, ip: neuron.axon.ip, port: neuron.axon.port }
    : { hotkey: hit.validatorHotkey, ip: hit.validatorIp, port: hit.validatorPort }
}

/** The MTurkResponse for a HIT: the aggregate of its assignments, and verification credentials if any. */
export const mturkResponseFor = (hit: HitRecord, credentials: AWSCredentials | null): MTurkResponse => ({
  mturk_hit_id: hit.hitId,
  aws_credentials: credentials,
  completion_id_to_score: aggregateAssignments(
    hit.assignments.map((a) => a.scores),
    hit.cids
  ),
  request_id: hit.requestId
})

/** Delivers one HIT's aggregate to its validator once; records success or the failure and next attempt. */
export const deliverHit = Effect.fn("Miner.deliverHit")(function* (view: MetagraphView, hit: HitRecord) {
  const store = yield* MinerStore
  const dendrite = yield* Dendrite
  const settings = yield* MinerSettings
  const issuer = yield* ValidatorCredentials
  const log = Effect.annotateLogs({ hit_id: hit.hitId, request_id: hit.requestId, validator: hit.validatorHotkey })

  const credentials = yield* issuer.issue(hit.hitId).pipe(
    Effect.map((c): AWSCredentials | null => c),
    Effect.catchAll((e) =>
      log(Effect.logWarning(`no verification credentials for the validator: ${e.message}`)).pipe(Effect.as(null))
    )
  )
  const target = deliveryTarget(hit, (yield* view.current).neurons)
  const response = yield* dendrite.call(target, MTurkResponseSynapse, mturkResponseFor(hit, credentials), {
    timeout: settings.mturkResponseTimeoutSeconds
  })
  const now = yield* nowSeconds
  if (response.statusCode === 200) {
    yield* store.markHitDelivered(hit.hitId, Math.floor(now))
    yield* log(
      Effect.logInfo("human feedback delivered").pipe(
        Effect.annotateLogs({ assignments: hit.assignments.length, attempts: hit.delivery.attempts + 1, verified: credentials !== null })
      )
    )
    return "delivered" as const
  }
  const error = `${target.ip}:${target.port} answered ${response.statusCode}: ${response.statusMessage}`
  const next = Math.ceil(now + deliveryBackoff(hit.delivery.attempts, settings.deliveryBackoffSeconds, settings.deliveryMaxBackoffSeconds))
  const status = yield* store.recordHitDeliveryFailure(hit.hitId, error, next, settings.deliveryMaxAttempts)
  yield* log(
    (status === "failed" ? Effect.logError("human feedback undeliverable; giving up") : Effect.logWarning("human feedback delivery failed; will retry")).pipe(
      Effect.annotateLogs({ error, attempts: hit.delivery.attempts + 1, next_attempt_at: next })
    )
  )
  return status === "failed" ? ("failed" as const) : ("retrying" as const)
})

/** Delivers every HIT that is ready now (oldest first, a few at a time); returns what happened to each. */
export const deliverReadyHits = Effect.fn("Miner.deliverReadyHits")(function* (view: MetagraphView) {
  const store = yield* MinerStore
  const ready = yield* store.hitsReadyToDeliver(Math.floor(yield* nowSeconds))
  return yield* Effect.forEach(ready, (hit) => deliverHit(view, hit), { concurrency: 4 })
})

/** Runs `deliverReadyHits` every `deliveryPollSeconds` forever; a failed pass is logged and the next one runs. */
export const deliveryLoop = (view: MetagraphView) =>
  Effect.gen(function* () {
    const settings = yield* MinerSettings
    yield* deliverReadyHits(view).pipe(
      Effect.catchAll((e) => Effect.logError("human feedback delivery pass failed").pipe(Effect.annotateLogs({ error: e.message }))),
      Effect.repeat(Schedule.spaced(Duration.seconds(settings.deliveryPollSeconds)))
    )
  }).pipe(Effect.asVoid)

/** Forks the delivery loop into the current scope. */
export const startDeliveryLoop = (view: MetagraphView) => Effect.forkScoped(deliveryLoop(view)).pipe(Effect.asVoid)
