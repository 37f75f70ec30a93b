/**
 * Weights, differentially against the real Python SDK (10.5.0 and 9.12.2, numpy 2.4): thousands of
 * generated validator weight vectors (sizes 1–1024; NaN, ±0, infinities, subnormals, ties; every limit:
 * min_allowed_weights, MaxWeightsLimit, exclude_quantile, num_neurons above and below the vector) go through
 * the SDK's own `process_weights_for_netuid` and `convert_weights_and_uids_for_emit` in one Python process,
 * and through ours (`processWeights`, `convertWeightsAndUidsForEmit`): identical uids, bit-identical
 * processed weights, identical u16 output, and the same exception where the SDK raises.
 */
import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { convertWeightsAndUidsForEmit, processWeights, u16MaxWeightLimit, WeightsError } from "../../src/domain/chain/weights.ts"
import { type PythonEnvName, pythonEnv, peerResult, runPython } from "../support/python-env.ts"

const CASES = 3000

const f32 = (x: number) => Math.fround(x)
/** A weight as a validator's float32 array may hold it. */
const weight = fc.oneof(
  { weight: 6, arbitrary: fc.float({ min: 0, max: 1, noNaN: true }) },
  { weight: 2, arbitrary: fc.constantFrom(0, -0, NaN, 1, 0.5, f32(1 / 3), 1e-5, f32(1e-30)) },
  { weight: 1, arbitrary: fc.float() }, // anything float32: NaN, ±Infinity, negatives, subnormals
  { weight: 1, arbitrary: fc.float({ min: 0, max: 1000, noNaN: true }) }
)

/** A vector: free values, a few repeated values (ties), or mostly zeros. */
const vector = (n: number): fc.Arbitrary<number[]> =>
  fc.oneof(
    fc.array(weight, { minLength: n, maxLength: n }),
    fc.array(fc.constantFrom(0, 0.25, 0.5, 1), { minLength: n, maxLength: n }),
    fc.array(fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: weight }), { minLength: n, maxLength: n })
  )

const size = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 16 }) }, { weight: 2, arbitrary: fc.integer({ min: 17, max: 256 }) }, { weight: 1, arbitrary: fc.integer({ min: 257, max: 1024 }) })
const u16 = fc.oneof(fc.constantFrom(0, 1, 655, 6553, 32768, 65534, 65535), fc.integer({ min: 0, max: 65535 }))

const caseArb = size.chain((n) =>
  fc.record({
    weights: vector(n),
    // uids: 0..n-1 as the validator passes them, or shuffled/shorter (the SDK indexes uids by weight position).
    uids: fc.oneof(
      { weight: 8, arbitrary: fc.constant(Array.from({ length: n }, (_, i) => i)) },
      { weight: 1, arbitrary: fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n }) },
      { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 4096 }), { minLength: Math.max(0, n - 3), maxLength: n }) }
    ),
    num_neurons: fc.oneof({ weight: 6, arbitrary: fc.constant(n) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: n + 8 }) }),
    min_allowed_weights: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: n + 4 }), fc.constant(n)),
    max_weights_limit_u16: u16,
    exclude_quantile: fc.oneof(fc.constant(0), u16)
  })
)

const cases = fc.sample(caseArb, { numRuns: CASES, seed: 1606 })

type Theirs =
  | { readonly process_error: string }
  | {
      readonly uids: number[]
      readonly weights: string[]
      readonly dtype: string
      readonly emit?: { readonly uids: number[]; readonly weights: number[] }
      readonly emit_error?: string
    }

/** One float exactly, for comparing (Python writes 1e-09 where JS writes 1e-9; -0 kept apart). */
const exact = (x: number) => (Object.is(x, -0) ? "-0" : String(x))

const asPython = (e: unknown) => {
  if (!(e instanceof WeightsError)) throw e
  return `${e.pythonType}: ${e.message}`
}

/** Our pipeline on one case, in the SDK's output shape (weights as exact JS number strings). */
const ours = (c: (typeof cases)[number]): Theirs => {
  let processed
  try {
    processed = processWeights(c.uids, c.weights, c.num_neurons, c.min_allowed_weights, u16MaxWeightLimit(c.max_weights_limit_u16), c.exclude_quantile)
  } catch (e) {
    return { process_error: asPython(e) }
  }
  const base = { uids: processed.uids, weights: processed.weights.map(exact), dtype: processed.dtype }
  try {
    return { ...base, emit: convertWeightsAndUidsForEmit(processed.uids, processed.weights) }
  } catch (e) {
    return { ...base, emit_error: asPython(e) }
  }
}

describe.each(["sdk10", "sdk9"] as ReadonlyArray<PythonEnvName>)("weights against the real SDK (%s)", (name) => {
  test(`process_weights_for_netuid + convert_weights_and_uids_for_emit on ${CASES} generated cases: identical`, async () => {
    const env = await pythonEnv(name)
    const input = cases.map((c) => ({ ...c, weights: c.weights.map(String) }))
    const r = await runPython(env, ["weights_diff.py"], { stdin: JSON.stringify(input) })
    expect(r.stderr).not.toContain("Traceback")
    const theirs = peerResult<ReadonlyArray<Theirs>>(r, "weights_diff.py").map((t) =>
      "weights" in t ? { ...t, weights: t.weights.map((w) => exact(Number(w))) } : t
    )
    expect(theirs.length).toBe(CASES)
    const mismatches = cases.flatMap((c, i) => {
      const mine = ours(c)
      return JSON.stringify(mine) === JSON.stringify(theirs[i]) ? [] : [{ i, case: c, ours: mine, sdk: theirs[i] }]
    })
    // Each path was reached, so the sample really covers every limit.
    const emitted = theirs.filter((t) => "emit" in t && t.emit !== undefined).length
    expect(emitted).toBeGreaterThan(CASES / 2)
    expect(theirs.some((t) => "process_error" in t)).toBe(true)
    expect(theirs.some((t) => "dtype" in t && t.dtype === "float64")).toBe(true)
    expect(theirs.some((t) => "emit_error" in t && t.emit_error !== undefined)).toBe(true)
    // The quantile dropped some non-zero weights, and the max-weight limit clipped some vector.
    const kept = cases.filter((c, i) => {
      const t = theirs[i] as Theirs
      return "dtype" in t && t.dtype === "float32" && t.uids.length < c.weights.filter((w) => f32(w) > 0).length
    })
    expect(kept.length).toBeGreaterThan(10)
    const clipped = cases.filter((c, i) => {
      const t = theirs[i] as Theirs
      const positive = c.weights.map(f32).filter((w) => w > 0 && Number.isFinite(w))
      const limit = u16MaxWeightLimit(c.max_weights_limit_u16)
      const sum = positive.reduce((a, b) => a + b, 0)
      return "dtype" in t && t.dtype === "float32" && positive.length * limit > 1 && Math.max(...positive) / sum > limit + 1e-3
    })
    expect(clipped.length).toBeGreaterThan(50)
    expect(mismatches.slice(0, 3)).toEqual([])
  }, 120_000)
})
