/**
 * `ValidatorStore` over `@effect/sql` (SQLite or PostgreSQL). Each state change is one transaction whose
 * first statement is a write, so SQLite takes its write lock up front (waiting on the busy timeout, never
 * failing mid-way on a stale snapshot) and PostgreSQL locks the row that decides the outcome; the
 * decisive UPDATE is conditional and its RETURNING rows say whether this caller won.
 */
import { SqlClient } from "@effect/sql"
import { Clock, Effect, Layer, Option, Schema } from "effect"
import { ModelConfig, Rank, RankingRequest, RankingResult, ScoringMethod } from "../../domain/wire/protocol.ts"
import {
  type AccuracyCount,
  AlreadyScored,
  type ApiKey,
  type DeliveryStatus,
  type DueRequest,
  type MTurkMerge,
  type NewApiKey,
  type NewRequest,
  type PendingDelivery,
  type RecentRequest,
  type ScoreEntry,
  type ScoreHistoryRow,
  type ScoreSnapshotRow,
  type ScoringRecord,
  type StoredRequest,
  type StoredResponse,
  RequestChanged,
  UnknownRequest,
  ValidatorStore,
  type WeightsRecord
} from "../../services/validator-store.ts"
import type { StoreError } from "../../services/store-error.ts"
import { asStoreError, batches, BoolColumn, decodeRows, encodeJson, NullableNumber, NumberColumn } from "./columns.ts"
import { runMigrations, validatorMigrations } from "./migrations.ts"
import { memoryStore, SqlLive, type StoreConfig } from "./sql-client.ts"

const RequestRow = Schema.Struct({
  request_id: Schema.String,
  kind: Schema.Literal("seed", "evaluation", "api"),
  body: Schema.parseJson(RankingRequest),
  chosen_cid: Schema.NullOr(Schema.String),
  rejected_cid: Schema.NullOr(Schema.String),
  api_key_id: Schema.NullOr(Schema.String),
  created_at: NumberColumn,
  deadline_at: NumberColumn,
  status: Schema.Literal("pending", "scored"),
  result: Schema.NullOr(Schema.parseJson(RankingResult)),
  scored_at: NullableNumber,
  revision: NumberColumn
})
type RequestRow = typeof RequestRow.Type

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

const ScoreRow = Schema.Struct({ uid: NumberColumn, hotkey: Schema.String, score: NumberColumn })
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
const CountRow = Schema.Struct({ n: NumberColumn })
const UidList = Schema.parseJson(Schema.Array(Schema.Number))
const WeightsRow = Schema.Struct({
  block: NumberColumn,
  uids: UidList,
  weights: UidList,
  version_key: NumberColumn,
  recorded_at: NumberColumn
})
const SnapshotRow = Schema.Struct({
  at: NumberColumn,
  uid: NumberColumn,
  hotkey: Schema.String,
  score: NumberColumn,
  weight: NumberColumn
})
const ApiKeyRow = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  key_hash: Schema.String,
  rate_limit_per_minute: NumberColumn,
  created_at: NumberColumn,
  revoked_at: NullableNumber
})
const RecentRow = Schema.Struct({ ...RequestRow.fields, response_count: NumberColumn })
const StatsRow = Schema.Struct({
  requests: NumberColumn,
  pending: NumberColumn,
  scored: NumberColumn,
  responses: NumberColumn,
  deliveries_pending: NumberColumn
})
const BytesRow = Schema.Struct({ bytes: NumberColumn })

const encodeRequest = encodeJson(RankingRequest)
const encodeResult = encodeJson(RankingResult)
const encodeRanks = encodeJson(Schema.Array(Rank))
const encodeModelConfig = encodeJson(ModelConfig)
const encodeUids = encodeJson(Schema.Array(Schema.Number))

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

const storedResult = (row: RequestRow) =>
  row.result !== null && row.scored_at !== null ? { result: { ...row.result, scoredAt: row.scored_at } } : {}

const toApiKey = (row: typeof ApiKeyRow.Type): ApiKey => ({
  id: row.id,
  name: row.name,
  keyHash: row.key_hash,
  rateLimitPerMinute: row.rate_limit_per_minute,
  createdAt: row.created_at,
  ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at })
})

/** Builds the store on the ambient `SqlClient`, migrating the schema first. */
export const makeValidatorStore = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* runMigrations("dojo_validator_migrations", validatorMigrations).pipe(asStoreError("migrate"))

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

  const saveRequest = Effect.fn("ValidatorStore.saveRequest")(
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

  const dueRequests = Effect.fn("ValidatorStore.dueRequests")(
    function* (now: number, limit: number) {
      const rows = yield* sql`SELECT * FROM requests WHERE status = 'pending' AND deadline_at <= ${now}
        ORDER BY created_at, request_id LIMIT ${limit}`.pipe(Effect.flatMap(decodeRequests))
      const responses = yield* responsesOf(rows.map((r) => r.request_id))
      return rows.map((row) => toDue(row, responses.get(row.request_id) ?? []))
    },
    asStoreError("dueRequests")
  )

  const getRequest = Effect.fn("ValidatorStore.getRequest")(
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

  const recordScoring = Effect.fn("ValidatorStore.recordScoring")(
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

  const loadScores = sql`SELECT uid, hotkey, score FROM scores ORDER BY uid`.pipe(
    Effect.flatMap(decodeRows(ScoreRow)),
    Effect.withSpan("ValidatorStore.loadScores"),
    asStoreError("loadScores")
  )

  const saveScores = Effect.fn("ValidatorStore.saveScores")(
    (scores: ReadonlyArray<ScoreEntry>) => sql.withTransaction(writeScores(scores)),
    asStoreError("saveScores")
  )

  const pendingDeliveries = Effect.fn("ValidatorStore.pendingDeliveries")(
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

  const markDelivered = Effect.fn("ValidatorStore.markDelivered")(
    (requestId: string, hotkey: string, at: number) =>
      Effect.asVoid(sql`UPDATE deliveries SET status = 'delivered', delivered_at = ${at}, last_error = NULL
        WHERE request_id = ${requestId} AND hotkey = ${hotkey} AND status = 'pending'`),
    asStoreError("markDelivered")
  )

  const markDeliveryFailed = Effect.fn("ValidatorStore.markDeliveryFailed")(
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

  const requestForHit = Effect.fn("ValidatorStore.requestForHit")(
    function* (hotkey: string, hitId: string) {
      // HIT ids are unique at MTurk; the newest wins should a miner ever reuse one.
      const rows = yield* sql`SELECT request_id FROM responses WHERE hotkey = ${hotkey} AND mturk_hit_id = ${hitId}
        ORDER BY received_at DESC LIMIT 1`.pipe(Effect.flatMap(decodeRows(RequestIdRow)))
      return Option.fromNullable(rows[0]?.request_id)
    },
    asStoreError("requestForHit")
  )

  const mergeMTurkResponse = Effect.fn("ValidatorStore.mergeMTurkResponse")(
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

  const accuracyCounts = Effect.fn("ValidatorStore.accuracyCounts")(
    function* (since: number) {
      const rows = yield* sql`SELECT hotkey, SUM(correct) AS correct, COUNT(*) AS answered FROM accuracy_outcomes
        WHERE recorded_at >= ${since} GROUP BY hotkey`.pipe(Effect.flatMap(decodeRows(AccuracyRow)))
      return new Map<string, AccuracyCount>(rows.map((r) => [r.hotkey, { correct: r.correct, answered: r.answered }]))
    },
    asStoreError("accuracyCounts")
  )

  const pruneAccuracy = Effect.fn("ValidatorStore.pruneAccuracy")(
    (before: number) =>
      Effect.map(sql`DELETE FROM accuracy_outcomes WHERE recorded_at < ${before} RETURNING hotkey`, (rows) => rows.length),
    asStoreError("pruneAccuracy")
  )

  const recordWeights = Effect.fn("ValidatorStore.recordWeights")(
    function* (input: WeightsRecord) {
      const uids = yield* encodeUids(input.uids)
      const weights = yield* encodeUids(input.weights)
      yield* sql`INSERT INTO weights ${sql.insert({
        block: input.block,
        uids,
        weights,
        version_key: input.versionKey,
        recorded_at: input.at
      })} ON CONFLICT (block) DO UPDATE SET uids = excluded.uids, weights = excluded.weights,
        version_key = excluded.version_key, recorded_at = excluded.recorded_at`
    },
    asStoreError("recordWeights")
  )

  const lastWeights = sql`SELECT * FROM weights ORDER BY recorded_at DESC, block DESC LIMIT 1`.pipe(
    Effect.flatMap(decodeRows(WeightsRow)),
    Effect.map((rows) =>
      Option.map(
        Option.fromNullable(rows[0]),
        (row): WeightsRecord => ({
          block: row.block,
          uids: row.uids,
          weights: row.weights,
          versionKey: row.version_key,
          at: row.recorded_at
        })
      )
    ),
    Effect.withSpan("ValidatorStore.lastWeights"),
    asStoreError("lastWeights")
  )

  const recordScoreSnapshot = Effect.fn("ValidatorStore.recordScoreSnapshot")(
    (at: number, rows: ReadonlyArray<ScoreSnapshotRow>) =>
      sql.withTransaction(
        Effect.gen(function* () {
          yield* sql`DELETE FROM score_snapshots WHERE at = ${at}`
          const values = rows.map((r) => ({ at, uid: r.uid, hotkey: r.hotkey, score: r.score, weight: r.weight }))
          for (const batch of batches(values, 5)) yield* sql`INSERT INTO score_snapshots ${sql.insert(batch)}`
        })
      ),
    asStoreError("recordScoreSnapshot")
  )

  const scoreHistory = Effect.fn("ValidatorStore.scoreHistory")(
    (since: number) =>
      sql`SELECT at, uid, hotkey, score, weight FROM score_snapshots WHERE at >= ${since} ORDER BY at, uid`.pipe(
        Effect.flatMap(decodeRows(SnapshotRow)),
        Effect.map((rows): ReadonlyArray<ScoreHistoryRow> => rows)
      ),
    asStoreError("scoreHistory")
  )

  const createApiKey = Effect.fn("ValidatorStore.createApiKey")(
    (input: NewApiKey) =>
      Effect.asVoid(sql`INSERT INTO api_keys ${sql.insert({
        id: input.id,
        name: input.name,
        key_hash: input.keyHash,
        rate_limit_per_minute: input.rateLimitPerMinute,
        created_at: input.createdAt,
        revoked_at: null
      })}`),
    asStoreError("createApiKey")
  )

  const findApiKey = Effect.fn("ValidatorStore.findApiKey")(
    (keyHash: string) =>
      sql`SELECT * FROM api_keys WHERE key_hash = ${keyHash} AND revoked_at IS NULL`.pipe(
        Effect.flatMap(decodeRows(ApiKeyRow)),
        Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), toApiKey))
      ),
    asStoreError("findApiKey")
  )

  const revokeApiKey = Effect.fn("ValidatorStore.revokeApiKey")(
    function* (id: string) {
      const now = (yield* Clock.currentTimeMillis) / 1000
      const rows = yield* sql`UPDATE api_keys SET revoked_at = ${now} WHERE id = ${id} AND revoked_at IS NULL RETURNING id`
      return rows.length > 0
    },
    asStoreError("revokeApiKey")
  )

  const listApiKeys = sql`SELECT * FROM api_keys ORDER BY created_at, id`.pipe(
    Effect.flatMap(decodeRows(ApiKeyRow)),
    Effect.map((rows) => rows.map(toApiKey)),
    Effect.withSpan("ValidatorStore.listApiKeys"),
    asStoreError("listApiKeys")
  )

  const recentRequests = Effect.fn("ValidatorStore.recentRequests")(
    function* (limit: number) {
      const rows = yield* sql`SELECT r.*, (SELECT COUNT(*) FROM responses s WHERE s.request_id = r.request_id) AS response_count
        FROM requests r ORDER BY r.created_at DESC, r.request_id DESC LIMIT ${limit}`.pipe(Effect.flatMap(decodeRows(RecentRow)))
      return rows.map(
        (row): RecentRequest => ({
          requestId: row.request_id,
          kind: row.kind,
          prompt: row.body.prompt,
          nCompletions: row.body.n_completions,
          createdAt: row.created_at,
          deadlineAt: row.deadline_at,
          status: row.status,
          responseCount: row.response_count,
          ...storedResult(row)
        })
      )
    },
    asStoreError("recentRequests")
  )

  const storeBytes = sql.onDialectOrElse({
    pg: () => sql`SELECT pg_database_size(current_database()) AS bytes`,
    orElse: () => sql`SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()`
  })

  const stats = Effect.gen(function* () {
    const [counts] = yield* sql`SELECT
        (SELECT COUNT(*) FROM requests) AS requests,
        (SELECT COUNT(*) FROM requests WHERE status = 'pending') AS pending,
        (SELECT COUNT(*) FROM requests WHERE status = 'scored') AS scored,
        (SELECT COUNT(*) FROM responses) AS responses,
        (SELECT COUNT(*) FROM deliveries WHERE status = 'pending') AS deliveries_pending`.pipe(
      Effect.flatMap(decodeRows(StatsRow))
    )
    const [size] = yield* storeBytes.pipe(Effect.flatMap(decodeRows(BytesRow)))
    return {
      requests: counts?.requests ?? 0,
      pending: counts?.pending ?? 0,
      scored: counts?.scored ?? 0,
      responses: counts?.responses ?? 0,
      deliveriesPending: counts?.deliveries_pending ?? 0,
      storeBytes: size?.bytes ?? 0
    }
  }).pipe(Effect.withSpan("ValidatorStore.stats"), asStoreError("stats"))

  return ValidatorStore.of({
    saveRequest,
    dueRequests,
    getRequest,
    recordScoring,
    loadScores,
    saveScores,
    pendingDeliveries,
    markDelivered,
    markDeliveryFailed,
    requestForHit,
    mergeMTurkResponse,
    accuracyCounts,
    pruneAccuracy,
    recordWeights,
    lastWeights,
    recordScoreSnapshot,
    scoreHistory,
    createApiKey,
    findApiKey,
    revokeApiKey,
    listApiKeys,
    recentRequests,
    stats
  })
})

/** `ValidatorStore` on the ambient `SqlClient` (migrates on build). */
export const ValidatorStoreSql: Layer.Layer<ValidatorStore, StoreError, SqlClient.SqlClient> = Layer.effect(ValidatorStore, makeValidatorStore)

/** `ValidatorStore` on the configured database (SQLite file or PostgreSQL). */
export const ValidatorStoreLive = (config: StoreConfig) => ValidatorStoreSql.pipe(Layer.provide(SqlLive(config)))

/** `ValidatorStore` on a fresh in-memory SQLite database (tests). */
export const ValidatorStoreTest = ValidatorStoreLive(memoryStore)
