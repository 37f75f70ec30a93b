/**
 * The validator's `MTurkResponse` handler. A miner that answered a request with an MTurk HIT later sends
 * the workers' scores. We trust none of its numbers: we list the HIT's assignments with MTurk itself,
 * using the short-lived credentials the miner supplied, recompute the per-completion means from the
 * workers' answers, and merge that as the miner's human-verified response (×1.2 in consensus). Anything
 * that does not check out is refused and changes nothing.
 */
import { Effect, Either, Option } from "effect"
import { aggregateAssignments, assignmentScores } from "../../domain/mturk/formats.ts"
import { refuse } from "../../domain/refusal.ts"
import type { MTurkResponse } from "../../domain/wire/protocol.ts"
import { MTurkAccess } from "../../services/mturk-access.ts"
import { RequestLedger, type MergeOutcome, type StoredRequest } from "../../services/request-ledger.ts"
import { nowSeconds } from "../clock.ts"

/** The merge outcomes that refuse the response. */
type RefusedOutcome = Exclude<MergeOutcome, "merged" | "duplicate">

const mergeRefusals: Record<RefusedOutcome, readonly [status: number, message: string]> = {
  "already-scored": [409, "the request was already scored; human feedback must arrive before its deadline"],
  "unknown-request": [404, "no such request"],
  "not-participant": [403, "the sender did not answer this request"],
  "hit-mismatch": [403, "this HIT is not the one the sender answered the request with"]
}

const refuseOutcome = (outcome: RefusedOutcome) => refuse(...mergeRefusals[outcome])

/**
 * The refusal the store's merge would give, decided before MTurk is asked (that call costs time and
 * uses the miner's credentials), or null when the merge may go ahead.
 */
const refusedBeforeMerge = (request: StoredRequest, sender: string, hitId: string): RefusedOutcome | null => {
  if (request.status === "scored") return "already-scored"
  const own = request.responses.find((r) => r.hotkey === sender)
  if (own === undefined) return "not-participant"
  return own.mturkHitId === hitId ? null : "hit-mismatch"
}

/** Verifies and merges one MTurkResponse from `sender` (an already signature-verified hotkey). */
export const handleMTurkResponse = Effect.fn("Validator.handleMTurkResponse")(function* (sender: string, body: MTurkResponse) {
  const store = yield* RequestLedger
  const access = yield* MTurkAccess
  if (body.aws_credentials === null) return yield* refuse(400, "aws_credentials are required to verify the HIT with MTurk")

  // A Python miner's MTurkResponse names no request (the class has no request_id): find the one the
  // sender answered with this HIT.
  const requestId =
    body.request_id ??
    Option.getOrNull(yield* store.requestForHit(sender, body.mturk_hit_id))
  if (requestId === null) return yield* refuse(404, `no request was answered by the sender with HIT ${body.mturk_hit_id}`)
  const stored = yield* store.getRequest(requestId)
  if (Option.isNone(stored)) return yield* refuseOutcome("unknown-request")
  const refused = refusedBeforeMerge(stored.value, sender, body.mturk_hit_id)
  if (refused !== null) return yield* refuseOutcome(refused)

  const cids = stored.value.request.completions.map((c) => c.cid)
  const assignments = yield* access
    .withCredentials(body.aws_credentials)
    .listAssignmentsForHit(body.mturk_hit_id)
    .pipe(Effect.catchAll((e) => refuse(502, `MTurk did not confirm the HIT: ${e.message}`)))
  const answers: Array<Record<string, number>> = []
  for (const a of assignments) {
    if (a.hitId !== "" && a.hitId !== body.mturk_hit_id) continue
    const scores = assignmentScores(a.answer, cids)
    // One worker's malformed answer does not void the others'; it just does not count.
    if (Either.isRight(scores)) answers.push(scores.right)
    else yield* Effect.logWarning("MTurk assignment ignored: its answer cannot be read").pipe(Effect.annotateLogs({ assignment: a.assignmentId, reason: scores.left.message }))
  }
  if (answers.length === 0) return yield* refuse(400, "MTurk lists no usable assignment for this HIT")
  const means = aggregateAssignments(answers, cids)
  const ranks = cids.flatMap((cid) => (means[cid] === undefined ? [] : [{ cid, score: means[cid]! }]))

  const outcome = yield* store.mergeMTurkResponse({
    requestId,
    hotkey: sender,
    hitId: body.mturk_hit_id,
    ranks,
    verifiedAt: yield* nowSeconds
  })
  if (outcome !== "merged" && outcome !== "duplicate") return yield* refuseOutcome(outcome)
  yield* Effect.logInfo("human feedback merged").pipe(
    Effect.annotateLogs({ request_id: requestId, hotkey: sender, hit: body.mturk_hit_id, assignments: answers.length, outcome })
  )
  return { outcome, ranks, assignments: answers.length }
})
