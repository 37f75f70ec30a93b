import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import {
  accuracy,
  accuracyMultiplier,
  arrangePair,
  countOutcomes,
  type PairOutcome,
  type PreferencePair,
  pairOutcome,
  scorerAccuracy,
  windowStart
} from "../../src/domain/accuracy.ts"

const pair: PreferencePair = { prompt: "Capital of France?", chosen: "Paris.", rejected: "Lyon, I think." }
const pairs = (n: number): PreferencePair[] =>
  Array.from({ length: n }, (_, i) => ({ prompt: `p${i}`, chosen: `good answer ${i} with care`, rejected: `bad ${i}` }))
const outcome = fc.constantFrom<PairOutcome>("correct", "wrong", "unanswered")

describe("arrangePair", () => {
  test("both texts, distinct uuid-shaped cids, deterministic in the seed", () => {
    const a = arrangePair(pair, "seed-1")
    expect(arrangePair(pair, "seed-1")).toEqual(a)
    expect(a.prompt).toBe(pair.prompt)
    expect(a.chosenCid).not.toBe(a.rejectedCid)
    expect(a.chosenCid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/)
    const byCid = new Map(a.completions.map((c) => [c.cid, c.text]))
    expect(byCid.get(a.chosenCid)).toBe(pair.chosen)
    expect(byCid.get(a.rejectedCid)).toBe(pair.rejected)
  })

  test("cids can be supplied; a repeated cid is refused", () => {
    let n = 0
    const a = arrangePair(pair, 3, () => `cid-${n++}`)
    expect([a.chosenCid, a.rejectedCid]).toEqual(["cid-0", "cid-1"])
    expect(() => arrangePair(pair, 3, () => "same")).toThrow(RangeError)
  })

  test("the chosen text comes first about half the time", () => {
    const first = Array.from({ length: 1000 }, (_, i) => arrangePair(pair, i)).filter((a) => a.completions[0].cid === a.chosenCid).length
    expect(first).toBeGreaterThan(430)
    expect(first).toBeLessThan(570)
  })

  test("a miner that always scores the first shown completion higher is right about half the time", () => {
    const outcomes = pairs(500).map((p, i) => {
      const a = arrangePair(p, `eval-${i}`)
      const ranks = a.completions.map((c, position) => ({ cid: c.cid, score: position === 0 ? 1 : 0 }))
      return pairOutcome(ranks, a.chosenCid, a.rejectedCid)
    })
    expect(accuracy(outcomes)).toBeGreaterThan(0.3)
    expect(accuracy(outcomes)).toBeLessThan(0.7)
  })
})

describe("pairOutcome", () => {
  test("correct only when chosen is strictly above rejected", () => {
    expect(pairOutcome([{ cid: "c", score: 0.9 }, { cid: "r", score: 0.1 }], "c", "r")).toBe("correct")
    expect(pairOutcome([{ cid: "c", score: 0.1 }, { cid: "r", score: 0.9 }], "c", "r")).toBe("wrong")
    expect(pairOutcome([{ cid: "c", score: 0.5 }, { cid: "r", score: 0.5 }], "c", "r")).toBe("wrong")
    expect(pairOutcome([{ cid: "c", score: 0.5 }], "c", "r")).toBe("unanswered")
    expect(pairOutcome([], "c", "r")).toBe("unanswered")
  })
})

describe("accuracy and its multiplier", () => {
  test("examples", () => {
    expect(accuracy(["correct", "wrong", "correct", "unanswered"])).toBeCloseTo(2 / 3, 15)
    expect(accuracy(["unanswered"])).toBe(0)
    expect(countOutcomes(["correct", "wrong", "unanswered", "correct"])).toEqual({ correct: 2, wrong: 1, unanswered: 1 })
    expect(accuracyMultiplier(0, 0)).toBe(0.5)
    expect(accuracyMultiplier(8, 8)).toBe(0.9)
    expect(accuracyMultiplier(0, 8)).toBe(0.1)
    expect(() => accuracyMultiplier(3, 2)).toThrow(RangeError)
    expect(() => accuracyMultiplier(-1, 2)).toThrow(RangeError)
  })

  test("accuracy lies in [0, 1] and equals correct / answered", () => {
    fc.assert(
      fc.property(fc.array(outcome), (os) => {
        const a = accuracy(os)
        expect(a >= 0 && a <= 1).toBe(true)
        const { correct, wrong } = countOutcomes(os)
        if (correct + wrong > 0) expect(a).toBe(correct / (correct + wrong))
      })
    )
  })

  test("the multiplier lies in (0, 1), rises with correct, and approaches the accuracy", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (a, b) => {
        const answered = Math.max(a, b)
        const correct = Math.min(a, b)
        const m = accuracyMultiplier(correct, answered)
        expect(m > 0 && m < 1).toBe(true)
        if (correct < answered) expect(accuracyMultiplier(correct + 1, answered)).toBeGreaterThan(m)
        if (answered > 0) expect(Math.abs(m - correct / answered)).toBeLessThanOrEqual(1 / (answered + 2) + 1e-15)
      })
    )
  })
})

describe("scorerAccuracy", () => {
  test("a scorer that knows the answer gets 1, one that inverts it gets 0", () => {
    const ps = pairs(50)
    expect(scorerAccuracy(ps, (t) => (t.startsWith("good") ? 1 : 0), 1)).toBe(1)
    expect(scorerAccuracy(ps, (t) => (t.startsWith("good") ? 0 : 1), 1)).toBe(0)
    expect(scorerAccuracy(ps, () => 0.5, 1)).toBe(0) // a tie is not a preference
    expect(scorerAccuracy([], () => 1, 1)).toBe(0)
  })

  test("the scorer sees the prompt", () => {
    const seen: string[] = []
    scorerAccuracy(pairs(2), (_, prompt) => (seen.push(prompt), 0), 9)
    expect(seen.sort()).toEqual(["p0", "p0", "p1", "p1"])
  })

  test("a scorer that prefers whatever it is shown first gets about 0.5 over 500 pairs", () => {
    let calls = 0
    const firstShownWins = () => (calls++ % 2 === 0 ? 1 : 0)
    const a = scorerAccuracy(pairs(500), firstShownWins, "bias")
    expect(a).toBeGreaterThan(0.3)
    expect(a).toBeLessThan(0.7)
  })
})

describe("windowStart", () => {
  test("24 h windows from an anchor", () => {
    const day = 86_400
    expect(windowStart(1_000_000, day, 0)).toBe(950_400)
    expect(windowStart(950_400, day, 0)).toBe(950_400)
    expect(windowStart(950_399, day, 0)).toBe(864_000)
    expect(windowStart(100, day, 1_000)).toBe(1_000 - day)
    expect(() => windowStart(1, 0, 0)).toThrow(RangeError)
  })

  test("now lies in [start, start + window) and every time in a window maps to its start", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2e9 }), fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: -1e9, max: 2e9 }), (now, w, anchor) => {
        const s = windowStart(now, w, anchor)
        expect(s <= now && now < s + w).toBe(true)
        expect((s - anchor) % w === 0).toBe(true)
        expect(windowStart(s, w, anchor)).toBe(s)
        expect(windowStart(s + w - 1, w, anchor)).toBe(s)
        expect(windowStart(s + w, w, anchor)).toBe(s + w)
      })
    )
  })
})
