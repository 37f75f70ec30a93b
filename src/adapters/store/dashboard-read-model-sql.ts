/** `DashboardReadModel` over `@effect/sql` (SQLite or PostgreSQL): read-only queries, no transactions needed. */
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import {
  DashboardReadModel,
  type RecentRequest,
  type ScoreHistoryRow
} from "../../services/dashboard-read-model.ts"
import type { StoreError } from "../../services/store-error.ts"
import { asStoreError, decodeRows, NumberColumn } from "./columns.ts"
import { validatorSchema } from "./migrations.ts"
import { RequestRow, storedResult } from "./request-rows.ts"
import { memoryStore, SqlLive } from "./sql-client.ts"

const SnapshotRow = Schema.Struct({
  at: NumberColumn,
  uid: NumberColumn,
  hotkey: Schema.String,
  score: NumberColumn,
  weight: NumberColumn
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

/** Builds the read model on the ambient `SqlClient` (its schema already migrated: see `layer`). */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  const recentRequests = Effect.fn("DashboardReadModel.recentRequests")(
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
  }).pipe(Effect.withSpan("DashboardReadModel.stats"), asStoreError("stats"))

  const scoreHistory = Effect.fn("DashboardReadModel.scoreHistory")(
    (since: number) =>
      sql`SELECT at, uid, hotkey, score, weight FROM score_snapshots WHERE at >= ${since} ORDER BY at, uid`.pipe(
        Effect.flatMap(decodeRows(SnapshotRow)),
        Effect.map((rows): ReadonlyArray<ScoreHistoryRow> => rows)
      ),
    asStoreError("scoreHistory")
  )

  return DashboardReadModel.of({ recentRequests, stats, scoreHistory })
})

/** `DashboardReadModel` on the ambient `SqlClient`, migrating the validator's schema first. */
export const layer: Layer.Layer<DashboardReadModel, StoreError, SqlClient.SqlClient> = Layer.effect(DashboardReadModel, make).pipe(
  Layer.provide(validatorSchema)
)

/** `DashboardReadModel` on a fresh in-memory SQLite database (tests). */
export const layerTest: Layer.Layer<DashboardReadModel, StoreError> = layer.pipe(Layer.provide(SqlLive(memoryStore)))
