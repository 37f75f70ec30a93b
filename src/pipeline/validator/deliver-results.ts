/**
 * Sends scored requests' RankingResults to their participants from the store's outbox. A failed send is
 * retried with a growing delay and given up after a few attempts — logged, never retried forever; a
 * restart resumes whatever was still pending.
 */
import { Effect } from "effect"
import { type Backoff, backoffSeconds } from "../../domain/backoff.ts"
import { RankingResultSynapse } from "../../domain/wire/synapses.ts"
import { Dendrite, isSuccess } from "../../services/dendrite.ts"
import { RequestLedger } from "../../services/request-ledger.ts"
import { nowSeconds } from "../clock.ts"
import { ValidatorSettings } from "./settings.ts"

/** Deliveries attempted per pass. */
const BATCH = 64

/** The results outbox's schedule: 5 s, 20 s, 80 s, … capped at 10 min. */
const resultsBackoff: Backoff = { baseSeconds: 5, factor: 4, maxSeconds: 600 }

/** Seconds before the next attempt after `attempts` failures (the first failure waits the base). */
export const retryDelaySeconds = (attempts: number): number => backoffSeconds(attempts - 1, resultsBackoff)

/** Delivers what is due; returns how many were delivered. */
export const deliverResults = Effect.fn("Validator.deliverResults")(function* () {
  const store = yield* RequestLedger
  const dendrite = yield* Dendrite
  const settings = yield* ValidatorSettings
  const due = yield* store.pendingDeliveries(yield* nowSeconds, BATCH)
  const delivered = yield* Effect.forEach(
    due,
    (d) =>
      Effect.gen(function* () {
        const reply = yield* dendrite.call({ ip: d.ip, port: d.port, hotkey: d.hotkey }, RankingResultSynapse, d.result, {
          timeout: settings.resultTimeoutSeconds
        })
        const now = yield* nowSeconds
        if (isSuccess(reply)) {
          yield* store.markDelivered(d.requestId, d.hotkey, now)
          return 1
        }
        const attempts = d.attempts + 1
        const status = yield* store.markDeliveryFailed(
          d.requestId,
          d.hotkey,
          `${reply.statusCode} ${reply.statusMessage}`,
          now + retryDelaySeconds(attempts),
          settings.deliveryMaxAttempts
        )
        const log = status === "failed" ? Effect.logWarning("RankingResult not delivered; giving up") : Effect.logDebug("RankingResult not delivered")
        yield* log.pipe(Effect.annotateLogs({ request_id: d.requestId, hotkey: d.hotkey, status: reply.statusCode, attempts }))
        return 0
      }),
    { concurrency: 16 }
  )
  return delivered.reduce<number>((a, b) => a + b, 0)
})
