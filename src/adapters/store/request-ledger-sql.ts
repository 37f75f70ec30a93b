/**
 * `RequestLedger` over `@effect/sql` (SQLite or PostgreSQL). Each state change is one transaction whose
 * first statement is a write, so SQLite takes its write lock up front (waiting on the busy timeout, never
 * failing mid-way on a stale snapshot) and PostgreSQL locks the row that decides the outcome; the
 * decisive UPDATE is conditional and its RETURNING rows say whether this caller won.
 */
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option, Schema } from "effect"
import { ModelConfig, Rank, RankingRequest, RankingResult, ScoringMethod } from "../../domain/wire/protocol.ts"
import {
  type AccuracyCount,
  AlreadyScored,
  type DeliveryStatus,
  type DueRequest,
  type MTurkMerge,
  type NewRequest,
  type PendingDelivery,
  RequestChanged,
  RequestLedger,
  type ScoringRecord,
  type StoredRequest,
  type StoredResponse,
  UnknownRequest
} from "../../services/request-ledger.ts"
import type { ScoreEntry } from "../../services/score-ledger.ts"
import type { StoreError } from "../../services/store-error.ts"
import { asStoreError, batches, BoolColumn, decodeRows, encodeJson, NullableNumber, NumberColumn } from "./columns.ts"
import { validatorSchema } from "./migrations.ts"
import { RequestRow, storedResult } from "./request-rows.ts"
import { memoryStore, SqlLive } from "./sql-client.ts"

const ResponseRow = Schema.Struct({
  request_id: Schema.String,
  hotkey: Schema.String,
  uid: NumberColumn,
  scoring_method: Schema.NullOr(ScoringMethod),
  model_config: Schema.NullOr(Schema.parseJson(ModelConfig)),
  ranks: Schema.parseJson(Schema.Array(Rank)),
  mturk_hit_id: Schema.NullOr(Schema.String),
  human_verified: BoolColumn,
  source: Schema.Literal("axon", "mturk"),
  received_at: NumberColumn,
  verified_at: NullableNumber
})
type ResponseRow = typeof ResponseRow.Type

const StatusRow = Schema.Struct({ status: Schema.String })
const DeliveryRow = Schema.Struct({
  request_id: Schema.String,
  hotkey: Schema.String,
  ip: Schema.String,
  port: NumberColumn,
  attempts: NumberColumn,
  result: Schema.parseJson(RankingResult)
})
const RequestIdRow = Schema.Struct({ request_id: Schema.String })
const MergeTargetRow = Schema.Struct({ mturk_hit_id: Schema.NullOr(Schema.String), source: Schema.String })
const AccuracyRow = Schema.Struct({ hotkey: Schema.String, correct: NumberColumn, answered: NumberColumn })

const encodeRequest = encodeJson(RankingRequest)
const encodeResult = encodeJson(RankingResult)
const encodeRanks = encodeJson(Schema.Array(Rank))
const encodeModelConfig = encodeJson(ModelConfig)

/** Keeps stored error texts bounded. */
const clip = (text: string): string => (text.length > 1000 ? `${text.slice(0, 1000)}…` : text)

const toResponse = (row: ResponseRow): StoredResponse => ({
  hotkey: row.hotkey,
  uid: row.uid,
  scoringMethod: row.scoring_method,
  modelConfig: row.model_config,
  ranks: row.ranks,
  mturkHitId: row.mturk_hit_id,
  humanVerified: row.human_verified,
  source: row.source,
  receivedAt: row.received_at,
  ...(row.verified_at === null ? {} : { verifiedAt: row.verified_at })
})

const toDue = (row: RequestRow, responses: ReadonlyArray<StoredResponse>): DueRequest => ({
  request: row.body,
  kind: row.kind,
  ...(row.chosen_cid !== null && row.rejected_cid !== null
    ? { evaluation: { chosenCid: row.chosen_cid, rejectedCid: row.rejected_cid } }
    : {}),
  ...(row.api_key_id === null ? {} : { apiKeyId: row.api_key_id }),
  createdAt: row.created_at,
  deadlineAt: row.deadline_at,
  responses,
  revision: row.revision
})

/** Builds the ledger on the ambient `SqlClient` (its schema already migrated: see `layer`). */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  const decodeRequests = decodeRows(RequestRow)
  const decodeResponses = decodeRows(ResponseRow)

  /** Responses of the given requests, grouped by request id, each group in received order. */
  const responsesOf = (requestIds: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      const grouped = new Map<string, Array<StoredResponse>>()
      if (requestIds.length === 0) return grouped
      for (const ids of batches(requestIds, 1)) {
        const rows = yield* sql`SELECT * FROM responses WHERE ${sql.in("request_id", ids)} ORDER BY request_id, position`.pipe(
          Effect.flatMap(decodeResponses)
        )
        for (const row of rows) {
          const list = grouped.get(row.request_id) ?? []
          list.push(toResponse(row))
          grouped.set(row.request_id, list)
        }
      }
      return grouped
    })

  /** Replaces the EMA vector (inside `recordScoring`'s transaction). */
  const writeScores = (scores: ReadonlyArray<ScoreEntry>) =>
    Effect.gen(function* () {
      yield* sql`DELETE FROM scores`
      for (const batch of batches(scores, 3)) {
        yield* sql`INSERT INTO scores ${sql.insert(batch.map((s) => ({ uid: s.uid, hotkey: s.hotkey, score: s.score })))}`
      }
    })

  /** The status of a request, if it exists. */
  const statusOf = (requestId: string) =>
    sql`SELECT status FROM requests WHERE request_id = ${requestId}`.pipe(
      Effect.flatMap(decodeRows(StatusRow)),
      Effect.map((rows) => Option.fromNullable(rows[0]?.status))
    )

  const saveRequest = Effect.fn("RequestLedger.saveRequest")(
    function* (input: NewRequest) {
      const requestId = input.request.request_id
      const body = yield* encodeRequest(input.request)
      const responses = yield* Effect.forEach(input.responses, (r, position) =>
        Effect.all({ ranks: encodeRanks(r.ranks), modelConfig: r.modelConfig === null ? Effect.succeed(null) : encodeModelConfig(r.modelConfig) }).pipe(
          Effect.map(({ modelConfig, ranks }) => ({
            request_id: requestId,
            hotkey: r.hotkey,
            position,
            uid: r.uid,
            scoring_method: r.scoringMethod,
            model_config: modelConfig,
            ranks,
            mturk_hit_id: r.mturkHitId,
            human_verified: r.humanVerified ? 1 : 0,
            source: r.source,
            received_at: r.receivedAt,
            verified_at: r.verifiedAt ?? null
          }))
        )
      )
      yield* sql.withTransaction(
        Effect.gen(function* () {
          yield* sql`INSERT INTO requests ${sql.insert({
            request_id: requestId,
            kind: input.kind,
            body,
            chosen_cid: input.evaluation?.chosenCid ?? null,
            rejected_cid: input.evaluation?.rejectedCid ?? null,
            api_key_id: input.apiKeyId ?? null,
            created_at: input.createdAt,
            deadline_at: input.deadlineAt,
            status: "pending",
            result: null,
            scored_at: null
          })}`
          for (const batch of batches(responses, 12)) yield* sql`INSERT INTO responses ${sql.insert(batch)}`
        })
      )
    },
    asStoreError("saveRequest")
  )

  const dueRequests = Effect.fn("RequestLedger.dueRequests")(
    function* (now: number, limit: number) {
      const rows = yield* sql`SELECT * FROM requests WHERE status = 'pending' AND deadline_at <= ${now}
        ORDER BY created_at, request_id LIMIT ${limit}`.pipe(Effect.flatMap(decodeRequests))
      const responses = yield* responsesOf(rows.map((r) => r.request_id))
      return rows.map((row) => toDue(row, responses.get(row.request_id) ?? []))
    },
    asStoreError("dueRequests")
  )

  const getRequest = Effect.fn("RequestLedger.getRequest")(
    function* (requestId: string) {
      const rows = yield* sql`SELECT * FROM requests WHERE request_id = ${requestId}`.pipe(Effect.flatMap(decodeRequests))
      const row = rows[0]
      if (row === undefined) return Option.none<StoredRequest>()
      const responses = yield* responsesOf([requestId])
      return Option.some<StoredRequest>({
        ...toDue(row, responses.get(requestId) ?? []),
        status: row.status,
        ...storedResult(row)
      })
    },
    asStoreError("getRequest")
  )

  const recordScoring = Effect.fn("RequestLedger.recordScoring")(
    function* (input: ScoringRecord) {
      const result = yield* encodeResult(input.result)
      yield* sql.withTransaction(
        Effect.gen(function* () {
          // The decisive write: only one caller, in any process, turns this request from pending to scored.
          const sameRevision = input.revision === undefined ? sql`1 = 1` : sql`revision = ${input.revision}`
          const flipped = yield* sql`UPDATE requests SET status = 'scored', result = ${result}, scored_at = ${input.scoredAt}
            WHERE request_id = ${input.requestId} AND status = 'pending' AND ${sameRevision} RETURNING request_id`
          if (flipped.length === 0) {
            const status = yield* statusOf(input.requestId)
            return yield* Option.isNone(status)
              ? new UnknownRequest({ requestId: input.requestId })
              : status.value === "pending"
                ? new RequestChanged({ requestId: input.requestId })
                : new AlreadyScored({ requestId: input.requestId })
          }
          yield* writeScores(input.scores)
          const outcomes = input.accuracyOutcomes.map((o) => ({
            request_id: input.requestId,
            hotkey: o.hotkey,
            correct: o.outcome === "correct" ? 1 : 0,
            recorded_at: input.scoredAt
          }))
          for (const batch of batches(outcomes, 4)) yield* sql`INSERT INTO accuracy_outcomes ${sql.insert(batch)}`
          const deliveries = input.deliverTo.map((d) => ({
            request_id: input.requestId,
            hotkey: d.hotkey,
            ip: d.ip,
            port: d.port,
            status: "pending",
            attempts: 0,
            next_attempt_at: input.scoredAt,
            last_error: null,
            delivered_at: null
          }))
          for (const batch of batches(deliveries, 9)) yield* sql`INSERT INTO deliveries ${sql.insert(batch)}`
        })
      )
    },
    asStoreError("recordScoring")
  )

  const pendingDeliveries = Effect.fn("RequestLedger.pendingDeliveries")(
    function* (now: number, limit: number) {
      const rows = yield* sql`SELECT d.request_id, d.hotkey, d.ip, d.port, d.attempts, r.result
        FROM deliveries d JOIN requests r ON r.request_id = d.request_id
        WHERE d.status = 'pending' AND d.next_attempt_at <= ${now}
        ORDER BY d.next_attempt_at, d.request_id, d.hotkey LIMIT ${limit}`.pipe(Effect.flatMap(decodeRows(DeliveryRow)))
      return rows.map(
        (row): PendingDelivery => ({
          requestId: row.request_id,
          hotkey: row.hotkey,
          ip: row.ip,
          port: row.port,
          attempts: row.attempts,
          result: row.result
        })
      )
    },
    asStoreError("pendingDeliveries")
  )

  const markDelivered = Effect.fn("RequestLedger.markDelivered")(
    (requestId: string, hotkey: string, at: number) =>
      Effect.asVoid(sql`UPDATE deliveries SET status = 'delivered', delivered_at = ${at}, last_error = NULL
        WHERE request_id = ${requestId} AND hotkey = ${hotkey} AND status = 'pending'`),
    asStoreError("markDelivered")
  )

  const markDeliveryFailed = Effect.fn("RequestLedger.markDeliveryFailed")(
    function* (requestId: string, hotkey: string, error: string, nextAttemptAt: number, maxAttempts: number) {
      const updated = yield* sql`UPDATE deliveries SET attempts = attempts + 1, last_error = ${clip(error)},
          next_attempt_at = ${nextAttemptAt},
          status = CASE WHEN attempts + 1 >= ${maxAttempts} THEN 'failed' ELSE 'pending' END
        WHERE request_id = ${requestId} AND hotkey = ${hotkey} AND status = 'pending' RETURNING status`.pipe(
        Effect.flatMap(decodeRows(StatusRow))
      )
      const rows =
        updated.length > 0
          ? updated
          : yield* sql`SELECT status FROM deliveries WHERE request_id = ${requestId} AND hotkey = ${hotkey}`.pipe(
              Effect.flatMap(decodeRows(StatusRow))
            )
      const status = rows[0]?.status
      return status === "pending" || status === "delivered" || status === "failed" ? (status as DeliveryStatus) : "unknown"
    },
    asStoreError("markDeliveryFailed")
  )

  const requestForHit = Effect.fn("RequestLedger.requestForHit")(
    function* (hotkey: string, hitId: string) {
      // HIT ids are unique at MTurk; the newest wins should a miner ever reuse one.
      const rows = yield* sql`SELECT request_id FROM responses WHERE hotkey = ${hotkey} AND mturk_hit_id = ${hitId}
        ORDER BY received_at DESC LIMIT 1`.pipe(Effect.flatMap(decodeRows(RequestIdRow)))
      return Option.fromNullable(rows[0]?.request_id)
    },
    asStoreError("requestForHit")
  )

  const mergeMTurkResponse = Effect.fn("RequestLedger.mergeMTurkResponse")(
    function* (input: MTurkMerge) {
      const ranks = yield* encodeRanks(input.ranks)
      return yield* sql.withTransaction(
        Effect.gen(function* () {
          // Lock the request row first (a no-op write), so scoring cannot slip in between check and merge.
          const locked = yield* sql`UPDATE requests SET status = status
            WHERE request_id = ${input.requestId} AND status = 'pending' RETURNING request_id`
          if (locked.length === 0) {
            const status = yield* statusOf(input.requestId)
            return Option.isNone(status) ? ("unknown-request" as const) : ("already-scored" as const)
          }
          const targets = yield* sql`SELECT mturk_hit_id, source FROM responses
            WHERE request_id = ${input.requestId} AND hotkey = ${input.hotkey}`.pipe(Effect.flatMap(decodeRows(MergeTargetRow)))
          const target = targets[0]
          if (target === undefined) return "not-participant" as const
          if (target.mturk_hit_id !== input.hitId) return "hit-mismatch" as const
          if (target.source === "mturk") return "duplicate" as const
          // A scoring computed from the responses before this merge can no longer commit.
          yield* sql`UPDATE requests SET revision = revision + 1 WHERE request_id = ${input.requestId}`
          yield* sql`UPDATE responses SET scoring_method = 'aws_mturk', ranks = ${ranks}, human_verified = 1,
              source = 'mturk', verified_at = ${input.verifiedAt}
            WHERE request_id = ${input.requestId} AND hotkey = ${input.hotkey}`
          return "merged" as const
        })
      )
    },
    asStoreError("mergeMTurkResponse")
  )

  const accuracyCounts = Effect.fn("RequestLedger.accuracyCounts")(
    function* (since: number) {
      const rows = yield* sql`SELECT hotkey, SUM(correct) AS correct, COUNT(*) AS answered FROM accuracy_outcomes
        WHERE recorded_at >= ${since} GROUP BY hotkey`.pipe(Effect.flatMap(decodeRows(AccuracyRow)))
      return new Map<string, AccuracyCount>(rows.map((r) => [r.hotkey, { correct: r.correct, answered: r.answered }]))
    },
    asStoreError("accuracyCounts")
  )

  const pruneAccuracy = Effect.fn("RequestLedger.pruneAccuracy")(
    (before: number) =>
      Effect.map(sql`DELETE FROM accuracy_outcomes WHERE recorded_at < ${before} RETURNING hotkey`, (rows) => rows.length),
    asStoreError("pruneAccuracy")
  )

  return RequestLedger.of({
    saveRequest,
    dueRequests,
    getRequest,
    recordScoring,
    pendingDeliveries,
    markDelivered,
    markDeliveryFailed,
    requestForHit,
    mergeMTurkResponse,
    accuracyCounts,
    pruneAccuracy
  })
})

/** `RequestLedger` on the ambient `SqlClient`, migrating the validator's schema first. */
export const layer: Layer.Layer<RequestLedger, StoreError, SqlClient.SqlClient> = Layer.effect(RequestLedger, make).pipe(
  Layer.provide(validatorSchema)
)

/** `RequestLedger` on a fresh in-memory SQLite database (tests). */
export const layerTest: Layer.Layer<RequestLedger, StoreError> = layer.pipe(Layer.provide(SqlLive(memoryStore)))
