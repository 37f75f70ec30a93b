import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { accuracyMultiplier, pairOutcome, windowStart } from "../../../src/domain/scoring/accuracy.ts"

describe("pairOutcome", () => {
  test("correct only when chosen is strictly above rejected", () => {
    expect(pairOutcome([{ cid: "c", score: 0.9 }, { cid: "r", score: 0.1 }], "c", "r")).toBe("correct")
    expect(pairOutcome([{ cid: "c", score: 0.1 }, { cid: "r", score: 0.9 }], "c", "r")).toBe("wrong")
    expect(pairOutcome([{ cid: "c", score: 0.5 }, { cid: "r", score: 0.5 }], "c", "r")).toBe("wrong")
    expect(pairOutcome([{ cid: "c", score: 0.5 }], "c", "r")).toBe("unanswered")
    expect(pairOutcome([], "c", "r")).toBe("unanswered")
  })
})

describe("the accuracy multiplier", () => {
  test("examples", () => {
    expect(accuracyMultiplier(0, 0)).toBe(0.5)
    expect(accuracyMultiplier(8, 8)).toBe(0.9)
    expect(accuracyMultiplier(0, 8)).toBe(0.1)
    expect(() => accuracyMultiplier(3, 2)).toThrow(RangeError)
    expect(() => accuracyMultiplier(-1, 2)).toThrow(RangeError)
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
