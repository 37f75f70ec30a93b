import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { backoffSeconds } from "../../src/domain/backoff.ts"

describe("backoffSeconds", () => {
  test("examples: the results outbox (5 s ×4, 10 min) and the feedback outbox (10 s ×2)", () => {
    const results = { baseSeconds: 5, factor: 4, maxSeconds: 600 }
    expect([0, 1, 2, 3, 4, 1000].map((r) => backoffSeconds(r, results))).toEqual([5, 20, 80, 320, 600, 600])
    expect([0, 1, 2, 5].map((r) => backoffSeconds(r, { baseSeconds: 10, factor: 2, maxSeconds: 300 }))).toEqual([10, 20, 40, 300])
    expect(backoffSeconds(-3, results)).toBe(5)
  })

  test("starts at the base, grows by the factor until the cap, never exceeds the cap", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 100 }),
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        fc.double({ min: 1, max: 8, noNaN: true }),
        fc.double({ min: 1, max: 1e5, noNaN: true }),
        (retry, baseSeconds, factor, maxSeconds) => {
          const b = { baseSeconds, factor, maxSeconds }
          const d = backoffSeconds(retry, b)
          expect(d).toBeLessThanOrEqual(maxSeconds)
          expect(backoffSeconds(retry + 1, b)).toBeGreaterThanOrEqual(d)
          if (retry < 30 && baseSeconds * factor ** (retry + 1) <= maxSeconds) expect(backoffSeconds(retry + 1, b)).toBeCloseTo(d * factor, 9)
        }
      )
    )
  })
})
