/**
 * The miner's decision on a human-feedback callback, the MTurk Lambda's report of a HIT's submitted
 * assignments (served over HTTP by adapters/http/human-feedback-callback.ts). In order: the shared secret
 * must be configured (503, checked before the body is read), the HMAC over the raw bytes and a fresh
 * timestamp must check out (401), the body must decode (400 naming the field), the HIT must be ours (404).
 * Each assignment is then parsed against the HIT's completions and stored once per AssignmentId. The
 * batch rule (README, "Batch inputs"): every assignment readable → 200; some readable → 207 listing what
 * was kept and what was refused (with the reason); none → 400 and nothing is stored. Refusals are
 * `Refusal`s (status and a reason safe to send back and to log) and change nothing.
 */
import { Effect, Either, Option, ParseResult, type Redacted, Schema } from "effect"
import { CALLBACK_JSON_LIMITS, CallbackBody, verifyCallback } from "../../domain/mturk/callback-auth.ts"
import { assignmentScores } from "../../domain/mturk/formats.ts"
import { type Refusal, refuse } from "../../domain/refusal.ts"
import { parseLimitedJson, refusalText } from "../../domain/wire/json-limits.ts"
import { MinerStore } from "../../services/miner-store.ts"
import { nowSeconds } from "../clock.ts"
import { MinerSettings } from "./settings.ts"

/** One callback as it arrived: the raw body bytes and its two authentication headers (as sent, if sent). */
export interface CallbackDelivery {
  readonly body: Uint8Array
  readonly timestamp: string | undefined
  readonly signature: string | undefined
}

/** What a callback did. */
export interface CallbackOutcome {
  readonly hitId: string
  /** AssignmentIds stored now or before (added + duplicate). */
  readonly kept: ReadonlyArray<string>
  readonly added: number
  readonly duplicate: number
  readonly rejected: ReadonlyArray<{ readonly assignmentId: string; readonly reason: string }>
}

/** The answer to a readable batch: its status under the batch rule, and why when not every assignment was kept. */
export interface CallbackAnswer {
  readonly status: 200 | 207 | 400
  readonly error?: string
  readonly outcome: CallbackOutcome
}


const fieldError = (error: ParseResult.ParseError): string => {
  const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
  if (first === undefined) return error.message
  const path = first.path.map(String).join(".")
  return path === "" ? first.message : `${path}: ${first.message}`
}

const decodeBody = Schema.decodeUnknownEither(CallbackBody, { errors: "first" })

/** The shared secret, or a 503 refusal when this miner has none (so the body need not be read at all). */
export const callbackSecret: Effect.Effect<Redacted.Redacted<string>, Refusal, MinerSettings> = Effect.flatMap(
  MinerSettings,
  (settings) =>
    Option.match(settings.callbackSecret, {
      onNone: () => refuse(503, "DOJO_CALLBACK_SECRET is not configured on this miner"),
      onSome: Effect.succeed
    })
)

/** The batch rule over what was stored: all kept → 200, some → 207 (the Lambda must not resend it), none → 400. */
const answerOf = (outcome: CallbackOutcome): CallbackAnswer =>
  outcome.rejected.length === 0
    ? { status: 200, outcome }
    : outcome.kept.length > 0
      ? { status: 207, error: "some assignments could not be read", outcome }
      : { status: 400, error: "no assignment could be read", outcome }

/** Verifies, decodes and stores one callback signed with `secret`; a refusal changes nothing. */
export const receiveCallback = Effect.fn("Miner.receiveCallback")(function* (secret: Redacted.Redacted<string>, delivery: CallbackDelivery) {
  const settings = yield* MinerSettings
  const store = yield* MinerStore
  const auth = verifyCallback({
    secret,
    body: delivery.body,
    timestamp: delivery.timestamp,
    signature: delivery.signature,
    nowSeconds: yield* nowSeconds,
    toleranceSeconds: settings.callbackToleranceSeconds
  })
  if (Either.isLeft(auth)) return yield* refuse(401, `${auth.left.reason}: ${auth.left.message}`)

  const json = parseLimitedJson(delivery.body, CALLBACK_JSON_LIMITS)
  if (Either.isLeft(json)) return yield* refuse(400, refusalText(json.left))
  const decoded = decodeBody(json.right)
  if (Either.isLeft(decoded)) return yield* refuse(400, fieldError(decoded.left))
  const body = decoded.right

  const hit = yield* store.getHit(body.HITId)
  if (Option.isNone(hit)) return yield* refuse(404, `unknown HIT ${body.HITId}`)
  const cids = hit.value.cids

  let added = 0
  let duplicate = 0
  const kept: Array<string> = []
  const rejected: Array<{ assignmentId: string; reason: string }> = []
  for (const a of body.assignments) {
    const scores = assignmentScores(a.Answer, cids)
    if (Either.isLeft(scores)) {
      rejected.push({ assignmentId: a.AssignmentId, reason: scores.left.message })
      continue
    }
    const stored = yield* store.addAssignment({
      assignmentId: a.AssignmentId,
      hitId: a.HITId,
      workerId: a.WorkerId,
      scores: scores.right,
      submittedAt: Math.floor(Date.parse(a.SubmitTime) / 1000)
    })
    if (stored === "added") added++
    else if (stored === "duplicate") duplicate++
    kept.push(a.AssignmentId)
  }
  const outcome: CallbackOutcome = { hitId: body.HITId, kept, added, duplicate, rejected }

  const log = Effect.annotateLogs({ hit_id: outcome.hitId, added, duplicate, rejected: rejected.length })
  if (rejected.length === 0) yield* log(Effect.logInfo("human feedback received"))
  else
    yield* log(
      Effect.logWarning("human feedback: assignments refused").pipe(
        Effect.annotateLogs({ reasons: rejected.map((r) => `${r.assignmentId}: ${r.reason}`).join("; ") })
      )
    )
  return answerOf(outcome)
})
