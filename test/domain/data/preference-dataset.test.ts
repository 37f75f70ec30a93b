import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { datasetRow, rowPreferencePairs, type ScoredRequestInput } from "../../../src/domain/data/preference-dataset.ts"
import type { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { testCompletions, testRankingRequest } from "../../support/fixtures.ts"

const request = (texts: ReadonlyArray<string>, prompt = "How do I bake bread?"): RankingRequest =>
  testRankingRequest({ epoch_timestamp: 100, request_id: "r-1", prompt, completions: testCompletions(texts) })

const input = (texts: ReadonlyArray<string>, consensus: Record<string, number>, miners = 3): ScoredRequestInput => ({
  request: request(texts),
  result: {
    request_id: "r-1",
    cid_to_consensus: consensus,
    hotkey_to_score: Object.fromEntries(Array.from({ length: miners }, (_, i) => [`hk${i}`, 1 / miners]))
  },
  createdAt: 100,
  scoredAt: 200
})

describe("datasetRow", () => {
  test("completions highest consensus first; chosen/rejected are best and worst; every unequal pair", () => {
    const out = datasetRow(input(["mid", "best", "worst"], { c0: 0.5, c1: 0.9, c2: 0.1 }, 4))
    expect(out._tag).toBe("Row")
    if (out._tag !== "Row") return
    const row = out.row
    expect(row.completions).toEqual([
      { cid: "c1", text: "best", consensus_score: 0.9 },
      { cid: "c0", text: "mid", consensus_score: 0.5 },
      { cid: "c2", text: "worst", consensus_score: 0.1 }
    ])
    expect([row.chosen, row.rejected, row.chosen_cid, row.rejected_cid]).toEqual(["best", "worst", "c1", "c2"])
    expect(row.pairs).toEqual([
      { chosen_cid: "c1", rejected_cid: "c0" },
      { chosen_cid: "c1", rejected_cid: "c2" },
      { chosen_cid: "c0", rejected_cid: "c2" }
    ])
    expect([row.n_miners, row.created_at, row.scored_at, row.prompt]).toEqual([4, 100, 200, "How do I bake bread?"])
    expect(rowPreferencePairs(row)).toEqual([
      { prompt: "How do I bake bread?", chosen: "best", rejected: "mid" },
      { prompt: "How do I bake bread?", chosen: "best", rejected: "worst" },
      { prompt: "How do I bake bread?", chosen: "mid", rejected: "worst" }
    ])
  })

  test("ties give no pair; unscored completions are left out", () => {
    const out = datasetRow(input(["a", "b", "c", "d"], { c0: 0.5, c1: 0.5, c3: 0.2 }))
    expect(out._tag).toBe("Row")
    if (out._tag !== "Row") return
    expect(out.row.completions.map((c) => c.cid)).toEqual(["c0", "c1", "c3"])
    expect(out.row.pairs).toEqual([
      { chosen_cid: "c0", rejected_cid: "c3" },
      { chosen_cid: "c1", rejected_cid: "c3" }
    ])
  })

  test("skipped: fewer than two scored completions, or all tied", () => {
    expect(datasetRow(input(["a", "b"], { c0: 0.7 }))).toEqual({ _tag: "Skipped", reason: "fewer-than-two-scored" })
    expect(datasetRow(input(["a", "b"], { c0: 0.7, zzz: 0.1 }))).toEqual({ _tag: "Skipped", reason: "fewer-than-two-scored" })
    expect(datasetRow(input(["a", "b", "c"], { c0: 0.4, c1: 0.4, c2: 0.4 }))).toEqual({ _tag: "Skipped", reason: "all-tied" })
  })

  test("a cid named like an Object prototype key is not mistaken for a score", () => {
    const r = request(["a", "b"])
    const withProto = { ...r, completions: [{ cid: "toString", text: "a" }, { cid: "c1", text: "b" }] }
    const out = datasetRow({ request: withProto, result: { request_id: "r-1", cid_to_consensus: { c1: 0.3 }, hotkey_to_score: {} }, createdAt: 1, scoredAt: 2 })
    expect(out).toEqual({ _tag: "Skipped", reason: "fewer-than-two-scored" })
  })

  const scores = fc.array(fc.option(fc.constantFrom(0, 0.1, 0.25, 0.5, 0.75, 1), { nil: undefined }), { minLength: 0, maxLength: 8 })

  test("property: pairs are exactly the unequal pairs, chosen above rejected; a row iff ≥ 2 scored and not all tied", () => {
    fc.assert(
      fc.property(scores, (list) => {
        const texts = list.map((_, i) => `text ${i}`)
        const consensus: Record<string, number> = {}
        list.forEach((s, i) => {
          if (s !== undefined) consensus[`c${i}`] = s
        })
        const scored = Object.values(consensus)
        const unequal = scored.flatMap((a, i) => scored.slice(i + 1).filter((b) => a !== b)).length
        const out = datasetRow(input(texts, consensus))
        if (scored.length < 2) return out._tag === "Skipped" && out.reason === "fewer-than-two-scored"
        if (unequal === 0) return out._tag === "Skipped" && out.reason === "all-tied"
        if (out._tag !== "Row") return false
        const score = new Map(out.row.completions.map((c) => [c.cid, c.consensus_score]))
        const ordered = out.row.completions.every((c, i, all) => i === 0 || all[i - 1]!.consensus_score >= c.consensus_score)
        const keys = new Set(out.row.pairs.map((p) => `${p.chosen_cid}>${p.rejected_cid}`))
        return (
          ordered &&
          out.row.completions.length === scored.length &&
          out.row.pairs.length === unequal &&
          keys.size === unequal &&
          out.row.pairs.every((p) => score.get(p.chosen_cid)! > score.get(p.rejected_cid)!) &&
          score.get(out.row.chosen_cid) === Math.max(...scored) &&
          score.get(out.row.rejected_cid) === Math.min(...scored) &&
          rowPreferencePairs(out.row).length === unequal
        )
      })
    )
  })
})
