/**
 * The validator's request ledger (port): requests and their responses, scoring, the delivery outbox,
 * MTurk merges and the accuracy outcomes scoring records. Every method that changes state is one
 * transaction: a crash leaves either all of a change or none of it. Times are unix seconds (fractions allowed).
 */
import { Context, Data, type Effect, type Option } from "effect"
import type { ModelConfig, Rank, RankingRequest, RankingResult, ScoringMethod } from "../domain/wire/protocol.ts"
import type { ScoreEntry } from "./score-ledger.ts"
import type { StoreError } from "./store-error.ts"

export { StoreError } from "./store-error.ts"

/** Where a request came from: the seed stream, a hidden evaluation pair, or the scoring API. */
export type RequestKind = "seed" | "evaluation" | "api"

/** The human-preferred and the rejected completion of an evaluation request. */
export interface EvaluationPair {
  readonly chosenCid: string
  readonly rejectedCid: string
}

/** One miner's valid answer to a request, as kept until scoring. */
export interface StoredResponse {
  readonly hotkey: string
  readonly uid: number
  readonly scoringMethod: ScoringMethod | null
  readonly modelConfig: ModelConfig | null
  readonly ranks: ReadonlyArray<Rank>
  readonly mturkHitId: string | null
  readonly humanVerified: boolean
  readonly source: "axon" | "mturk"
  readonly receivedAt: number
  /** When the MTurk result replacing this response was verified (only after a merge). */
  readonly verifiedAt?: number
}

/** A request and its responses, to persist in one transaction. */
export interface NewRequest {
  readonly request: RankingRequest
  readonly kind: RequestKind
  readonly evaluation?: EvaluationPair
  readonly apiKeyId?: string
  readonly createdAt: number
  readonly deadlineAt: number
  /** In the order received; scoring sees them in this order. */
  readonly responses: ReadonlyArray<StoredResponse>
}

/** A pending request whose deadline has passed, with everything scoring needs: what was saved. */
export type DueRequest = NewRequest & {
  /** Changes whenever the request's responses change (an MTurk merge); scoring commits only on the one it read. */
  readonly revision: number
}

/** The consensus stored for a scored request. */
export type StoredResult = RankingResult & { readonly scoredAt: number }

/** A request as stored, pending or scored. */
export interface StoredRequest extends DueRequest {
  readonly status: "pending" | "scored"
  readonly result?: StoredResult
}

/** Whether a miner ranked a hidden preference pair the human way. */
export interface AccuracyOutcome {
  readonly hotkey: string
  readonly outcome: "correct" | "wrong"
}

/** Where to send a participant its `RankingResult`. */
export interface DeliveryTarget {
  readonly hotkey: string
  readonly ip: string
  readonly port: number
}

/** Everything one scoring of one request changes, committed together. */
export interface ScoringRecord {
  readonly requestId: string
  readonly result: RankingResult
  /** The whole new EMA vector; it replaces the stored one (read back with `ScoreLedger.loadScores`). */
  readonly scores: ReadonlyArray<ScoreEntry>
  readonly accuracyOutcomes: ReadonlyArray<AccuracyOutcome>
  readonly deliverTo: ReadonlyArray<DeliveryTarget>
  readonly scoredAt: number
  /** The request's revision this scoring was computed from; if it changed since, nothing is committed. */
  readonly revision?: number
}

/** A `RankingResult` still to be sent to one participant (outbox row). */
export interface PendingDelivery {
  readonly requestId: string
  readonly hotkey: string
  readonly ip: string
  readonly port: number
  /** Failed attempts so far. */
  readonly attempts: number
  readonly result: RankingResult
}

/** State of one outbox row. */
export type DeliveryStatus = "pending" | "delivered" | "failed"

/** A verified MTurk result replacing a miner's response. */
export interface MTurkMerge {
  readonly requestId: string
  readonly hotkey: string
  readonly hitId: string
  readonly ranks: ReadonlyArray<Rank>
  readonly verifiedAt: number
}

/** What `mergeMTurkResponse` did; only "merged" changed anything. */
export type MergeOutcome =
  | "merged"
  | "duplicate"
  | "already-scored"
  | "unknown-request"
  | "not-participant"
  | "hit-mismatch"

/** A miner's accuracy tally inside the window. */
export interface AccuracyCount {
  readonly correct: number
  readonly answered: number
}

/** `recordScoring` found the request already scored (by this or another process); nothing changed. */
export class AlreadyScored extends Data.TaggedError("AlreadyScored")<{ readonly requestId: string }> {}

/** The request's responses changed (an MTurk merge) after this scoring read them; nothing changed. */
export class RequestChanged extends Data.TaggedError("RequestChanged")<{ readonly requestId: string }> {}

/** `recordScoring` was given a request id the store does not hold; nothing changed. */
export class UnknownRequest extends Data.TaggedError("UnknownRequest")<{ readonly requestId: string }> {}

/** The request ledger's operations. */
export interface RequestLedgerShape {
  /** Persists a request with all its valid responses (one transaction). */
  readonly saveRequest: (input: NewRequest) => Effect.Effect<void, StoreError>
  /** Pending requests whose deadline is at or before `now`, oldest first, with their responses. */
  readonly dueRequests: (now: number, limit: number) => Effect.Effect<ReadonlyArray<DueRequest>, StoreError>
  /** One request, pending or scored. */
  readonly getRequest: (requestId: string) => Effect.Effect<Option.Option<StoredRequest>, StoreError>
  /**
   * Stores the result, replaces the EMA vector, adds accuracy outcomes, enqueues one delivery per target
   * and marks the request scored — one transaction, exactly once even across processes.
   */
  readonly recordScoring: (
    input: ScoringRecord
  ) => Effect.Effect<void, StoreError | AlreadyScored | UnknownRequest | RequestChanged>
  /** Outbox rows due at `now` (next attempt time reached), oldest due first. */
  readonly pendingDeliveries: (now: number, limit: number) => Effect.Effect<ReadonlyArray<PendingDelivery>, StoreError>
  /** Marks a pending delivery done (no-op if it is not pending). */
  readonly markDelivered: (requestId: string, hotkey: string, at: number) => Effect.Effect<void, StoreError>
  /**
   * Counts a failed attempt; after `maxAttempts` failures the row is "failed" and never retried.
   * Returns the row's status afterwards, or "unknown" if there is no such delivery.
   */
  readonly markDeliveryFailed: (
    requestId: string,
    hotkey: string,
    error: string,
    nextAttemptAt: number,
    maxAttempts: number
  ) => Effect.Effect<DeliveryStatus | "unknown", StoreError>
  /** The request `hotkey` answered with MTurk HIT `hitId` (how a Python miner's MTurkResponse, which names no request, is matched). */
  readonly requestForHit: (hotkey: string, hitId: string) => Effect.Effect<Option.Option<string>, StoreError>
  /** Replaces a participant's response with its verified MTurk result (one transaction). */
  readonly mergeMTurkResponse: (input: MTurkMerge) => Effect.Effect<MergeOutcome, StoreError>
  /** Per hotkey, outcomes recorded at or after `since`. */
  readonly accuracyCounts: (since: number) => Effect.Effect<ReadonlyMap<string, AccuracyCount>, StoreError>
  /** Deletes outcomes recorded before `before`; returns how many. */
  readonly pruneAccuracy: (before: number) => Effect.Effect<number, StoreError>
}

/** The validator's requests, from query to delivered result. */
export class RequestLedger extends Context.Tag("dojo/RequestLedger")<RequestLedger, RequestLedgerShape>() {}
