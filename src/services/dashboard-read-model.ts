/**
 * Read-only views over the validator's store for the dashboard (port); `/metrics` and the dataset
 * export read its counts and listing too. Nothing here changes state. Times are unix seconds.
 */
import { Context, type Effect } from "effect"
import type { RequestKind, StoredResult } from "./request-ledger.ts"
import type { ScoreSnapshotRow } from "./score-ledger.ts"
import type { StoreError } from "./store-error.ts"

export { StoreError } from "./store-error.ts"

/** A snapshot row with its time. */
export interface ScoreHistoryRow extends ScoreSnapshotRow {
  readonly at: number
}

/** A line of the recent-requests list. */
export interface RecentRequest {
  readonly requestId: string
  readonly kind: RequestKind
  readonly prompt: string
  readonly nCompletions: number
  readonly createdAt: number
  readonly deadlineAt: number
  readonly status: "pending" | "scored"
  readonly responseCount: number
  readonly result?: StoredResult
}

/** Counts for the dashboard. */
export interface StoreStats {
  readonly requests: number
  readonly pending: number
  readonly scored: number
  readonly responses: number
  readonly deliveriesPending: number
  /** Size of the database (file pages for SQLite, `pg_database_size` for PostgreSQL). */
  readonly storeBytes: number
}

/** The dashboard read model's operations. */
export interface DashboardReadModelShape {
  /** The newest requests first, with their result when scored. */
  readonly recentRequests: (limit: number) => Effect.Effect<ReadonlyArray<RecentRequest>, StoreError>
  /** Counts and size. */
  readonly stats: Effect.Effect<StoreStats, StoreError>
  /** Snapshot rows taken at or after `since`, by time then uid. */
  readonly scoreHistory: (since: number) => Effect.Effect<ReadonlyArray<ScoreHistoryRow>, StoreError>
}

/** What the dashboard shows of the validator's store. */
export class DashboardReadModel extends Context.Tag("dojo/DashboardReadModel")<DashboardReadModel, DashboardReadModelShape>() {}
