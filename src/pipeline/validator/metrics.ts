/**
 * The validator's Prometheus metrics, as Effect `Metric`s in the process-wide registry (the `/metrics`
 * route renders `Metric.snapshot`). Each `record…` function below names the step that must call it:
 *
 * | metric | type | labels | updated by |
 * | --- | --- | --- | --- |
 * | `dojo_validator_requests_sent_total` | counter | kind | `recordQuery`: the runner after `queryStep` (when it queried anyone); `scoreNow` itself |
 * | `dojo_validator_miner_responses_total` | counter | status | `recordQuery` (one per miner asked: 200, 408 timeout, 503 unreachable, …) |
 * | `dojo_validator_requests_scored_total` | counter | kind | `recordScored`: `scoreDueRequests`, after each committed `recordScoring` |
 * | `dojo_validator_scoring_lag_seconds` | histogram | | `recordScored`: scoring time − the request's deadline |
 * | `dojo_validator_last_set_weights_block` | gauge | | `recordWeightsSet`: the runner after `setWeights` returned `Set` |
 * | `dojo_validator_results_delivered_total` | counter | | `recordDeliveries`: the runner after `deliverResults` |
 * | `dojo_validator_api_requests_total` | counter | route, status | the HTTP server, per scoring-API request |
 * | `dojo_validator_api_request_duration_seconds` | histogram | route | the HTTP server, per scoring-API request |
 * | `dojo_validator_store_bytes`, `…_store_requests{status}`, `…_store_deliveries_pending` | gauge | | `recordStoreStats`: the HTTP server on each `/metrics` scrape |
 */
import { Effect, Metric, MetricBoundaries } from "effect"
import type { StoreStats } from "../../services/dashboard-read-model.ts"
import type { RequestKind } from "../../services/request-ledger.ts"

/** RankingRequests sent (each to a sample of miners), by kind: seed, evaluation, api. */
export const requestsSent = Metric.counter("dojo_validator_requests_sent_total", {
  description: "RankingRequests sent to a sample of miners, by kind (seed, evaluation, api).",
  incremental: true
})

/** Miner answers by the dendrite's status code. */
export const minerResponses = Metric.counter("dojo_validator_miner_responses_total", {
  description: "Answers of miners to RankingRequests by status (200 ok, 408 timed out, 503 unreachable, ...).",
  incremental: true
})

/** Requests scored after their deadline, by kind. */
export const requestsScored = Metric.counter("dojo_validator_requests_scored_total", {
  description: "Requests scored after their deadline, by kind.",
  incremental: true
})

/** How late scoring runs: seconds from a request's deadline to its scoring. */
export const scoringLag = Metric.histogram(
  "dojo_validator_scoring_lag_seconds",
  MetricBoundaries.fromIterable([1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 7200, 21600]),
  "Seconds from a request's deadline to its scoring."
)

/** Block of the last weights that landed on chain. */
export const lastSetWeightsBlock = Metric.gauge("dojo_validator_last_set_weights_block", {
  description: "Block holding the last set_weights (or reveal) of this validator."
})

/** RankingResults delivered to participants. */
export const resultsDelivered = Metric.counter("dojo_validator_results_delivered_total", {
  description: "RankingResults delivered to participants.",
  incremental: true
})

/** Scoring-API requests, by route and HTTP status. */
export const apiRequests = Metric.counter("dojo_validator_api_requests_total", {
  description: "Scoring-API requests by route and HTTP status.",
  incremental: true
})

/** Scoring-API response times, by route. */
export const apiRequestDuration = Metric.histogram(
  "dojo_validator_api_request_duration_seconds",
  MetricBoundaries.fromIterable([0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60]),
  "Seconds to answer a scoring-API request, by route."
)

/** Size of the store's database. */
export const storeBytes = Metric.gauge("dojo_validator_store_bytes", {
  description: "Size of the store's database in bytes (SQLite pages or pg_database_size)."
})

/** Stored requests by status. */
export const storeRequests = Metric.gauge("dojo_validator_store_requests", {
  description: "Stored requests by status (pending, scored)."
})

/** RankingResults still waiting in the outbox. */
export const storeDeliveriesPending = Metric.gauge("dojo_validator_store_deliveries_pending", {
  description: "RankingResults waiting in the outbox for delivery."
})

/** Counts one fan-out of a RankingRequest and its answers (`statuses`: HTTP status → how many miners). */
export const recordQuery = (kind: RequestKind, statuses: ReadonlyMap<number, number>): Effect.Effect<void> =>
  Effect.gen(function* () {
    yield* Metric.increment(Metric.tagged(requestsSent, "kind", kind))
    for (const [status, n] of statuses) yield* Metric.incrementBy(Metric.tagged(minerResponses, "status", String(status)), n)
  })

/** Counts one request scored `lagSeconds` after its deadline. */
export const recordScored = (kind: RequestKind, lagSeconds: number): Effect.Effect<void> =>
  Effect.zipRight(Metric.increment(Metric.tagged(requestsScored, "kind", kind)), Metric.update(scoringLag, Math.max(0, lagSeconds)))

/** Records the block of weights that landed on chain. */
export const recordWeightsSet = (block: number): Effect.Effect<void> => Metric.set(lastSetWeightsBlock, block)

/** Counts RankingResults delivered in one pass. */
export const recordDeliveries = (delivered: number): Effect.Effect<void> => Metric.incrementBy(resultsDelivered, delivered)

/** Counts one scoring-API request answered with `status` after `seconds`. */
export const recordApiRequest = (route: string, status: number, seconds: number): Effect.Effect<void> =>
  Effect.zipRight(
    Metric.increment(Metric.tagged(Metric.tagged(apiRequests, "route", route), "status", String(status))),
    Metric.update(Metric.tagged(apiRequestDuration, "route", route), seconds)
  )

/** Sets the store gauges from the store's counts. */
export const recordStoreStats = (stats: StoreStats): Effect.Effect<void> =>
  Effect.all(
    [
      Metric.set(storeBytes, stats.storeBytes),
      Metric.set(Metric.tagged(storeRequests, "status", "pending"), stats.pending),
      Metric.set(Metric.tagged(storeRequests, "status", "scored"), stats.scored),
      Metric.set(storeDeliveriesPending, stats.deliveriesPending)
    ],
    { discard: true }
  )

/**
 * Registers the unlabelled metrics without changing them, so a scrape shows them (at 0) before their
 * first event. Labelled series appear with their first event.
 */
export const registerValidatorMetrics: Effect.Effect<void> = Effect.all(
  [Metric.value(scoringLag), Metric.value(lastSetWeightsBlock), Metric.value(resultsDelivered), Metric.value(storeBytes), Metric.value(storeDeliveriesPending)],
  { discard: true }
)
