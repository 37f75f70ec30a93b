/**
 * Bittensor weight processing, bit-exact to the Python SDK (`bittensor/utils/weight_utils.py`,
 * v9.12.2 `process_weights` = earlier `process_weights_for_netuid`, numpy 2 / NEP 50 promotion).
 *
 * numpy float32 arithmetic is emulated with `Math.fround` after every operation (a double
 * +, −, ×, ÷ of two float32 values rounded once to float32 equals the float32 operation).
 * Where numpy 2 promotes to float64 (a Python float times an `np.int64`, a float32 scalar divided
 * by a float64 scalar) the double result is kept, exactly as numpy does.
 */
import { Data } from "effect"

/** Raised where the Python SDK raises; `pythonType: message` reads like the Python traceback line. */
export class WeightsError extends Data.TaggedError("WeightsError")<{
  readonly pythonType: "ValueError" | "IndexError" | "OverflowError" | "ZeroDivisionError"
  readonly message: string
}> {}

/** numpy dtype a float array is held in. */
export type Dtype = "float32" | "float64"

/** Result of `processWeights`: uids, weights, and the numpy dtype the SDK would return them in. */
export interface ProcessedWeights {
  readonly uids: number[]
  readonly weights: number[]
  readonly dtype: Dtype
}

/** Result of the u16 conversion: what `set_weights` puts on chain. */
export interface EmitWeights {
  readonly uids: number[]
  readonly weights: number[]
}

/** `U16_MAX`: the chain's weight scale. */
export const U16_MAX = 65535

type Round = (x: number) => number
const identity: Round = (x) => x
const rounder = (dtype: Dtype): Round => (dtype === "float32" ? Math.fround : identity)

/** numpy's `pairwise_sum` (loops_utils.h.src): 8 accumulators up to 128 elements, halving above. */
const pairwiseSum = (xs: ReadonlyArray<number>, r: Round, start: number, n: number): number => {
  if (n < 8) {
    let res = 0
    for (let i = 0; i < n; i++) res = r(res + xs[start + i]!)
    return res
  }
  if (n <= 128) {
    const acc: number[] = []
    for (let j = 0; j < 8; j++) acc.push(xs[start + j]!)
    let i = 8
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) acc[j] = r(acc[j]! + xs[start + i + j]!)
    }
    const [a0, a1, a2, a3, a4, a5, a6, a7] = acc as [number, number, number, number, number, number, number, number]
    let res = r(r(r(a0 + a1) + r(a2 + a3)) + r(r(a4 + a5) + r(a6 + a7)))
    for (; i < n; i++) res = r(res + xs[start + i]!)
    return res
  }
  let n2 = Math.floor(n / 2)
  n2 -= n2 % 8
  return r(pairwiseSum(xs, r, start, n2) + pairwiseSum(xs, r, start + n2, n - n2))
}

/** `arr.sum()`: the add-reduction starts from the identity 0 and runs one pairwise pass. */
const npSum = (xs: ReadonlyArray<number>, r: Round): number => r(0 + pairwiseSum(xs, r, 0, xs.length))

/** `np.sort` order: ascending, NaN last. */
const npSorted = (xs: ReadonlyArray<number>): number[] =>
  [...xs].sort((a, b) => (Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : Number.isNaN(b) ? -1 : a - b))

/** `arr.max()`: NaN propagates. */
const npMax = (xs: ReadonlyArray<number>): number => {
  let m = -Infinity
  for (const x of xs) {
    if (Number.isNaN(x)) return NaN
    if (x > m) m = x
  }
  return m
}

/**
 * SDK `normalize_max_weight(x, limit)`: normalise to sum 1 with no entry above `limit`.
 * `dtype` is the numpy dtype of `x` (float32 in the normal path, float64 on the 1e-5 fill path).
 */
export const normalizeMaxWeight = (
  x: ReadonlyArray<number>,
  limit: number,
  dtype: Dtype = "float32"
): number[] => {
  const r = rounder(dtype)
  const n = x.length
  const weights = x.map((v) => r(v))
  const values = npSorted(weights)

  if (npSum(weights, r) === 0 || n * limit <= 1) return weights.map(() => r(1 / n))

  // A Python float meeting a numpy array/scalar is weak (NEP 50): it is cast to the array's dtype.
  const limitR = r(limit)
  const eps = 1e-7
  const epsR = r(eps)

  const valuesSum = npSum(values, r)
  const estimation = values.map((v) => r(v / valuesSum))
  if (npMax(estimation) <= limitR) {
    const s = npSum(weights, r)
    return weights.map((w) => r(w / s))
  }

  const cumsum: number[] = []
  let running = 0
  for (let i = 0; i < n; i++) {
    running = i === 0 ? estimation[0]! : r(running + estimation[i]!)
    cumsum.push(running)
  }
  let nValues = 0
  for (let i = 0; i < n; i++) {
    const est = estimation[i]!
    const estimationSum = r((n - i - 1) * est)
    if (r(est / r(r(estimationSum + cumsum[i]!) + epsR)) < limitR) nValues++
  }

  // cumsum[n_values - 1] wraps to the last element when n_values is 0, as Python indexing does.
  const cs = cumsum[nValues === 0 ? n - 1 : nValues - 1]!
  const numerator = r(r(limitR * cs) - epsR)
  // `limit * (len - n_values)` is Python float × np.int64 → float64, so the cutoff is float64.
  const cutoffScale = numerator / (1 - limit * (n - nValues))
  const cutoff = cutoffScale * valuesSum
  const cutoffR = r(cutoff)
  const clipped = weights.map((w) => (w > cutoff ? cutoffR : w))
  const s = npSum(clipped, r)
  return clipped.map((w) => r(w / s))
}

/** `np.quantile(arr, q)` with the default linear method, for a Python-float q (numpy 2.4 `weak_q`). */
const npQuantileLinear = (arr: ReadonlyArray<number>, q: number): number => {
  if (!(q >= 0 && q <= 1)) throw new WeightsError({ pythonType: "ValueError", message: "Quantiles must be in the range [0, 1]" })
  const sorted = npSorted(arr)
  const count = sorted.length
  const virtualIndex = (count - 1) * q
  let previous = Math.floor(virtualIndex)
  let next = previous + 1
  if (virtualIndex >= count - 1) {
    previous = -1
    next = -1
  }
  // gamma uses the (possibly reset) previous index, as numpy's _get_gamma does.
  const gamma = virtualIndex - previous
  const a = sorted[previous < 0 ? count + previous : previous]!
  const b = sorted[next < 0 ? count + next : next]!
  // numpy `_lerp` in float32: t is cast to float32; 1 - t is a Python float first.
  const diff = Math.fround(b - a)
  return gamma >= 0.5
    ? Math.fround(b - Math.fround(diff * Math.fround(1 - gamma)))
    : Math.fround(a + Math.fround(diff * Math.fround(gamma)))
}

const indexError = (index: number, size: number) =>
  new WeightsError({ pythonType: "IndexError", message: `index ${index} is out of bounds for axis 0 with size ${size}` })

const checkDimension = (n: number) => {
  if (n < 0) throw new WeightsError({ pythonType: "ValueError", message: "negative dimensions are not allowed" })
}

/**
 * SDK `process_weights(uids, weights, num_neurons, min_allowed_weights, max_weight_limit, exclude_quantile)`.
 * Throws `WeightsError` exactly where the Python function raises (a non-zero weight with no uid,
 * a non-zero position ≥ numNeurons on the fill path, negative numNeurons, a negative quantile).
 * Negative uids pass through, as in Python; the u16 conversion rejects them.
 */
export const processWeights = (
  uids: ReadonlyArray<number>,
  weights: ReadonlyArray<number>,
  numNeurons: number,
  minAllowedWeights: number,
  maxWeightLimit: number,
  excludeQuantile = 0
): ProcessedWeights => {
  const w32 = weights.map((w) => Math.fround(w))
  const quantile = excludeQuantile / U16_MAX

  // `weights > 0` drops NaN, zeros and negatives.
  const nonZeroIdx: number[] = []
  w32.forEach((w, i) => {
    if (w > 0) nonZeroIdx.push(i)
  })
  const nonZeroUids = nonZeroIdx.map((i) => {
    if (i >= uids.length) throw indexError(i, uids.length)
    return uids[i]!
  })
  const nonZeroWeights = nonZeroIdx.map((i) => w32[i]!)
  const arange = (n: number) => Array.from({ length: n }, (_, i) => i)

  if (nonZeroWeights.length === 0 || numNeurons < minAllowedWeights) {
    checkDimension(numNeurons)
    return { uids: arange(numNeurons), weights: arange(numNeurons).map(() => 1 / numNeurons), dtype: "float64" }
  }

  if (nonZeroWeights.length < minAllowedWeights) {
    checkDimension(numNeurons)
    // ones(n) * 1e-5 in float64, then the non-zero float32 weights added at their *positions*.
    const filled = arange(numNeurons).map(() => 1e-5)
    nonZeroIdx.forEach((pos, k) => {
      if (pos >= numNeurons) throw indexError(pos, numNeurons)
      filled[pos] = filled[pos]! + nonZeroWeights[k]!
    })
    return { uids: arange(numNeurons), weights: normalizeMaxWeight(filled, maxWeightLimit, "float64"), dtype: "float64" }
  }

  const count = nonZeroWeights.length
  const maxExclude = Math.max(0, count - minAllowedWeights) / count
  const q = maxExclude < quantile ? maxExclude : quantile
  const lowest = npQuantileLinear(nonZeroWeights, q)
  const keptUids: number[] = []
  const kept: number[] = []
  nonZeroWeights.forEach((w, k) => {
    if (lowest <= w) {
      keptUids.push(nonZeroUids[k]!)
      kept.push(w)
    }
  })
  return { uids: keptUids, weights: normalizeMaxWeight(kept, maxWeightLimit, "float32"), dtype: "float32" }
}

/** Python `repr(float)`: shortest round-trip digits, exponent form outside 1e-4 ≤ |x| < 1e16. */
const pyFloatRepr = (x: number): string => {
  if (Number.isNaN(x)) return "nan"
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf"
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0"
  const sign = x < 0 ? "-" : ""
  const [mantissa = "", expText = "0"] = Math.abs(x).toExponential().split("e")
  const digits = mantissa.replace(".", "")
  const exp = Number(expText)
  const decpt = exp + 1
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${"0".repeat(-decpt)}${digits}`
    if (decpt >= digits.length) return `${sign}${digits}${"0".repeat(decpt - digits.length)}.0`
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`
  }
  const frac = digits.length > 1 ? `.${digits.slice(1)}` : ""
  return `${sign}${digits[0]}${frac}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`
}

const pyListRepr = (xs: ReadonlyArray<number>, item: (x: number) => string) => `[${xs.map(item).join(", ")}]`

/** Python's built-in `min`/`max` scan: replace only when the comparison is true (so NaN can stick). */
const pyExtreme = (xs: ReadonlyArray<number>, better: (a: number, b: number) => boolean, name: string): number => {
  if (xs.length === 0) throw new WeightsError({ pythonType: "ValueError", message: `${name}() arg is an empty sequence` })
  let m = xs[0]!
  for (let i = 1; i < xs.length; i++) if (better(xs[i]!, m)) m = xs[i]!
  return m
}

/** Python 3 `round(x)` for a float: half to even; NaN and infinities raise as Python does. */
export const pyRound = (x: number): number => {
  if (Number.isNaN(x)) throw new WeightsError({ pythonType: "ValueError", message: "cannot convert float NaN to integer" })
  if (!Number.isFinite(x)) throw new WeightsError({ pythonType: "OverflowError", message: "cannot convert float infinity to integer" })
  const floor = Math.floor(x)
  const frac = x - floor // exact for doubles
  const rounded = frac > 0.5 ? floor + 1 : frac < 0.5 ? floor : floor % 2 === 0 ? floor : floor + 1
  return rounded + 0 // a Python int has no negative zero
}

/**
 * SDK `convert_weights_and_uids_for_emit`: max-upscale to u16 with half-to-even rounding,
 * dropping entries that round to 0. Throws `WeightsError` with Python's messages.
 */
export const convertWeightsAndUidsForEmit = (
  uids: ReadonlyArray<number>,
  weights: ReadonlyArray<number>
): EmitWeights => {
  if (pyExtreme(weights, (a, b) => a < b, "min") < 0) {
    throw new WeightsError({
      pythonType: "ValueError",
      message: `Passed weight is negative cannot exist on chain ${pyListRepr(weights, pyFloatRepr)}`
    })
  }
  if (pyExtreme(uids, (a, b) => a < b, "min") < 0) {
    throw new WeightsError({
      pythonType: "ValueError",
      message: `Passed uid is negative cannot exist on chain ${pyListRepr(uids, String)}`
    })
  }
  if (uids.length !== weights.length) {
    throw new WeightsError({
      pythonType: "ValueError",
      message: `Passed weights and uids must have the same length, got ${uids.length} and ${weights.length}`
    })
  }
  // Python's sum is 0 only when every entry is ±0 (a NaN makes it NaN; negatives were rejected above).
  if (weights.every((w) => w === 0)) return { uids: [], weights: [] }
  const maxWeight = pyExtreme(weights, (a, b) => a > b, "max")
  // Python float division raises where IEEE gives NaN; reachable only as max([0, nan]) == 0.
  if (maxWeight === 0) throw new WeightsError({ pythonType: "ZeroDivisionError", message: "float division by zero" })
  const outUids: number[] = []
  const outWeights: number[] = []
  weights.forEach((w, i) => {
    const u16 = pyRound((w / maxWeight) * U16_MAX)
    if (u16 !== 0) {
      outWeights.push(u16)
      outUids.push(uids[i]!)
    }
  })
  return { uids: outUids, weights: outWeights }
}

/** Chain hyperparameter `MaxWeightsLimit` (u16) as the SDK's float limit (`u16_normalized_float`). */
export const u16MaxWeightLimit = (maxWeightsLimitU16: number): number => maxWeightsLimitU16 / U16_MAX

/**
 * Validator scores → on-chain u16 weights: L1-normalise (torch `F.normalize(p=1)`, eps 1e-12,
 * in float64), SDK `process_weights`, then `convert_weights_and_uids_for_emit`.
 */
export const weightsForChain = (params: {
  readonly scores: ReadonlyArray<number>
  readonly uids: ReadonlyArray<number>
  readonly numNeurons: number
  readonly minAllowedWeights: number
  readonly maxWeightsLimitU16: number
  readonly excludeQuantile?: number
}): EmitWeights => {
  let l1 = 0
  for (const s of params.scores) l1 += Math.abs(s)
  const norm = Math.max(l1, 1e-12) // a NaN norm stays NaN, as with torch clamp_min
  const normalised = params.scores.map((s) => s / norm)
  const processed = processWeights(
    params.uids,
    normalised,
    params.numNeurons,
    params.minAllowedWeights,
    u16MaxWeightLimit(params.maxWeightsLimitU16),
    params.excludeQuantile ?? 0
  )
  return convertWeightsAndUidsForEmit(processed.uids, processed.weights)
}
