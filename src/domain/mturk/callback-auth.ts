/**
 * Authentication of the MTurk Lambda → miner callback, and the callback's body.
 *
 * The Lambda and the miner share a secret (`DOJO_CALLBACK_SECRET`). The Lambda sends
 *   x-dojo-timestamp: <unix seconds, decimal digits>
 *   x-dojo-signature: <hex HMAC-SHA256(secret, canonical)>, canonical = `${timestamp}.${sha256hex(rawBody)}`
 * The miner checks the signature over the raw body bytes (before parsing them) with a constant-time
 * compare, then that the timestamp is within ±300 s of its clock. A captured request therefore stops
 * working after five minutes; inside that window a replay only repeats assignments the miner already
 * stored, and the miner is idempotent per AssignmentId.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto"
import { Data, Either, Redacted, Schema } from "effect"
import type { JsonLimits } from "../wire/json-limits.ts"

/** Header carrying the signing time in unix seconds. */
export const TIMESTAMP_HEADER = "x-dojo-timestamp"
/** Header carrying the hex HMAC-SHA256 signature. */
export const SIGNATURE_HEADER = "x-dojo-signature"
/** How far the timestamp may be from the verifier's clock, either way. */
export const DEFAULT_TOLERANCE_SECONDS = 300

/** Why a callback was refused; `reason` is safe to return to the caller and to log. */
export class CallbackAuthError extends Data.TaggedError("CallbackAuthError")<{
  readonly reason: "missing_header" | "malformed_timestamp" | "malformed_signature" | "bad_signature" | "stale_timestamp"
  readonly message: string
}> {}

const utf8 = (body: string | Uint8Array): Uint8Array => (typeof body === "string" ? new TextEncoder().encode(body) : body)

/** Lowercase hex SHA-256 of the body bytes (a string is taken as UTF-8). */
export const sha256Hex = (body: string | Uint8Array): string => createHash("sha256").update(utf8(body)).digest("hex")

/** The string that is signed: `${timestamp}.${sha256hex(body)}`. */
export const canonicalString = (timestamp: number, body: string | Uint8Array): string => `${timestamp}.${sha256Hex(body)}`

const hmacHex = (secret: Redacted.Redacted<string>, message: string): string =>
  createHmac("sha256", Redacted.value(secret)).update(message).digest("hex")

/** Signs a callback body at `nowSeconds`; returns the two headers to send with it. */
export const signCallback = (
  secret: Redacted.Redacted<string>,
  body: string | Uint8Array,
  nowSeconds: number
): { readonly [TIMESTAMP_HEADER]: string; readonly [SIGNATURE_HEADER]: string } => {
  const timestamp = Math.floor(nowSeconds)
  return {
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: hmacHex(secret, canonicalString(timestamp, body))
  }
}

const TIMESTAMP_RE = /^[0-9]{1,12}$/
const SIGNATURE_RE = /^[0-9a-f]{64}$/

/**
 * Verifies a callback: signature over the raw body and timestamp within `toleranceSeconds` of
 * `nowSeconds`. Header values are as received (undefined/null when absent).
 */
export const verifyCallback = (args: {
  readonly secret: Redacted.Redacted<string>
  readonly body: string | Uint8Array
  readonly timestamp: string | null | undefined
  readonly signature: string | null | undefined
  readonly nowSeconds: number
  readonly toleranceSeconds?: number
}): Either.Either<{ readonly timestamp: number }, CallbackAuthError> => {
  const { timestamp, signature } = args
  if (timestamp == null || signature == null)
    return Either.left(
      new CallbackAuthError({
        reason: "missing_header",
        message: `${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER} headers are required`
      })
    )
  if (!TIMESTAMP_RE.test(timestamp))
    return Either.left(
      new CallbackAuthError({ reason: "malformed_timestamp", message: `${TIMESTAMP_HEADER} must be unix seconds` })
    )
  if (!SIGNATURE_RE.test(signature))
    return Either.left(
      new CallbackAuthError({
        reason: "malformed_signature",
        message: `${SIGNATURE_HEADER} must be 64 lowercase hex digits`
      })
    )
  const ts = Number(timestamp)
  const expected = Buffer.from(hmacHex(args.secret, canonicalString(ts, args.body)), "hex")
  if (!timingSafeEqual(expected, Buffer.from(signature, "hex")))
    return Either.left(new CallbackAuthError({ reason: "bad_signature", message: "signature does not match" }))
  const tolerance = args.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  if (Math.abs(args.nowSeconds - ts) > tolerance)
    return Either.left(
      new CallbackAuthError({
        reason: "stale_timestamp",
        message: `timestamp is more than ${tolerance} s away from the receiver's clock`
      })
    )
  return Either.right({ timestamp: ts })
}

// MTurk ids are ~30 upper-case alphanumerics; allow a little more, never control characters or markup.
const TurkId = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9._:-]{1,128}$/))

const IsoTime = Schema.String.pipe(
  Schema.filter((s) => !Number.isNaN(Date.parse(s)) || "must be an ISO-8601 date-time")
)

/** One submitted assignment, as the Lambda forwards it from ListAssignmentsForHIT. */
export const CallbackAssignment = Schema.Struct({
  AssignmentId: TurkId,
  WorkerId: TurkId,
  HITId: TurkId,
  SubmitTime: IsoTime,
  /** The QuestionFormAnswers XML exactly as MTurk returned it. */
  Answer: Schema.String.pipe(Schema.maxLength(65_536))
})
export type CallbackAssignment = typeof CallbackAssignment.Type

/**
 * What a callback body may contain, checked over its raw bytes before parsing: it nests 3 levels (body →
 * assignments → assignment), lists at most 1,000 assignments, and an Answer is at most 64 Ki characters
 * (JSON escapes can take up to 6 bytes for one).
 */
export const CALLBACK_JSON_LIMITS: JsonLimits = { maxDepth: 8, maxItems: 1_000, maxStringBytes: 6 * 65_536, maxNumberChars: 32 }

/** The callback body: every submitted assignment of one HIT so far (the miner keeps each once). */
export const CallbackBody = Schema.Struct({
  HITId: TurkId,
  assignments: Schema.Array(CallbackAssignment).pipe(Schema.maxItems(1_000))
}).pipe(
  Schema.filter((b) => {
    const seen = new Set<string>()
    for (const [i, a] of b.assignments.entries()) {
      if (a.HITId !== b.HITId)
        return { path: ["assignments", i, "HITId"], message: `must equal the body's HITId ${b.HITId}` }
      if (seen.has(a.AssignmentId))
        return { path: ["assignments", i, "AssignmentId"], message: `${a.AssignmentId} appears twice` }
      seen.add(a.AssignmentId)
    }
    return true
  })
)
export type CallbackBody = typeof CallbackBody.Type
