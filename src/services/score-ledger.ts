/**
 * The validator's scores and weights (port): the EMA score vector (written by
 * `RequestLedger.recordScoring`, in the scoring's transaction), the weights set on chain from it and the
 * snapshots the dashboard charts. Times are unix seconds.
 */
import { Context, type Effect, type Option } from "effect"
import type { StoreError } from "./store-error.ts"

export { StoreError } from "./store-error.ts"

/** One entry of the EMA score vector. */
export interface ScoreEntry {
  readonly uid: number
  readonly hotkey: string
  readonly score: number
}

/** Weights as set on chain. */
export interface WeightsRecord {
  readonly block: number
  readonly uids: ReadonlyArray<number>
  /** u16 values as sent. */
  readonly weights: ReadonlyArray<number>
  readonly versionKey: number
  readonly at: number
}

/** One uid in a score snapshot (for the dashboard). */
export interface ScoreSnapshotRow {
  readonly uid: number
  readonly hotkey: string
  readonly score: number
  readonly weight: number
}

/** The score ledger's operations. */
export interface ScoreLedgerShape {
  /** The EMA score vector, by uid. */
  readonly loadScores: Effect.Effect<ReadonlyArray<ScoreEntry>, StoreError>
  /** Records weights set on chain (one row per block; a repeat for a block replaces it). */
  readonly recordWeights: (input: WeightsRecord) => Effect.Effect<void, StoreError>
  /** The most recently recorded weights. */
  readonly lastWeights: Effect.Effect<Option.Option<WeightsRecord>, StoreError>
  /** Stores one snapshot of scores and weights for the dashboard (replacing one at the same time). */
  readonly recordScoreSnapshot: (at: number, rows: ReadonlyArray<ScoreSnapshotRow>) => Effect.Effect<void, StoreError>
}

/** The validator's EMA scores and the weights set from them. */
export class ScoreLedger extends Context.Tag("dojo/ScoreLedger")<ScoreLedger, ScoreLedgerShape>() {}
