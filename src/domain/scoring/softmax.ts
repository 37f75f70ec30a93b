/** Softmax over finite numbers. */

/**
 * exp(x_i / T) / Σ exp(x_j / T), computed after subtracting the maximum so large inputs cannot overflow.
 * Empty in, empty out. Throws a RangeError for a temperature that is not a positive finite number.
 */
export const softmax = (xs: ReadonlyArray<number>, temperature = 1): Array<number> => {
  if (!(temperature > 0 && Number.isFinite(temperature)))
    throw new RangeError(`softmax: temperature must be positive and finite, got ${temperature}`)
  if (xs.length === 0) return []
  let max = Number.NEGATIVE_INFINITY
  for (const x of xs) if (x > max) max = x
  const exps = xs.map((x) => Math.exp((x - max) / temperature))
  let sum = 0
  for (const e of exps) sum += e
  return exps.map((e) => e / sum)
}
