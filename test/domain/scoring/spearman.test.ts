import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { averageRanks, spearman } from "../../../src/domain/scoring/spearman.ts"

const sample = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 20 })
const pair = fc
  .integer({ min: 2, max: 20 })
  .chain((n) => fc.tuple(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: n, maxLength: n }), fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: n, maxLength: n })))
const distinct = fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 2, maxLength: 20 })
const distinctOf = (n: number) =>
  fc.uniqueArray(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n, comparator: (a, b) => a === b })
const distinctPair = fc.integer({ min: 2, max: 20 }).chain((n) => fc.tuple(distinctOf(n), distinctOf(n)))
const isConstant = (xs: ReadonlyArray<number>) => xs.every((x) => x === xs[0])

describe("averageRanks", () => {
  test("ties share the mean of the ranks they span", () => {
    expect(averageRanks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4])
    expect(averageRanks([0.4, 0.1, 0.4, 0.4, 0.9])).toEqual([3, 1, 3, 3, 5])
    expect(averageRanks([-0, 0, Number.NEGATIVE_INFINITY])).toEqual([2.5, 2.5, 1])
    expect(averageRanks([])).toEqual([])
  })

  test("ranks sum to n(n+1)/2 and keep the order of the values", () => {
    fc.assert(
      fc.property(sample, (xs) => {
        const r = averageRanks(xs)
        expect(r.reduce((a, b) => a + b, 0)).toBe((xs.length * (xs.length + 1)) / 2)
        for (let i = 0; i < xs.length; i++)
          for (let j = 0; j < xs.length; j++) if (xs[i]! < xs[j]!) expect(r[i]!).toBeLessThan(r[j]!)
      })
    )
  })
})

describe("spearman", () => {
  test("examples with ties, worked by hand (Pearson of the average ranks)", () => {
    // y ranks [1,2,3.5,5,3.5]: Σdxdy = 8, Σdx² = 10, Σdy² = 9.5 → 8/√95
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(8 / Math.sqrt(95), 14)
    // x ranks [1,2.5,2.5,4], y ranks [1,3,2,4]: 4.5/√(4.5·5) = 3/√10
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(3 / Math.sqrt(10), 14)
    // y ranks [1.5,1.5,3]: 1.5/√(2·1.5) = √3/2
    expect(spearman([10, 20, 30], [1, 1, 2])).toBeCloseTo(Math.sqrt(3) / 2, 14)
  })

  test("matches scipy.stats.spearmanr to 1e-12", () => {
    // Constants computed once with python3 + scipy 1.17.1: float(scipy.stats.spearmanr(x, y).statistic)
    const cases: Array<[number[], number[], number]> = [
      [[1, 2, 3, 4, 5], [5, 6, 7, 8, 7], 0.8207826816681233],
      [[1, 2, 2, 3], [1, 3, 2, 4], 0.9486832980505139],
      [[0.1, 0.4, 0.4, 0.4, 0.9, 0.2], [3, 1, 2, 2, 5, 1], 0.2813874297663251],
      [[-1e300, 0, 1e-300, 5], [2, 2, 2, 1], -0.7745966692414834]
    ]
    for (const [x, y, expected] of cases) expect(Math.abs(spearman(x, y) - expected)).toBeLessThan(1e-12)
  })

  test("scipy's NaN cases give 0; a length mismatch throws", () => {
    expect(spearman([3, 3, 3], [1, 2, 3])).toBe(0)
    expect(spearman([1, 2, 3], [7, 7, 7])).toBe(0)
    expect(spearman([1], [2])).toBe(0)
    expect(spearman([], [])).toBe(0)
    expect(spearman([1, Number.NaN, 3], [1, 2, 3])).toBe(0)
    expect(() => spearman([1, 2], [1, 2, 3])).toThrow(RangeError)
  })

  test("without ties it equals 1 − 6Σd²/(n(n²−1))", () => {
    fc.assert(
      fc.property(distinctPair, ([x, y]) => {
        const rank = (xs: number[]) => {
          const sorted = [...xs].sort((a, b) => a - b)
          return xs.map((v) => sorted.indexOf(v) + 1)
        }
        const rx = rank(x)
        const ry = rank(y)
        const n = x.length
        const d2 = rx.reduce((s, r, i) => s + (r - ry[i]!) ** 2, 0)
        expect(Math.abs(spearman(x, y) - (1 - (6 * d2) / (n * (n * n - 1))))).toBeLessThan(1e-12)
      })
    )
  })

  test("lies in [-1, 1] and is symmetric", () => {
    fc.assert(
      fc.property(pair, ([x, y]) => {
        const r = spearman(x, y)
        expect(r).toBeGreaterThanOrEqual(-1)
        expect(r).toBeLessThanOrEqual(1)
        expect(spearman(y, x)).toBe(r)
      })
    )
  })

  test("invariant under strictly increasing transforms of either input", () => {
    // x holds small integers, on which these are strictly increasing in floating point too
    const transforms = [(v: number) => v * 3 + 1, (v: number) => Math.atan(v), (v: number) => v ** 3, (v: number) => Math.exp(v / 10)]
    fc.assert(
      fc.property(pair, fc.constantFrom(...transforms), ([x, y], f) => {
        const r = spearman(x, y)
        expect(spearman(x.map(f), y)).toBe(r)
        // y holds arbitrary doubles: transform it exactly (×2) or through its sorted distinct values
        const levels = [...new Set(y)].sort((a, b) => a - b)
        expect(spearman(x, y.map((v) => v * 2))).toBe(r)
        expect(spearman(x, y.map((v) => levels.indexOf(v) ** 2 * 3 - 7))).toBe(r)
      })
    )
  })

  test("= 1 for identical non-constant inputs, = −1 for reversed distinct inputs", () => {
    fc.assert(
      fc.property(sample, (x) => {
        fc.pre(!isConstant(x))
        expect(spearman(x, x)).toBe(1)
        expect(spearman(x, x.map((v) => v * 2))).toBe(1)
      })
    )
    fc.assert(
      fc.property(distinct, (x) => {
        expect(spearman(x, x.map((v) => -v))).toBe(-1)
      })
    )
  })
})
