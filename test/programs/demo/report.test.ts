import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { cheaterShare, incentiveFollowsAccuracy, renderTable, type MinerRow } from "../../../src/programs/demo/report.ts"

const row = (name: string, accuracy: number | null, incentive: number): MinerRow => ({
  uid: name.length,
  name,
  method: accuracy === null ? "llm_api" : "hf_model",
  accuracy,
  evaluated: { correct: 1, answered: 2 },
  score: incentive,
  weight: incentive,
  incentive
})

describe("demo verdict", () => {
  test("strictly decreasing incentive along accuracy passes; any inversion or tie fails, except ties at zero at the bottom", () => {
    expect(incentiveFollowsAccuracy([row("a", 0.9, 0.4), row("b", 0.7, 0.3), row("c", 0.5, 0.2)])).toBe(true)
    expect(incentiveFollowsAccuracy([row("a", 0.9, 0.3), row("b", 0.7, 0.4)])).toBe(false)
    expect(incentiveFollowsAccuracy([row("a", 0.9, 0.3), row("b", 0.7, 0.3)])).toBe(false)
    expect(incentiveFollowsAccuracy([row("a", 0.9, 0.7), row("b", 0.7, 0), row("c", 0.5, 0)])).toBe(true)
    expect(incentiveFollowsAccuracy([row("a", 0.9, 0.7), row("b", 0.7, 0), row("c", 0.5, 0.1)])).toBe(false)
    expect(incentiveFollowsAccuracy([row("a", 0.9, 0), row("b", 0.7, 0)])).toBe(false)
    // Under 1 % of the best counts as paid nothing: the order among those does not matter.
    expect(incentiveFollowsAccuracy([row("a", 0.9, 0.976), row("b", 0.8, 0.022), row("c", 0.7, 0), row("d", 0.5, 0.002)])).toBe(true)
    expect(incentiveFollowsAccuracy([row("a", 0.9, 0.9), row("b", 0.7, 0.005), row("c", 0.5, 0.05)])).toBe(false)
  })

  test("a cheater is kept out of the order, and its share of the best honest incentive is reported", () => {
    const rows = [row("a", 0.9, 0.8), row("b", 0.7, 0.2), { ...row("random", null, 0.04), cheater: true }]
    expect(incentiveFollowsAccuracy(rows)).toBe(true)
    expect(cheaterShare(rows)).toBeCloseTo(0.05, 12)
    expect(cheaterShare(rows.slice(0, 2))).toBe(0)
  })

  test("miners of unknown accuracy are shown but do not count", () => {
    const rows = [row("a", 0.9, 0.4), row("llm", null, 0.9), row("b", 0.7, 0.3)]
    expect(incentiveFollowsAccuracy(rows)).toBe(true)
    expect(renderTable(rows)).toContain("n/a")
  })

  test("the verdict does not depend on the order rows come in", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2, maxLength: 6 }), fc.boolean(), (accs, inverted) => {
        const rows = accs.map((a, i) => row(`m${i}`, a, inverted ? 1 - a : a))
        expect(incentiveFollowsAccuracy(rows)).toBe(!inverted)
        expect(incentiveFollowsAccuracy([...rows].reverse())).toBe(!inverted)
      })
    )
  })

  test("the table lists the best accuracy first", () => {
    const lines = renderTable([row("low", 0.5, 0.1), row("high", 0.9, 0.5)]).split("\n")
    expect(lines[0]).toStartWith("uid")
    expect(lines[2]).toContain("high")
    expect(lines[3]).toContain("low")
  })
})
