import { describe, expect, test } from "bun:test"
import { judgeAnswer } from "../../../src/domain/scoring/answer-verdict.ts"
import type { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { testRankingRequest } from "../../support/fixtures.ts"

const request = testRankingRequest()
const answer = (fields: Partial<RankingRequest>): RankingRequest => ({ ...request, ...fields })

describe("judgeAnswer", () => {
  test("each verdict", () => {
    expect(judgeAnswer(request, answer({ scoring_method: "hf_model", ranks: [{ cid: "a", score: 0.5 }] }))).toBe("valid")
    expect(judgeAnswer(request, answer({ ranks: [{ cid: "a", score: 0.5 }] }))).toBe("no method")
    expect(judgeAnswer(request, answer({ scoring_method: "llm_api", ranks: [] }))).toBe("no ranks")
    expect(judgeAnswer(request, answer({ scoring_method: "llm_api", ranks: [{ cid: "x", score: 0.5 }] }))).toBe("no ranks")
    expect(judgeAnswer(request, answer({ scoring_method: "hf_model", ranks: [{ cid: "a", score: 0.5 }, { cid: "b", score: 1.5 }] }))).toBe(
      "score out of range"
    )
    expect(judgeAnswer(request, answer({ scoring_method: "aws_mturk" }))).toBe("no hit id")
    expect(judgeAnswer(request, answer({ scoring_method: "aws_mturk", mturk_hit_id: "HIT" }))).toBe("valid")
  })
})
