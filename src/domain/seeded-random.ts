import { makeRng, randomInt, shuffle } from "./prng.ts"

/**
 * A seeded pseudo-random source for the domain (over prng.ts's generator): model initialisation, synthetic data and
 * shuffles take one as an argument, so the same seed always gives the same model and the same data.
 */

/** A deterministic random source. `next()` is uniform in [0, 1). */
export interface SeededRandom {
  readonly next: () => number
  /** Uniform integer in [0, n). */
  readonly int: (n: number) => number
  /** Standard normal (Box–Muller). */
  readonly normal: () => number
  /** One element of a non-empty array. */
  readonly pick: <A>(items: ReadonlyArray<A>) => A
}

/** Creates a random source from a 32-bit seed (any integer; other numbers are truncated). */
export const seededRandom = (seed: number): SeededRandom => {
  // One generator for the whole domain: prng.ts's splitmix32, with the helpers models and data need.
  const next = makeRng(Math.trunc(seed))
  const int = (n: number): number => randomInt(next, n)
  const normal = (): number => {
    // 1 - next() is in (0, 1], so the log is finite.
    const u = 1 - next()
    const v = next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }
  const pick = <A>(items: ReadonlyArray<A>): A => {
    if (items.length === 0) throw new RangeError("pick from an empty array")
    return items[int(items.length)] as A
  }
  return { next, int, normal, pick }
}

/** A shuffled copy of `items` (Fisher–Yates, prng.ts's `shuffle`). */
export const shuffled = <A>(items: ReadonlyArray<A>, random: SeededRandom): Array<A> => shuffle(items, random.next)
