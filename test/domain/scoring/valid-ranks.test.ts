import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { answerRanks, validRanks } from "../../../src/domain/scoring/valid-ranks.ts"

const cids = ["a", "b", "c"]
const rank = fc.record({
  cid: fc.constantFrom("a", "b", "c", "x"),
  score: fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 0, 1))
})

describe("validRanks", () => {
  test("examples: unknown cids, non-finite scores and later duplicates are dropped", () => {
    expect(
      validRanks(cids, [
        { cid: "a", score: 0.5 },
        { cid: "x", score: 1 },
        { cid: "b", score: Number.NaN },
        { cid: "a", score: 0.9 },
        { cid: "c", score: -3 }
      ])
    ).toEqual([
      { cid: "a", score: 0.5 },
      { cid: "c", score: -3 }
    ])
  })

  test("keeps exactly the first finite rank of each known cid, in order", () => {
    fc.assert(
      fc.property(fc.array(rank, { maxLength: 12 }), (ranks) => {
        const kept = validRanks(cids, ranks)
        const expected = cids
          .map((cid) => ranks.findIndex((r) => r.cid === cid && Number.isFinite(r.score)))
          .filter((i) => i >= 0)
          .sort((a, b) => a - b)
          .map((i) => ranks[i]!)
        expect(kept).toEqual(expected)
      })
    )
  })
})

describe("answerRanks", () => {
  test("an MTurk answer carries no ranks; any other carries its valid ranks", () => {
    const ranks = [{ cid: "a", score: 0.5 }, { cid: "x", score: 1 }]
    expect(answerRanks("aws_mturk", cids, ranks)).toEqual([])
    expect(answerRanks("hf_model", cids, ranks)).toEqual([{ cid: "a", score: 0.5 }])
    expect(answerRanks(null, cids, ranks)).toEqual([{ cid: "a", score: 0.5 }])
  })
})
