import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { softmax } from "../../../src/domain/scoring/softmax.ts"

const inputs = fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 30 })

describe("softmax", () => {
  test("examples", () => {
    expect(softmax([0, 0])).toEqual([0.5, 0.5])
    const [a, b] = softmax([Math.log(3), 0])
    expect(a).toBeCloseTo(0.75, 15)
    expect(b).toBeCloseTo(0.25, 15)
    // temperature 2 halves the logits: [ln 9, 0] at T=2 behaves like [ln 3, 0]
    expect(softmax([Math.log(9), 0], 2)[0]).toBeCloseTo(0.75, 15)
    expect(softmax([])).toEqual([])
  })

  test("stable for huge inputs", () => {
    const p = softmax([1000, 1000, 999])
    expect(p.every(Number.isFinite)).toBe(true)
    expect(p[0]).toBeCloseTo(1 / (2 + Math.exp(-1)), 15)
  })

  test("a non-positive temperature is refused", () => {
    expect(() => softmax([1], 0)).toThrow(RangeError)
    expect(() => softmax([1], -1)).toThrow(RangeError)
  })

  test("sums to 1, positive, order-preserving", () => {
    fc.assert(
      fc.property(inputs, fc.double({ min: 0.5, max: 10, noNaN: true }), (xs, t) => {
        const p = softmax(xs, t)
        expect(Math.abs(p.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12)
        for (let i = 0; i < xs.length; i++) {
          expect(p[i]!).toBeGreaterThan(0)
          for (let j = 0; j < xs.length; j++) {
            if (xs[i]! <= xs[j]!) expect(p[i]!).toBeLessThanOrEqual(p[j]!)
            if (xs[i]! + 1e-6 < xs[j]!) expect(p[i]!).toBeLessThan(p[j]!)
          }
        }
      })
    )
  })
})
