/**
 * Which miner answers the validator keeps for scoring: a known scoring method and, for model methods,
 * every score in [0, 1] and a valid rank (valid-ranks.ts) for at least one completion; an MTurk answer
 * needs its HIT id (the human scores arrive later as an MTurkResponse).
 */
import type { RankingRequest } from "../wire/protocol.ts"
import { validRanks } from "./valid-ranks.ts"

/** Why an answer was not kept, or "valid". */
export type AnswerVerdict = "valid" | "no method" | "no ranks" | "score out of range" | "no hit id"

/** Judges one decoded answer to `request`. */
export const judgeAnswer = (request: RankingRequest, answer: RankingRequest): AnswerVerdict => {
  if (answer.scoring_method === null) return "no method"
  if (answer.scoring_method === "aws_mturk") return answer.mturk_hit_id === null ? "no hit id" : "valid"
  if (!answer.ranks.every((r) => r.score >= 0 && r.score <= 1)) return "score out of range"
  const cids = request.completions.map((c) => c.cid)
  return validRanks(cids, answer.ranks).length === 0 ? "no ranks" : "valid"
}
