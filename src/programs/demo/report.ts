/**
 * The demo's closing table and its verdict: every miner's measured accuracy next to what the subnet made
 * of it (the validator's consensus score, the weight on chain, the incentive Yuma gave). The mechanism
 * works when incentive follows accuracy and a miner that scores at random earns (next to) nothing.
 */

/** One miner's row. */
export interface MinerRow {
  readonly uid: number
  readonly name: string
  readonly method: string
  /** Accuracy of its model on unseen pairs, measured by the demo; null when unknown (an LLM behind an API). */
  readonly accuracy: number | null
  /** Hidden evaluation pairs it ranked the human way, as the validator counted them. */
  readonly evaluated: { readonly correct: number; readonly answered: number }
  /** The validator's EMA score. */
  readonly score: number
  /** Its weight on chain from the validator(s), normalised. */
  readonly weight: number
  /** Its incentive on chain, in [0, 1]. */
  readonly incentive: number
  /** A miner that does no work (random scores): shown, kept out of the accuracy order. */
  readonly cheater?: boolean
}

const byAccuracy = (rows: ReadonlyArray<MinerRow>) => [...rows].sort((a, b) => (b.accuracy ?? -1) - (a.accuracy ?? -1))

/** Below this share of the best miner's incentive a miner counts as paid nothing (u16 weights, a lucky streak). */
export const paidNothingBelow = 0.01

/**
 * True when, sorting the miners of known accuracy best first, the best earns something and incentive
 * strictly decreases along the list — except that miners the rule pays (next to) nothing, under 1 % of
 * the best (no skill shown above chance yet), may come in any order at the bottom.
 */
export const incentiveFollowsAccuracy = (rows: ReadonlyArray<MinerRow>): boolean => {
  const known = byAccuracy(rows.filter((r) => r.accuracy !== null && r.cheater !== true))
  if (known.length === 0) return true
  const best = known[0]!.incentive
  if (!(best > 0)) return false
  const nothing = (r: MinerRow) => r.incentive < paidNothingBelow * best
  return known.every((row, i) => i === 0 || (nothing(known[i - 1]!) ? nothing(row) : nothing(row) || known[i - 1]!.incentive > row.incentive))
}

/** The best cheater's incentive over the best honest miner's (0 without cheaters or honest incentive). */
export const cheaterShare = (rows: ReadonlyArray<MinerRow>): number => {
  const best = Math.max(0, ...rows.filter((r) => r.cheater !== true).map((r) => r.incentive))
  const cheat = Math.max(0, ...rows.filter((r) => r.cheater === true).map((r) => r.incentive))
  return best > 0 ? cheat / best : 0
}

const pad = (s: string, n: number) => s.padEnd(n)
const fmt = (x: number, digits = 3) => x.toFixed(digits)

/** The table as text, best accuracy first. */
export const renderTable = (rows: ReadonlyArray<MinerRow>): string => {
  const header = ["uid", "miner", "method", "accuracy", "evaluated", "consensus score", "weight", "incentive"]
  const lines = byAccuracy(rows).map((r) => [
      String(r.uid),
      r.name,
      r.method,
      r.accuracy === null ? "n/a" : fmt(r.accuracy),
      `${r.evaluated.correct}/${r.evaluated.answered}`,
      fmt(r.score, 4),
      fmt(r.weight),
      fmt(r.incentive)
    ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const row = (cells: ReadonlyArray<string>) => cells.map((c, i) => pad(c, widths[i]!)).join("  ")
  return [row(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(row)].join("\n")
}
