import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { accuracyCredit, accuracyMultiplier, wilsonLowerBound } from "../../../src/domain/scoring/accuracy.ts"
import { computeConsensus, type Consensus, type MinerResponse } from "../../../src/domain/scoring/consensus.ts"
import { agreement, defaultRewardRule, rewardRule, rewardShares } from "../../../src/domain/scoring/reward-rule.ts"
import { readFileSync } from "node:fs"
import { join } from "node:path"

// Outputs of the rule before issue 13 (recorded from commit 0af0314's computeConsensus + Laplace multiplier).
const golden = JSON.parse(readFileSync(join(import.meta.dir, "vectors", "reward-rule-original.json"), "utf8")) as {
  readonly cids: ReadonlyArray<string>
  readonly cases: ReadonlyArray<{
    readonly responses: ReadonlyArray<MinerResponse>
    readonly counts: Record<string, { correct: number; answered: number }>
    readonly output: Consensus
  }>
}

describe("--neuron.reward_rule original keeps today's numbers", () => {
  test(`bit-identical to the pre-change rule on ${golden.cases.length} recorded inputs`, () => {
    const rule = rewardRule("original")
    for (const c of golden.cases) {
      const accuracy = (h: string) => accuracyMultiplier(c.counts[h]?.correct ?? 0, c.counts[h]?.answered ?? 0)
      const now = computeConsensus({ cids: golden.cids, responses: c.responses, accuracy, rule })
      expect(JSON.parse(JSON.stringify(now))).toEqual(c.output)
    }
  })

  test("the recorded inputs are not trivial (most have several participants and differing rewards)", () => {
    const rich = golden.cases.filter((c) => c.output.miners.length >= 2 && new Set(c.output.miners.map((m) => m.score)).size >= 2)
    expect(rich.length).toBeGreaterThan(golden.cases.length / 2)
  })
})

describe("Wilson lower bound and accuracy credit", () => {
  test("examples", () => {
    expect(wilsonLowerBound(0, 0)).toBe(0)
    expect(wilsonLowerBound(10, 10, 1.96)).toBeCloseTo(0.7225, 3)
    expect(wilsonLowerBound(50, 100, 1.96)).toBeCloseTo(0.4038, 3)
    expect(wilsonLowerBound(50, 100)).toBeCloseTo(0.3753, 3)
    expect(accuracyCredit(5, 10)).toBe(0)
    expect(accuracyCredit(7, 10)).toBe(0) // 70 % of 10 is not evidence of skill
    expect(accuracyCredit(900, 1000)).toBeGreaterThan(0.7)
    expect(() => wilsonLowerBound(3, 2)).toThrow(RangeError)
  })

  const tally = fc.integer({ min: 0, max: 2000 }).chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n)))

  test("the bound lies in [0, accuracy] and the credit in [0, 1)", () => {
    fc.assert(
      fc.property(tally, ([c, n]) => {
        const lb = wilsonLowerBound(c, n)
        expect(lb).toBeGreaterThanOrEqual(0)
        expect(lb).toBeLessThanOrEqual(n === 0 ? 0 : c / n + 1e-12)
        const credit = accuracyCredit(c, n)
        expect(credit >= 0 && credit < 1).toBe(true)
      })
    )
  })

  test("no credit at or below chance, however many pairs", () => {
    fc.assert(fc.property(tally, ([c, n]) => void (2 * c <= n && expect(accuracyCredit(c, n)).toBe(0))))
  })

  test("credit grows with each right answer and shrinks with each wrong one", () => {
    fc.assert(
      fc.property(tally, ([c, n]) => {
        expect(accuracyCredit(c + 1, n + 1)).toBeGreaterThanOrEqual(accuracyCredit(c, n))
        expect(accuracyCredit(c, n + 1)).toBeLessThanOrEqual(accuracyCredit(c, n))
      })
    )
  })
})

describe("new rule: agreement and shares", () => {
  const rule = defaultRewardRule
  test("agreement counts only ρ above 0", () => {
    fc.assert(
      fc.property(fc.double({ min: -1.2, max: 1.2, noNaN: true }), (rho) => {
        const a = agreement(rule, rho)
        expect(a).toBe(rho <= 0 ? 0 : Math.min(1, rho))
      })
    )
    expect(agreement(rule, Number.NaN)).toBe(0)
  })

  const rewards = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 })
  test("shares sum to 1 (or all 0), a zero reward has a zero share, order is kept", () => {
    fc.assert(
      fc.property(rewards, (rs) => {
        const s = rewardShares(rule, rs)
        const sum = s.reduce((a, b) => a + b, 0)
        if (rs.some((r) => r > 0)) expect(Math.abs(sum - 1)).toBeLessThan(1e-9)
        else expect(sum).toBe(0)
        rs.forEach((r, i) => {
          if (r === 0) expect(s[i]).toBe(0)
          rs.forEach((q, j) => void (r > q && expect(s[i]!).toBeGreaterThanOrEqual(s[j]!)))
        })
      })
    )
  })

  test("original: even a zero reward keeps e⁻¹ of a perfect one's share", () => {
    const [perfect, zero] = rewardShares(rewardRule("original"), [1, 0])
    expect(zero! / perfect!).toBeCloseTo(Math.exp(-1), 12)
    const [p, z] = rewardShares(rule, [1, 0])
    expect([p, z]).toEqual([1, 0])
  })
})

describe("new rule: a consensus a swarm cannot buy", () => {
  const cids = ["c0", "c1", "c2", "c3"]
  const scoresArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 })
  const response = (hotkey: string, scores: ReadonlyArray<number>): MinerResponse => ({
    hotkey,
    scoringMethod: "hf_model",
    humanVerified: false,
    ranks: cids.map((cid, i) => ({ cid, score: scores[i]! }))
  })

  test("any number of hotkeys without credit, answering anything, moves neither the consensus nor anyone's reward", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(scoresArb, fc.double({ min: 0.01, max: 1, noNaN: true })), { minLength: 1, maxLength: 5 }),
        scoresArb,
        fc.integer({ min: 1, max: 30 }),
        (honest, swarmScores, copies) => {
          const credit = new Map<string, number>(honest.map(([, c], i) => [`h${i}`, c]))
          const accuracy = (h: string) => credit.get(h) ?? 0
          const base = honest.map(([s], i) => response(`h${i}`, s))
          const swarm = Array.from({ length: copies }, (_, k) => response(`s${String(k).padStart(2, "0")}`, swarmScores))
          const without = computeConsensus({ cids, responses: base, accuracy, rule: defaultRewardRule })
          const withSwarm = computeConsensus({ cids, responses: [...base, ...swarm], accuracy, rule: defaultRewardRule })
          expect(withSwarm.cidToConsensus).toEqual(without.cidToConsensus)
          for (const m of without.miners) {
            const after = withSwarm.miners.find((x) => x.hotkey === m.hotkey)!
            expect(after.reward).toBe(m.reward)
            expect(after.score).toBeCloseTo(m.score, 12)
          }
          for (const s of withSwarm.miners.filter((x) => x.hotkey.startsWith("s"))) expect(s.score).toBe(0)
        }
      )
    )
  })

  test("with credits, the consensus is the mean weighted by credit²", () => {
    const c = computeConsensus({
      cids: ["a", "b"],
      responses: [
        { hotkey: "x", scoringMethod: "hf_model", humanVerified: false, ranks: [{ cid: "a", score: 1 }, { cid: "b", score: 0 }] },
        { hotkey: "y", scoringMethod: "hf_model", humanVerified: false, ranks: [{ cid: "a", score: 0 }, { cid: "b", score: 1 }] }
      ],
      accuracy: (h) => (h === "x" ? 0.75 : 0.25),
      rule: defaultRewardRule
    })
    expect(c.cidToConsensus).toEqual({ a: 0.9, b: 0.1 })
    // x agrees (ρ = 1, credit 0.75), y disagrees (ρ = −1): all of the request goes to x.
    expect(c.hotkeyToScore).toEqual({ x: 1, y: 0 })
  })
})
