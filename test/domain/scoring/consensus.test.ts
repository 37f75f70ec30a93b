import { describe, expect, test } from "bun:test"
import { Schema } from "effect"
import fc from "fast-check"
import { computeConsensus, type MinerResponse, toRankingResult } from "../../../src/domain/scoring/consensus.ts"
import { RankingResult, type ScoringMethod } from "../../../src/domain/wire/protocol.ts"
import { makeRng, shuffle } from "../../../src/domain/prng.ts"
import { averageRanks } from "../../../src/domain/scoring/spearman.ts"

const cids = ["a", "b", "c", "d"]
const one = () => 1
const response = (hotkey: string, scores: Record<string, number>, extra: Partial<MinerResponse> = {}): MinerResponse => ({
  hotkey,
  scoringMethod: "hf_model",
  humanVerified: false,
  ranks: Object.entries(scores).map(([cid, score]) => ({ cid, score })),
  ...extra
})
const miner = (c: ReturnType<typeof computeConsensus>, hotkey: string) => {
  const m = c.miners.find((x) => x.hotkey === hotkey)
  if (m === undefined) throw new Error(`no miner ${hotkey}`)
  return m
}

// Two anchors fix the consensus order a > b > c > d; "m" ranks b > a > d > c, two adjacent swaps:
// Σd² = 4, so ρ = 1 − 6·4/(4·15) = 0.6.
const anchors = [response("A1", { a: 4, b: 3, c: 2, d: 1 }), response("A2", { a: 4, b: 3, c: 2, d: 1 })]
const sixTenths = (extra: Partial<MinerResponse>) =>
  computeConsensus({ cids, responses: [...anchors, response("m", { a: 0.2, b: 0.3, c: 0, d: 0.1 }, extra)], accuracy: one })

describe("computeConsensus: examples", () => {
  test("consensus means, ρ, rewards and softmax", () => {
    const c = computeConsensus({
      cids: ["a", "b", "c"],
      responses: [
        response("A", { a: 0.9, b: 0.5, c: 0.1 }),
        response("B", { a: 0.8, b: 0.6, c: 0.2 }),
        response("C", { a: 0.1, b: 0.5, c: 0.9 })
      ],
      accuracy: one
    })
    expect(c.cidToConsensus.a).toBeCloseTo(0.6, 15)
    expect(c.cidToConsensus.b).toBeCloseTo(1.6 / 3, 15)
    expect(c.cidToConsensus.c).toBeCloseTo(0.4, 15)
    expect(c.miners.map((m) => [m.hotkey, m.spearman, m.reward])).toEqual([
      ["A", 1, 1],
      ["B", 1, 1],
      ["C", -1, 0]
    ])
    const e = Math.E
    expect(c.hotkeyToScore.A).toBeCloseTo(e / (2 * e + 1), 15)
    expect(c.hotkeyToScore.C).toBeCloseTo(1 / (2 * e + 1), 15)
  })

  test("the accuracy multiplier is applied once", () => {
    const c = computeConsensus({
      cids: ["a", "b"],
      responses: [response("A", { a: 1, b: 0 }), response("B", { a: 1, b: 0 })],
      accuracy: (h) => (h === "A" ? 0.5 : 1)
    })
    expect(miner(c, "A").reward).toBe(0.5) // squared would be 0.25
    expect(miner(c, "B").reward).toBe(1)
    expect(miner(c, "A").score).toBeCloseTo(Math.exp(0.5) / (Math.exp(0.5) + Math.E), 15)
  })

  test("×1.2 only for verified aws_mturk", () => {
    expect(miner(sixTenths({}), "m").spearman).toBeCloseTo(0.6, 14)
    expect(miner(sixTenths({ scoringMethod: "aws_mturk", humanVerified: true }), "m").reward).toBeCloseTo(0.86, 14)
    expect(miner(sixTenths({ scoringMethod: "aws_mturk", humanVerified: false }), "m").reward).toBeCloseTo(0.8, 14)
    expect(miner(sixTenths({ scoringMethod: "hf_model", humanVerified: true }), "m").reward).toBeCloseTo(0.8, 14)
    expect(miner(sixTenths({ scoringMethod: null, humanVerified: true }), "m").reward).toBeCloseTo(0.8, 14)
    // a boosted perfect agreement is clamped to 1, not 1.1
    const perfect = computeConsensus({
      cids,
      responses: [...anchors, response("m", { a: 9, b: 8, c: 7, d: 6 }, { scoringMethod: "aws_mturk", humanVerified: true })],
      accuracy: one
    })
    expect(miner(perfect, "m").reward).toBe(1)
  })

  test("a completion the miner skipped ranks below all it scored, even with negative scores", () => {
    const c = computeConsensus({
      cids: ["a", "b", "c"],
      responses: [...["A1", "A2", "A3"].map((h) => response(h, { a: 0.9, b: 0.5, c: 0.1 })), response("m", { a: -0.5 })],
      accuracy: one
    })
    expect(c.cidToConsensus.a).toBeCloseTo(0.55, 15)
    expect(c.cidToConsensus.c).toBeCloseTo(0.1, 15)
    // m's ranks [3, 1.5, 1.5] against consensus ranks [3, 2, 1]: √3/2 (the original's "missing = 0" gives −√3/2)
    expect(miner(c, "m").spearman).toBeCloseTo(Math.sqrt(3) / 2, 14)
  })

  test("responses without usable ranks are no participants; unscored cids are omitted", () => {
    const c = computeConsensus({
      cids: ["a", "b", "c"],
      responses: [
        response("A", { a: 0.9, b: 0.5 }),
        response("empty", {}),
        response("stray", { zz: 1 }),
        response("nan", { a: Number.NaN })
      ],
      accuracy: one
    })
    expect(Object.keys(c.hotkeyToScore)).toEqual(["A"])
    expect(c.hotkeyToScore.A).toBe(1)
    expect(Object.keys(c.cidToConsensus)).toEqual(["a", "b"])
    // one completion scored: Spearman is undefined (scipy NaN) → 0 → reward 0.5
    const single = computeConsensus({ cids: ["a", "b"], responses: [response("A", { a: 3 })], accuracy: one })
    expect(miner(single, "A").reward).toBe(0.5)
    expect(computeConsensus({ cids, responses: [], accuracy: one })).toEqual({ cidToConsensus: {}, hotkeyToScore: {}, miners: [] })
  })

  test("duplicate hotkeys: higher priority wins, equal priority the later one, a rankless one never", () => {
    const run = (responses: MinerResponse[]) => miner(computeConsensus({ cids: ["a", "b"], responses: [response("X", { a: 1, b: 0 }), response("Y", { a: 1, b: 0 }), ...responses], accuracy: one }), "m")
    const up = { a: 1, b: 0 }
    const down = { a: 0, b: 1 }
    expect(run([response("m", up, { scoringMethod: "aws_mturk" }), response("m", down, { scoringMethod: "llm_api" })]).spearman).toBe(1)
    expect(run([response("m", down, { scoringMethod: "llm_api" }), response("m", up, { scoringMethod: "aws_mturk" })]).spearman).toBe(1)
    expect(run([response("m", down), response("m", up)]).spearman).toBe(1)
    expect(run([response("m", up, { scoringMethod: null }), response("m", down, { scoringMethod: "llm_api" })]).spearman).toBe(-1)
    expect(run([response("m", up), response("m", {}, { scoringMethod: "aws_mturk" })]).spearman).toBe(1)
  })

  test("toRankingResult is a valid RankingResult", () => {
    const result = toRankingResult("req-1", sixTenths({}))
    expect(Schema.decodeUnknownSync(RankingResult)(result)).toEqual(result)
    expect(result.request_id).toBe("req-1")
    expect(Object.keys(result.hotkey_to_score).sort()).toEqual(["A1", "A2", "m"])
    expect(Object.keys(result.cid_to_consensus)).toEqual(cids)
  })
})

const methods: ReadonlyArray<ScoringMethod | null> = ["hf_model", "llm_api", "aws_mturk", null]
const allCids = ["c0", "c1", "c2", "c3", "c4", "c5"]
const responseArb = fc.record({
  hotkey: fc.constantFrom("h0", "h1", "h2", "h3", "h4", "h5", "h6"),
  scoringMethod: fc.constantFrom(...methods),
  humanVerified: fc.boolean(),
  ranks: fc.uniqueArray(
    fc.record({ cid: fc.constantFrom(...allCids), score: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.double({ min: -10, max: 10, noNaN: true })) }),
    { selector: (r) => r.cid, maxLength: 6 }
  )
})
const uniqueHotkeys = fc.uniqueArray(responseArb, { selector: (r) => r.hotkey, maxLength: 7 })
// Several responses per hotkey, but never two of equal priority: the winner does not depend on order.
const distinctPriorities = fc.uniqueArray(responseArb, { selector: (r) => `${r.hotkey}/${r.scoringMethod}`, maxLength: 14 })
const accuracies = fc.dictionary(fc.constantFrom("h0", "h1", "h2", "h3", "h4", "h5", "h6"), fc.double({ min: 0, max: 1, noNaN: true }))
const accuracyOf = (acc: Record<string, number>) => (h: string) => acc[h] ?? 1

describe("computeConsensus: properties", () => {
  test("bit-identical whatever the order of the responses", () => {
    fc.assert(
      fc.property(fc.oneof(uniqueHotkeys, distinctPriorities), accuracies, fc.integer(), (responses, acc, seed) => {
        const shuffled = shuffle(responses, makeRng(seed))
        const a = computeConsensus({ cids: allCids, responses, accuracy: accuracyOf(acc) })
        const b = computeConsensus({ cids: allCids, responses: shuffled, accuracy: accuracyOf(acc) })
        expect(JSON.stringify(b)).toBe(JSON.stringify(a))
      })
    )
  })

  test("scores sum to 1 when anyone took part; rewards in [0, 1]; ρ in [−1, 1]", () => {
    fc.assert(
      fc.property(distinctPriorities, accuracies, (responses, acc) => {
        const c = computeConsensus({ cids: allCids, responses, accuracy: accuracyOf(acc) })
        const participants = new Set(responses.filter((r) => r.ranks.length > 0).map((r) => r.hotkey))
        expect(c.miners.map((m) => m.hotkey).sort()).toEqual([...participants].sort())
        if (participants.size > 0) expect(Math.abs(Object.values(c.hotkeyToScore).reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12)
        for (const m of c.miners) {
          expect(m.reward >= 0 && m.reward <= 1).toBe(true)
          expect(Math.abs(m.spearman)).toBeLessThanOrEqual(1)
        }
      })
    )
  })

  test("the boost and the accuracy act exactly as specified, accuracy once", () => {
    fc.assert(
      fc.property(distinctPriorities, accuracies, (responses, acc) => {
        const plain = computeConsensus({ cids: allCids, responses, accuracy: one })
        const withAcc = computeConsensus({ cids: allCids, responses, accuracy: accuracyOf(acc) })
        for (const m of withAcc.miners) {
          // aws_mturk has the top priority, so a ranked aws_mturk response is the one kept
          const mturk = responses.find((x) => x.hotkey === m.hotkey && x.ranks.length > 0 && x.scoringMethod === "aws_mturk")
          const boosted = mturk?.humanVerified === true
          const s = Math.min(1, Math.max(0, ((boosted ? 1.2 : 1) * m.spearman + 1) / 2))
          expect(miner(plain, m.hotkey).reward).toBe(s)
          expect(m.reward).toBe(s * (acc[m.hotkey] ?? 1))
        }
      })
    )
  })

  test("a miner identical to the consensus gets the top reward", () => {
    fc.assert(
      fc.property(uniqueHotkeys, fc.constantFrom(...methods), (others, method) => {
        const before = computeConsensus({ cids: allCids, responses: others, accuracy: one })
        fc.pre(Object.keys(before.cidToConsensus).length > 0)
        const me = response("me", before.cidToConsensus, { scoringMethod: method })
        const after = computeConsensus({ cids: allCids, responses: [...others, me], accuracy: one })
        // Adding a miner equal to the mean leaves the mean unchanged, up to rounding; skip rounding-induced reorders.
        const scored = Object.keys(after.cidToConsensus)
        fc.pre(JSON.stringify(averageRanks(scored.map((c) => before.cidToConsensus[c]!))) === JSON.stringify(averageRanks(scored.map((c) => after.cidToConsensus[c]!))))
        const top = Math.max(...after.miners.map((m) => m.reward))
        expect(miner(after, "me").reward).toBe(top)
      })
    )
  })
})
