/**
 * `MinerStore` over `@effect/sql` (SQLite or PostgreSQL). Like the validator store, each state change is
 * one transaction that writes first (locking the HIT row) and decides by the rows a write returned.
 */
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option, Schema } from "effect"
import {
  type Assignment,
  type HitRecord,
  type MinerResult,
  MinerStore,
  type NewHit
} from "../../services/miner-store.ts"
import type { StoreError } from "../../services/store-error.ts"
import { asStoreError, batches, decodeRows, encodeJson, NullableNumber, NumberColumn } from "./columns.ts"
import { minerMigrations, runMigrations } from "./migrations.ts"
import { memoryStore, SqlLive, type StoreConfig } from "./sql-client.ts"

const ScoreMap = Schema.Record({ key: Schema.String, value: Schema.Number })

const ResultRow = Schema.Struct({
  request_id: Schema.String,
  validator_hotkey: Schema.String,
  cid_to_consensus: Schema.parseJson(ScoreMap),
  my_score: NullableNumber,
  received_at: NumberColumn
})

const HitRow = Schema.Struct({
  hit_id: Schema.String,
  request_id: Schema.String,
  validator_hotkey: Schema.String,
  validator_ip: Schema.String,
  validator_port: NumberColumn,
  cids: Schema.parseJson(Schema.Array(Schema.String)),
  expected_assignments: NumberColumn,
  created_at: NumberColumn,
  expires_at: NumberColumn,
  status: Schema.Literal("pending", "delivered", "failed"),
  attempts: NumberColumn,
  next_attempt_at: NumberColumn,
  last_error: Schema.NullOr(Schema.String),
  delivered_at: NullableNumber
})
type HitRow = typeof HitRow.Type

const AssignmentRow = Schema.Struct({
  assignment_id: Schema.String,
  hit_id: Schema.String,
  worker_id: Schema.String,
  scores: Schema.parseJson(ScoreMap),
  submitted_at: NumberColumn
})

const StatusRow = Schema.Struct({ status: Schema.Literal("pending", "delivered", "failed") })

const encodeScores = encodeJson(ScoreMap)
const encodeCids = encodeJson(Schema.Array(Schema.String))

/** Keeps stored error texts bounded. */
const clip = (text: string): string => (text.length > 1000 ? `${text.slice(0, 1000)}…` : text)

const toHit = (row: HitRow, assignments: ReadonlyArray<Assignment>): HitRecord => ({
  hitId: row.hit_id,
  requestId: row.request_id,
  validatorHotkey: row.validator_hotkey,
  validatorIp: row.validator_ip,
  validatorPort: row.validator_port,
  cids: row.cids,
  expectedAssignments: row.expected_assignments,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  assignments,
  delivery: {
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    ...(row.last_error === null ? {} : { lastError: row.last_error }),
    ...(row.delivered_at === null ? {} : { deliveredAt: row.delivered_at })
  }
})

/** Builds the store on the ambient `SqlClient`, migrating the schema first. */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* runMigrations("dojo_miner_migrations", minerMigrations).pipe(asStoreError("migrate"))

  const decodeHits = decodeRows(HitRow)
  const decodeAssignments = decodeRows(AssignmentRow)

  /** Hits with their assignments, in the order given. */
  const withAssignments = (rows: ReadonlyArray<HitRow>) =>
    Effect.gen(function* () {
      const grouped = new Map<string, Array<Assignment>>()
      for (const ids of batches(
        rows.map((r) => r.hit_id),
        1
      )) {
        if (ids.length === 0) continue
        const assignments = yield* sql`SELECT * FROM mturk_assignments WHERE ${sql.in("hit_id", ids)}
          ORDER BY hit_id, submitted_at, assignment_id`.pipe(Effect.flatMap(decodeAssignments))
        for (const a of assignments) {
          const list = grouped.get(a.hit_id) ?? []
          list.push({
            assignmentId: a.assignment_id,
            hitId: a.hit_id,
            workerId: a.worker_id,
            scores: a.scores,
            submittedAt: a.submitted_at
          })
          grouped.set(a.hit_id, list)
        }
      }
      return rows.map((row) => toHit(row, grouped.get(row.hit_id) ?? []))
    })

  const recordResult = Effect.fn("MinerStore.recordResult")(
    function* (input: MinerResult) {
      const consensus = yield* encodeScores(input.cidToConsensus)
      const inserted = yield* sql`INSERT INTO miner_results ${sql.insert({
        request_id: input.requestId,
        validator_hotkey: input.validatorHotkey,
        cid_to_consensus: consensus,
        my_score: input.myScore,
        received_at: input.receivedAt
      })} ON CONFLICT (request_id, validator_hotkey) DO NOTHING RETURNING request_id`
      return inserted.length > 0 ? ("recorded" as const) : ("duplicate" as const)
    },
    asStoreError("recordResult")
  )

  const recentResults = Effect.fn("MinerStore.recentResults")(
    function* (limit: number) {
      const rows = yield* sql`SELECT * FROM miner_results ORDER BY received_at DESC, request_id DESC, validator_hotkey
        LIMIT ${limit}`.pipe(Effect.flatMap(decodeRows(ResultRow)))
      return rows.map(
        (row): MinerResult => ({
          requestId: row.request_id,
          validatorHotkey: row.validator_hotkey,
          cidToConsensus: row.cid_to_consensus,
          myScore: row.my_score,
          receivedAt: row.received_at
        })
      )
    },
    asStoreError("recentResults")
  )

  const recordHit = Effect.fn("MinerStore.recordHit")(
    function* (input: NewHit) {
      const cids = yield* encodeCids(input.cids)
      const inserted = yield* sql`INSERT INTO mturk_hits ${sql.insert({
        hit_id: input.hitId,
        request_id: input.requestId,
        validator_hotkey: input.validatorHotkey,
        validator_ip: input.validatorIp,
        validator_port: input.validatorPort,
        cids,
        expected_assignments: input.expectedAssignments,
        assignment_count: 0,
        created_at: input.createdAt,
        expires_at: input.expiresAt,
        status: "pending",
        attempts: 0,
        next_attempt_at: input.createdAt,
        last_error: null,
        delivered_at: null
      })} ON CONFLICT (hit_id) DO NOTHING RETURNING hit_id`
      return inserted.length > 0 ? ("recorded" as const) : ("duplicate" as const)
    },
    asStoreError("recordHit")
  )

  const addAssignment = Effect.fn("MinerStore.addAssignment")(
    function* (input: Assignment) {
      const scores = yield* encodeScores(input.scores)
      return yield* sql.withTransaction(
        Effect.gen(function* () {
          // Lock the HIT row first (a no-op write): concurrent deliveries of the same HIT serialise here.
          const hit = yield* sql`UPDATE mturk_hits SET assignment_count = assignment_count
            WHERE hit_id = ${input.hitId} RETURNING hit_id`
          if (hit.length === 0) return "unknown-hit" as const
          const inserted = yield* sql`INSERT INTO mturk_assignments ${sql.insert({
            assignment_id: input.assignmentId,
            hit_id: input.hitId,
            worker_id: input.workerId,
            scores,
            submitted_at: input.submittedAt
          })} ON CONFLICT (assignment_id) DO NOTHING RETURNING assignment_id`
          if (inserted.length === 0) return "duplicate" as const
          yield* sql`UPDATE mturk_hits SET assignment_count = assignment_count + 1 WHERE hit_id = ${input.hitId}`
          return "added" as const
        })
      )
    },
    asStoreError("addAssignment")
  )

  const getHit = Effect.fn("MinerStore.getHit")(
    function* (hitId: string) {
      const rows = yield* sql`SELECT * FROM mturk_hits WHERE hit_id = ${hitId}`.pipe(Effect.flatMap(decodeHits))
      const hits = yield* withAssignments(rows)
      return Option.fromNullable(hits[0])
    },
    asStoreError("getHit")
  )

  const hitsReadyToDeliver = Effect.fn("MinerStore.hitsReadyToDeliver")(
    function* (now: number) {
      const rows = yield* sql`SELECT * FROM mturk_hits
        WHERE status = 'pending' AND next_attempt_at <= ${now}
          AND (assignment_count >= expected_assignments OR (expires_at <= ${now} AND assignment_count >= 1))
        ORDER BY created_at, hit_id`.pipe(Effect.flatMap(decodeHits))
      return yield* withAssignments(rows)
    },
    asStoreError("hitsReadyToDeliver")
  )

  const markHitDelivered = Effect.fn("MinerStore.markHitDelivered")(
    (hitId: string, at: number) =>
      Effect.asVoid(sql`UPDATE mturk_hits SET status = 'delivered', delivered_at = ${at}, last_error = NULL
        WHERE hit_id = ${hitId} AND status = 'pending'`),
    asStoreError("markHitDelivered")
  )

  const recordHitDeliveryFailure = Effect.fn("MinerStore.recordHitDeliveryFailure")(
    function* (hitId: string, error: string, nextAttemptAt: number, maxAttempts?: number) {
      const nextStatus =
        maxAttempts === undefined
          ? sql.literal("'pending'")
          : sql`CASE WHEN attempts + 1 >= ${maxAttempts} THEN 'failed' ELSE 'pending' END`
      const updated = yield* sql`UPDATE mturk_hits SET attempts = attempts + 1, last_error = ${clip(error)},
          next_attempt_at = ${nextAttemptAt}, status = ${nextStatus}
        WHERE hit_id = ${hitId} AND status = 'pending' RETURNING status`.pipe(Effect.flatMap(decodeRows(StatusRow)))
      const rows =
        updated.length > 0
          ? updated
          : yield* sql`SELECT status FROM mturk_hits WHERE hit_id = ${hitId}`.pipe(Effect.flatMap(decodeRows(StatusRow)))
      return rows[0]?.status ?? ("unknown" as const)
    },
    asStoreError("recordHitDeliveryFailure")
  )

  return MinerStore.of({
    recordResult,
    recentResults,
    recordHit,
    addAssignment,
    getHit,
    hitsReadyToDeliver,
    markHitDelivered,
    recordHitDeliveryFailure
  })
})

/** `MinerStore` on the ambient `SqlClient` (migrates on build). */
export const layerSql: Layer.Layer<MinerStore, StoreError, SqlClient.SqlClient> = Layer.effect(MinerStore, make)

/** `MinerStore` on the configured database (SQLite file or PostgreSQL). */
export const layer = (config: StoreConfig) => layerSql.pipe(Layer.provide(SqlLive(config)))

/** `MinerStore` on a fresh in-memory SQLite database (tests). */
export const layerTest = layer(memoryStore)
