/**
 * The miner's durable store (port): results validators sent back, and MTurk HITs with the worker
 * assignments collected for them until the aggregate is delivered to the validator that asked.
 * Every state change is one transaction. Times are unix seconds.
 */
import { Context, type Effect, type Option } from "effect"
import type { StoreError } from "./store-error.ts"

export { StoreError } from "./store-error.ts"

/** A validator's `RankingResult` as the miner keeps it. */
export interface MinerResult {
  readonly requestId: string
  readonly validatorHotkey: string
  readonly cidToConsensus: Readonly<Record<string, number>>
  /** This miner's entry of `hotkey_to_score`, when present. */
  readonly myScore: number | null
  readonly receivedAt: number
}

/** An MTurk HIT created to answer one validator's request. */
export interface NewHit {
  readonly hitId: string
  readonly requestId: string
  readonly validatorHotkey: string
  readonly validatorIp: string
  readonly validatorPort: number
  readonly cids: ReadonlyArray<string>
  readonly expectedAssignments: number
  readonly createdAt: number
  readonly expiresAt: number
}

/** One worker's submitted answer: a slider value per completion id. */
export interface Assignment {
  readonly assignmentId: string
  readonly hitId: string
  readonly workerId: string
  readonly scores: Readonly<Record<string, number>>
  readonly submittedAt: number
}

/** Delivery state of a HIT's aggregate to its validator. */
export interface HitDelivery {
  readonly status: "pending" | "delivered" | "failed"
  readonly attempts: number
  readonly nextAttemptAt: number
  readonly lastError?: string
  readonly deliveredAt?: number
}

/** A HIT with its assignments (in submission order) and delivery state. */
export interface HitRecord extends NewHit {
  readonly assignments: ReadonlyArray<Assignment>
  readonly delivery: HitDelivery
}

/** The miner store's operations. */
export interface MinerStoreShape {
  /** Records a validator's result; a repeat for the same (request, validator) changes nothing. */
  readonly recordResult: (input: MinerResult) => Effect.Effect<"recorded" | "duplicate", StoreError>
  /** The newest results first. */
  readonly recentResults: (limit: number) => Effect.Effect<ReadonlyArray<MinerResult>, StoreError>
  /** Records a new HIT (due for delivery as soon as it is ready); a repeat of its id changes nothing. */
  readonly recordHit: (input: NewHit) => Effect.Effect<"recorded" | "duplicate", StoreError>
  /** Adds a worker's assignment to its HIT (one transaction, idempotent per assignment id). */
  readonly addAssignment: (input: Assignment) => Effect.Effect<"added" | "duplicate" | "unknown-hit", StoreError>
  /** A HIT with its assignments and delivery state. */
  readonly getHit: (hitId: string) => Effect.Effect<Option.Option<HitRecord>, StoreError>
  /**
   * Undelivered HITs whose next attempt time has come and that either have all their expected
   * assignments or have expired with at least one; oldest first.
   */
  readonly hitsReadyToDeliver: (now: number) => Effect.Effect<ReadonlyArray<HitRecord>, StoreError>
  /** Marks a HIT's aggregate delivered (no-op unless pending). */
  readonly markHitDelivered: (hitId: string, at: number) => Effect.Effect<void, StoreError>
  /**
   * Counts a failed delivery and schedules the next attempt; with `maxAttempts`, the HIT becomes
   * "failed" (never retried) once that many attempts failed. Returns the status afterwards.
   */
  readonly recordHitDeliveryFailure: (
    hitId: string,
    error: string,
    nextAttemptAt: number,
    maxAttempts?: number
  ) => Effect.Effect<HitDelivery["status"] | "unknown", StoreError>
}

/** The miner's durable store. */
export class MinerStore extends Context.Tag("dojo/MinerStore")<MinerStore, MinerStoreShape>() {}
