/**
 * A small deterministic pseudo-random generator for the pure domain: the same seed always gives the
 * same sequence, so anything "random" a validator does (evaluation order, cids) can be replayed and tested.
 * Not cryptographic: use it where an outsider learning the seed costs nothing.
 */

/** A generator of numbers uniform in [0, 1). Each call advances its state. */
export type Rng = () => number

/** 32-bit FNV-1a over the string's UTF-16 code units, then a final avalanche so similar strings diverge. */
export const hashString = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** splitmix32 seeded by a 32-bit integer (other numbers are reduced modulo 2^32) or by a string's hash. */
export const makeRng = (seed: number | string): Rng => {
  let state = typeof seed === "string" ? hashString(seed) : Math.trunc(seed) >>> 0
  return () => {
    state = (state + 0x9e3779b9) | 0
    let z = state
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad)
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97)
    return ((z ^ (z >>> 15)) >>> 0) / 4294967296
  }
}

/** A uniform integer in [0, n). */
export const randomInt = (rng: Rng, n: number): number => Math.floor(rng() * n)

/** Fisher–Yates shuffle into a new array; the input is left untouched. */
export const shuffle = <A>(items: ReadonlyArray<A>, rng: Rng): Array<A> => {
  const out = items.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1)
    const tmp = out[i] as A
    out[i] = out[j] as A
    out[j] = tmp
  }
  return out
}

/** A random version-4 UUID string drawn from `rng`, shaped like the uuid4 ids peers use elsewhere. */
export const randomUuid = (rng: Rng): string => {
  const hex = (n: number) => Array.from({ length: n }, () => randomInt(rng, 16).toString(16)).join("")
  const variant = (8 + randomInt(rng, 4)).toString(16)
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`
}
