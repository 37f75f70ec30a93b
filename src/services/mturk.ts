/**
 * The `MTurk` port: the few Mechanical Turk requester calls Dojo makes — post a HIT, route its
 * AssignmentSubmitted events to an SNS topic, read its assignments back.
 */
import { Context, Data, type Effect } from "effect"
import type { MTurkEnvironment } from "../domain/wire/protocol.ts"

/** What a HIT offers workers (dojo.md §2.4 defaults in `defaultHitTerms`). */
export interface HitTerms {
  readonly title: string
  readonly description: string
  /** Comma-separated. */
  readonly keywords: string
  /** US dollars as MTurk writes them, e.g. "0.01". */
  readonly reward: string
  readonly maxAssignments: number
  readonly lifetimeSeconds: number
  readonly assignmentDurationSeconds: number
  readonly autoApprovalDelaySeconds: number
}

/** dojo.md §2.4: reward 0.01, 3 assignments, 1 h lifetime, 10 min per assignment, auto-approve after 1 day. */
export const defaultHitTerms: HitTerms = {
  title: "Prompt & Completion Evaluation Task",
  description: "Read a prompt and its responses, then score each response from 1 (lowest) to 10 (highest) for quality.",
  keywords: "text, quick, labeling, scoring, easy, bonus",
  reward: "0.01",
  maxAssignments: 3,
  lifetimeSeconds: 3600,
  assignmentDurationSeconds: 600,
  autoApprovalDelaySeconds: 86_400
}

/** A HIT to create: its terms and its question XML. */
export interface NewHit extends HitTerms {
  /** HTMLQuestion XML (src/domain/mturk/formats.ts `buildHtmlQuestion`). */
  readonly question: string
  /** Private note kept with the HIT (not shown to workers), ≤ 255 characters. */
  readonly requesterAnnotation?: string
  /** Makes a retried CreateHIT idempotent for 24 h (≤ 64 characters). */
  readonly uniqueRequestToken?: string
}

/** A HIT MTurk created. */
export interface CreatedHit {
  readonly hitId: string
  readonly hitTypeId: string
  /** Unix milliseconds when the HIT stops being offered. */
  readonly expiresAt: number
  readonly maxAssignments: number
}

/** Where to send a HIT type's notifications. */
export interface NotificationTarget {
  readonly hitTypeId: string
  /** SNS topic ARN (`AWS_SNS_ARN_ID`). */
  readonly snsTopicArn: string
  /** Default `["AssignmentSubmitted"]`. */
  readonly eventTypes?: ReadonlyArray<string>
  /** Default true. */
  readonly active?: boolean
}

/** Assignment states MTurk reports. */
export type AssignmentStatus = "Submitted" | "Approved" | "Rejected"

/** An assignment as MTurk reports it. */
export interface MTurkAssignment {
  readonly assignmentId: string
  readonly workerId: string
  readonly hitId: string
  readonly status: AssignmentStatus
  /** Unix milliseconds; absent until the worker submits. */
  readonly submitTime: number | undefined
  /** QuestionFormAnswers XML ("" when the worker gave none). */
  readonly answer: string
}

/** MTurk refused the request (a RequestError: bad parameters, unknown HIT, duplicate token, …). */
export class MTurkRequestError extends Data.TaggedError("MTurkRequestError")<{
  readonly operation: string
  readonly message: string
  readonly turkErrorCode: string | undefined
}> {}

/** MTurk could not be reached or kept failing (ServiceFault, throttling, network, timeout, credentials). */
export class MTurkUnavailable extends Data.TaggedError("MTurkUnavailable")<{
  readonly operation: string
  readonly message: string
}> {}

export type MTurkError = MTurkRequestError | MTurkUnavailable

/** What the `MTurk` service offers. */
export interface MTurkShape {
  readonly environment: MTurkEnvironment
  readonly createHit: (hit: NewHit) => Effect.Effect<CreatedHit, MTurkError>
  readonly updateNotificationSettings: (target: NotificationTarget) => Effect.Effect<void, MTurkError>
  /** Every assignment of the HIT in the given states (default Submitted and Approved), all pages. */
  readonly listAssignmentsForHit: (
    hitId: string,
    statuses?: ReadonlyArray<AssignmentStatus>
  ) => Effect.Effect<ReadonlyArray<MTurkAssignment>, MTurkError>
}

/** The Mechanical Turk requester calls Dojo makes. */
export class MTurk extends Context.Tag("dojo/MTurk")<MTurk, MTurkShape>() {}
