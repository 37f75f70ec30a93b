/**
 * A small seeded pseudo-random source (mulberry32) for the domain: model initialisation, synthetic data and
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
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
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

/** A shuffled copy of `items` (Fisher–Yates). */
export const shuffled = <A>(items: ReadonlyArray<A>, random: SeededRandom): Array<A> => {
  const out = items.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(i + 1)
    const tmp = out[i] as A
    out[i] = out[j] as A
    out[j] = tmp
  }
  return out
}
