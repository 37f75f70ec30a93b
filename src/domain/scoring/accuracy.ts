/**
 * Accuracy is measured on what miners do: the validator mixes hidden evaluation requests, each a
 * human-preference pair (chosen, rejected), into normal traffic, and counts how often a miner scores the
 * chosen text above the rejected one. The pair's order is drawn from a seed, so position earns nothing.
 */
import type { Rank } from "../wire/protocol.ts"

/** How a miner answered one evaluation pair. */
export type PairOutcome = "correct" | "wrong" | "unanswered"

/** Correct iff the chosen completion scored strictly above the rejected one; unanswered if either is missing. */
export const pairOutcome = (ranks: ReadonlyArray<Rank>, chosenCid: string, rejectedCid: string): PairOutcome => {
  const scores = new Map(ranks.map((r) => [r.cid, r.score]))
  const chosen = scores.get(chosenCid)
  const rejected = scores.get(rejectedCid)
  if (chosen === undefined || rejected === undefined || Number.isNaN(chosen) || Number.isNaN(rejected)) return "unanswered"
  return chosen > rejected ? "correct" : "wrong"
}

/**
 * The reward multiplier (correct + 1) / (answered + 2): Laplace's rule, i.e. the mean of a uniform
 * prior updated by the evidence. A miner with no evaluations yet gets the neutral 0.5 rather than 0
 * (which would zero a newcomer, as the original's missing accuracy did) or 1 (which would pay for an
 * unmeasured miner as much as for a perfect one), and a handful of lucky or unlucky pairs moves it only
 * a little; with more evidence it approaches the plain accuracy.
 * Throws a RangeError unless 0 ≤ correct ≤ answered.
 */
export const accuracyMultiplier = (correct: number, answered: number): number => {
  if (!(correct >= 0 && correct <= answered)) throw new RangeError(`accuracyMultiplier: need 0 ≤ correct (${correct}) ≤ answered (${answered})`)
  return (correct + 1) / (answered + 2)
}

/**
 * Start of the accuracy window holding `nowSeconds`: windows of `windowSeconds` laid end to end from
 * `anchorSeconds`, so the count really resets when a window ends (the original's 24 h reset never fired).
 * Throws a RangeError for a window that is not positive and finite.
 */
export const windowStart = (nowSeconds: number, windowSeconds: number, anchorSeconds = 0): number => {
  if (!(windowSeconds > 0 && Number.isFinite(windowSeconds))) throw new RangeError(`windowStart: window must be positive, got ${windowSeconds}`)
  return anchorSeconds + Math.floor((nowSeconds - anchorSeconds) / windowSeconds) * windowSeconds
}

/** 24 hours, the accuracy window. */
export const dayInSeconds = 86_400

/**
 * z of the bound used by `accuracyCredit`: one-sided 99.5 %. With 95 % one coin in a dozen cheating
 * hotkeys was lucky enough in the simulation's short runs to earn a few per cent.
 */
export const wilsonZ = 2.576

/**
 * Wilson's score-interval lower bound on the true accuracy behind `correct` of `answered`: the least
 * accuracy the evidence supports at confidence `z`, so a handful of lucky pairs cannot pass for skill.
 * 0 when nothing was answered. Throws a RangeError unless 0 ≤ correct ≤ answered and z ≥ 0.
 */
export const wilsonLowerBound = (correct: number, answered: number, z = wilsonZ): number => {
  if (!(correct >= 0 && correct <= answered)) throw new RangeError(`wilsonLowerBound: need 0 ≤ correct (${correct}) ≤ answered (${answered})`)
  if (!(z >= 0 && Number.isFinite(z))) throw new RangeError(`wilsonLowerBound: z must be non-negative, got ${z}`)
  if (answered === 0) return 0
  const p = correct / answered
  const z2 = z * z
  const centre = p + z2 / (2 * answered)
  const spread = z * Math.sqrt((p * (1 - p)) / answered + z2 / (4 * answered * answered))
  return Math.min(1, Math.max(0, (centre - spread) / (1 + z2 / answered)))
}

/**
 * The new rule's accuracy credit, in [0, 1): how far the Wilson lower bound lies above chance (0.5 on
 * a pair), rescaled so a perfect record over many pairs tends to 1. A miner that does no better than a
 * coin — or has too few pairs to show it does — gets 0, and so no reward at all.
 * Throws a RangeError unless 0 ≤ correct ≤ answered.
 */
export const accuracyCredit = (correct: number, answered: number): number =>
  Math.max(0, (wilsonLowerBound(correct, answered) - 0.5) / 0.5)
