import { describe, expect, test } from "bun:test"
import { Schema } from "effect"
import fc from "fast-check"
import { computeConsensus, type MinerResponse, toRankingResult } from "../../../src/domain/scoring/consensus.ts"
import { RankingResult, type ScoringMethod } from "../../../src/domain/wire/protocol.ts"
import { makeRng, shuffle } from "../../../src/domain/prng.ts"
import { averageRanks } from "../../../src/domain/scoring/spearman.ts"
import type { RewardRule } from "../../../src/domain/scoring/reward-rule.ts"

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

describe("computeConsensus: hand-computed cases", () => {
  // A and B rank a > b > c, C the reverse; A has full accuracy, B half, C none.
  const responses = [response("A", { a: 1, b: 0.5, c: 0 }), response("B", { a: 1, b: 0.5, c: 0 }), response("C", { a: 0, b: 0.5, c: 1 })]
  const acc = (h: string) => ({ A: 1, B: 0.5, C: 0 })[h] ?? 1

  test("original: plain mean (2/3, 1/2, 1/3), ρ = 1, 1, −1, rewards 1, 0.5, 0, softmax of those", () => {
    const c = computeConsensus({ cids: ["a", "b", "c"], responses, accuracy: acc, rule: { name: "original" } })
    expect(c.cidToConsensus).toEqual({ a: 2 / 3, b: 0.5, c: 1 / 3 })
    expect(c.miners.map((m) => [m.hotkey, m.spearman, m.reward])).toEqual([
      ["A", 1, 1],
      ["B", 1, 0.5],
      ["C", -1, 0]
    ])
    const z = Math.E + Math.sqrt(Math.E) + 1
    expect(c.hotkeyToScore.A).toBeCloseTo(Math.E / z, 15)
    expect(c.hotkeyToScore.B).toBeCloseTo(Math.sqrt(Math.E) / z, 15)
    expect(c.hotkeyToScore.C).toBeCloseTo(1 / z, 15)
  })

  test("new (exponent 2): weights 1, 1/4, 0 give A's scores as consensus; rewards 1, 0.5, 0; shares 0.8, 0.2, 0", () => {
    const c = computeConsensus({ cids: ["a", "b", "c"], responses, accuracy: acc, rule: { name: "new", exponent: 2 } })
    expect(c.cidToConsensus).toEqual({ a: 1, b: 0.5, c: 0 })
    expect(c.miners.map((m) => [m.hotkey, m.spearman, m.reward])).toEqual([
      ["A", 1, 1],
      ["B", 1, 0.5],
      ["C", -1, 0]
    ])
    expect(c.hotkeyToScore.A).toBeCloseTo(0.8, 15)
    expect(c.hotkeyToScore.B).toBeCloseTo(0.2, 15)
    expect(c.hotkeyToScore.C).toBe(0)
  })

  test("new with nobody credited: the plain mean, and every share 0", () => {
    const c = computeConsensus({ cids: ["a", "b", "c"], responses, accuracy: () => 0, rule: { name: "new", exponent: 2 } })
    expect(c.cidToConsensus).toEqual({ a: 2 / 3, b: 0.5, c: 1 / 3 })
    expect(Object.values(c.hotkeyToScore)).toEqual([0, 0, 0])
  })

  test("new, exponent 1, a tie: m ranks b = c below a against the consensus a > b > c, ρ = √3/2", () => {
    const c = computeConsensus({
      cids: ["a", "b", "c"],
      responses: [response("A", { a: 3, b: 2, c: 1 }), response("m", { a: 1, b: 0, c: 0 })],
      accuracy: (h) => (h === "m" ? 0 : 1), // m weighs nothing in the mean, so the consensus is A's
      rule: { name: "new", exponent: 1 }
    })
    expect(c.cidToConsensus).toEqual({ a: 3, b: 2, c: 1 })
    // ranks (3, 1.5, 1.5) vs (3, 2, 1): centred (1, −0.5, −0.5)·(1, 0, −1) = 1; √(1.5·2) = √3 → 1/√3·… = √3/2
    expect(miner(c, "m").spearman).toBeCloseTo(Math.sqrt(3) / 2, 14)
    expect(miner(c, "m").reward).toBe(0) // accuracy 0
    expect(c.hotkeyToScore).toEqual({ A: 1, m: 0 })
  })
})

/**
 * A reference written from the rule's words, not from consensus.ts: ranks by counting (no sort), the
 * correlation from raw sums, the winner per hotkey by scanning backwards, shares from their definitions.
 */
const reference = (cids: ReadonlyArray<string>, responses: ReadonlyArray<MinerResponse>, accuracy: (h: string) => number, rule: RewardRule) => {
  const rankOf = (method: ScoringMethod | null) => (method === "aws_mturk" ? 3 : method === "hf_model" ? 2 : method === "llm_api" ? 1 : 0)
  const usable = (r: MinerResponse) => {
    const out: Record<string, number> = {}
    for (const { cid, score } of r.ranks) if (cids.includes(cid) && Number.isFinite(score) && !(cid in out)) out[cid] = score
    return out
  }
  const hotkeys = [...new Set(responses.map((r) => r.hotkey))].sort()
  const kept: Array<{ hotkey: string; response: MinerResponse; scores: Record<string, number> }> = []
  for (const hotkey of hotkeys) {
    let best: MinerResponse | undefined
    // The last response of the highest priority: scan from the end, replace only on strictly higher.
    for (let i = responses.length - 1; i >= 0; i--) {
      const r = responses[i]!
      if (r.hotkey !== hotkey || Object.keys(usable(r)).length === 0) continue
      if (best === undefined || rankOf(r.scoringMethod) > rankOf(best.scoringMethod)) best = r
    }
    if (best !== undefined) kept.push({ hotkey, response: best, scores: usable(best) })
  }
  const clamp = (x: number) => Math.min(1, Math.max(0, x))
  const consensus: Record<string, number> = {}
  for (const cid of cids) {
    const scored = kept.filter((k) => cid in k.scores)
    if (scored.length === 0) continue
    const plain = scored.reduce((s, k) => s + k.scores[cid]!, 0) / scored.length
    if (rule.name === "original") consensus[cid] = plain
    else {
      const w = (k: (typeof kept)[number]) => clamp(accuracy(k.hotkey)) ** 2
      const total = scored.reduce((s, k) => s + w(k), 0)
      consensus[cid] = total > 0 ? scored.reduce((s, k) => s + w(k) * k.scores[cid]!, 0) / total : plain
    }
  }
  const ranks = (xs: ReadonlyArray<number>) => xs.map((x) => xs.filter((y) => y < x).length + (xs.filter((y) => y === x).length + 1) / 2)
  const rho = (x: ReadonlyArray<number>, y: ReadonlyArray<number>) => {
    const n = x.length
    if (n < 2) return 0
    const [rx, ry] = [ranks(x), ranks(y)]
    const sum = (f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i)).reduce((a, b) => a + b, 0)
    const sx = sum((i) => rx[i]!)
    const sy = sum((i) => ry[i]!)
    const vx = n * sum((i) => rx[i]! ** 2) - sx * sx
    const vy = n * sum((i) => ry[i]! ** 2) - sy * sy
    return vx === 0 || vy === 0 ? 0 : (n * sum((i) => rx[i]! * ry[i]!) - sx * sy) / Math.sqrt(vx * vy)
  }
  const order = Object.keys(consensus)
  const miners = kept.map((k) => {
    const r = rho(
      order.map((cid) => k.scores[cid] ?? Number.NEGATIVE_INFINITY),
      order.map((cid) => consensus[cid]!)
    )
    const boosted = k.response.scoringMethod === "aws_mturk" && k.response.humanVerified ? 1.2 * r : r
    const agree = clamp(rule.name === "original" ? (boosted + 1) / 2 : boosted)
    return { hotkey: k.hotkey, spearman: r, reward: agree * clamp(accuracy(k.hotkey)) }
  })
  const weights = miners.map((m) => (rule.name === "original" ? Math.exp(m.reward) : m.reward > 0 ? m.reward ** rule.exponent : 0))
  const total = weights.reduce((a, b) => a + b, 0)
  return { consensus, miners: miners.map((m, i) => ({ ...m, score: total > 0 ? weights[i]! / total : 0 })) }
}

describe("computeConsensus: against the reference", () => {
  // Scores on a grid of quarters and accuracies in quarters: every sum is exact, so means that are equal
  // in exact arithmetic are equal floats and ties in the consensus are the same ties for both.
  const grid = fc.constantFrom(-1, -0.5, 0, 0.25, 0.5, 0.75, 1, 2)
  const rankArb = fc.record({
    cid: fc.constantFrom("c0", "c1", "c2", "c3", "c4", "stray"),
    score: fc.oneof({ weight: 8, arbitrary: grid }, { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY) })
  })
  const responsesArb = fc.array(
    fc.record({
      hotkey: fc.constantFrom("h0", "h1", "h2", "h3", "h4"),
      scoringMethod: fc.constantFrom<ScoringMethod | null>("hf_model", "llm_api", "aws_mturk", null),
      humanVerified: fc.boolean(),
      ranks: fc.array(rankArb, { maxLength: 7 }) // duplicates cids too: the first counts
    }),
    { maxLength: 10 }
  )
  const accuracyArb = fc.dictionary(fc.constantFrom("h0", "h1", "h2", "h3", "h4"), fc.constantFrom(0, 0.25, 0.5, 0.75, 1))
  const ruleArb = fc.oneof(fc.constant<RewardRule>({ name: "original" }), fc.integer({ min: 1, max: 3 }).map((exponent): RewardRule => ({ name: "new", exponent })))

  test("the same participants, consensus, ρ, rewards and shares", () => {
    fc.assert(
      fc.property(fc.subarray(["c0", "c1", "c2", "c3", "c4"], { minLength: 1 }), responsesArb, accuracyArb, ruleArb, (cids, responses, acc, rule) => {
        const accuracy = (h: string) => acc[h] ?? 1
        const got = computeConsensus({ cids, responses, accuracy, rule })
        const want = reference(cids, responses, accuracy, rule)
        expect(got.cidToConsensus).toEqual(want.consensus)
        expect(got.miners.map((m) => m.hotkey)).toEqual(want.miners.map((m) => m.hotkey))
        want.miners.forEach((w, i) => {
          const m = got.miners[i]!
          expect(m.spearman).toBeCloseTo(w.spearman, 12)
          expect(m.reward).toBeCloseTo(w.reward, 12)
          expect(m.score).toBeCloseTo(w.score, 12)
          expect(got.hotkeyToScore[w.hotkey]).toBe(m.score)
        })
      }),
      { numRuns: 500 }
    )
  })
})
