/**
 * Spearman rank correlation as scipy.stats.spearmanr computes it: average ranks for ties, then the
 * Pearson correlation of the ranks; where scipy gives NaN (a constant input, fewer than two points, a
 * NaN value) the result is 0, as the original's `nan_to_num` made it.
 */

const compare = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0)

/** 1-based ranks of `xs`, ties sharing the mean of the ranks they span (scipy `rankdata(method="average")`). */
export const averageRanks = (xs: ReadonlyArray<number>): Array<number> => {
  const order = xs.map((_, i) => i).sort((i, j) => compare(xs[i] as number, xs[j] as number))
  const ranks = new Array<number>(xs.length)
  let start = 0
  while (start < order.length) {
    let end = start
    while (end + 1 < order.length && compare(xs[order[end + 1] as number] as number, xs[order[start] as number] as number) === 0) end++
    // positions start..end (0-based) hold ranks start+1..end+1; their mean is (start+end)/2 + 1
    const rank = (start + end) / 2 + 1
    for (let k = start; k <= end; k++) ranks[order[k] as number] = rank
    start = end + 1
  }
  return ranks
}

const pearson = (x: ReadonlyArray<number>, y: ReadonlyArray<number>): number => {
  const n = x.length
  let mx = 0
  let my = 0
  for (let i = 0; i < n; i++) {
    mx += x[i] as number
    my += y[i] as number
  }
  mx /= n
  my /= n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx
    const dy = (y[i] as number) - my
    sxy += dx * dy
    sxx += dx * dx
    syy += dy * dy
  }
  if (sxx === 0 || syy === 0) return 0
  return Math.min(1, Math.max(-1, sxy / Math.sqrt(sxx * syy)))
}

/**
 * Spearman's ρ of two equally long samples, in [-1, 1]; 0 where scipy would give NaN.
 * Throws a RangeError when the lengths differ: that is a caller's bug, not data.
 */
export const spearman = (x: ReadonlyArray<number>, y: ReadonlyArray<number>): number => {
  if (x.length !== y.length) throw new RangeError(`spearman: lengths differ (${x.length} vs ${y.length})`)
  if (x.length < 2 || x.some(Number.isNaN) || y.some(Number.isNaN)) return 0
  return pearson(averageRanks(x), averageRanks(y))
}
