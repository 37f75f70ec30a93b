import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { hashString, makeRng, randomInt, randomUuid, shuffle } from "../../src/domain/prng.ts"

const seed = fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.string())
const take = (rng: () => number, n: number) => Array.from({ length: n }, rng)

describe("prng", () => {
  test("same seed → same sequence; values in [0, 1)", () => {
    fc.assert(
      fc.property(seed, (s) => {
        const a = take(makeRng(s), 50)
        expect(take(makeRng(s), 50)).toEqual(a)
        for (const v of a) expect(v >= 0 && v < 1).toBe(true)
      })
    )
  })

  test("different seeds give different sequences", () => {
    const seqs = new Set([0, 1, 2, "a", "b", "ab", "ba"].map((s) => take(makeRng(s), 4).join()))
    expect(seqs.size).toBe(7)
    expect(hashString("ab")).not.toBe(hashString("ba"))
  })

  test("roughly uniform: 10 000 draws put each tenth near 1000", () => {
    const rng = makeRng("uniform")
    const buckets = new Array<number>(10).fill(0)
    for (let i = 0; i < 10_000; i++) buckets[randomInt(rng, 10)]!++
    for (const b of buckets) expect(Math.abs(b - 1000)).toBeLessThan(150)
  })

  test("shuffle returns a permutation and leaves its input alone", () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), seed, (xs, s) => {
        const copy = [...xs]
        const out = shuffle(xs, makeRng(s))
        expect(xs).toEqual(copy)
        expect([...out].sort((a, b) => a - b)).toEqual([...xs].sort((a, b) => a - b))
        expect(shuffle(xs, makeRng(s))).toEqual(out)
      })
    )
  })

  test("shuffle reaches every order of three items", () => {
    const rng = makeRng(7)
    const seen = new Set(Array.from({ length: 200 }, () => shuffle(["a", "b", "c"], rng).join("")))
    expect(seen.size).toBe(6)
  })

  test("randomUuid has the uuid4 shape", () => {
    const rng = makeRng("ids")
    for (let i = 0; i < 100; i++) expect(randomUuid(rng)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })
})
