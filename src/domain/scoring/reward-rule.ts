/**
 * How a request's participants are paid (`--neuron.reward_rule`). Both rules pay ρ-with-consensus times
 * accuracy; they differ where a miner that does no work could still earn:
 *  - `original`: Laplace multiplier (c+1)/(n+2) (≥ 0.5 for a coin), (ρ+1)/2 (0.5 for noise), the plain
 *    per-completion mean, softmax at temperature 1 (a reward of 0 still gets e⁻¹ of the best share);
 *  - `new`: the Wilson-bounded credit above chance, agreement counted only above ρ = 0 (what an
 *    independent ranker gives on average), a consensus weighted by that credit squared (copies of a miner with no
 *    credit weigh nothing), and rewards^exponent normalised over the participants (0 reward, 0 share).
 * The exponent was chosen with the adversarial simulation (bench/incentive-simulation.bench.ts).
 */
import { Schema } from "effect"
import { accuracyCredit, accuracyMultiplier } from "./accuracy.ts"
import { softmax } from "./softmax.ts"

/** The rule's name, as the flag takes it. */
export const RewardRuleName = Schema.Literal("original", "new")
export type RewardRuleName = typeof RewardRuleName.Type

/** A rule with its parameters. */
export type RewardRule =
  | { readonly name: "original" }
  | {
      readonly name: "new"
      /** Shares are reward^exponent / Σ reward^exponent: 1 is a plain normalisation, larger is sharper. */
      readonly exponent: number
    }

/** The new rule's exponent (see the simulation's figures in the README). */
export const defaultRewardExponent = 2

/** The rule a flag value names, with its default parameters. */
export const rewardRule = (name: RewardRuleName): RewardRule =>
  name === "original" ? { name } : { name, exponent: defaultRewardExponent }

/** The default rule: new. */
export const defaultRewardRule: RewardRule = rewardRule("new")

/** A miner's accuracy factor from its window's tally under `rule`, in [0, 1]. */
export const accuracyFactor = (rule: RewardRule, correct: number, answered: number): number =>
  rule.name === "original" ? accuracyMultiplier(correct, answered) : accuracyCredit(correct, answered)

/**
 * Agreement with the consensus from Spearman's ρ (already boosted for verified human feedback), in
 * [0, 1]: `original` maps [−1, 1] onto [0, 1]; `new` counts only agreement above ρ = 0.
 */
export const agreement = (rule: RewardRule, rho: number): number => {
  const x = rule.name === "original" ? (rho + 1) / 2 : rho
  return x > 1 ? 1 : x > 0 ? x : 0 // NaN → 0
}

/**
 * Participants' shares of one request from their rewards in [0, 1]: `original` a softmax at temperature
 * 1; `new` reward^exponent over the sum, all zero when every reward is zero. Shares sum to 1 or to 0.
 */
export const rewardShares = (rule: RewardRule, rewards: ReadonlyArray<number>): Array<number> => {
  if (rule.name === "original") return softmax(rewards)
  let max = 0
  for (const r of rewards) if (r > max) max = r
  // Relative to the largest, so tiny rewards cannot underflow to an all-zero request.
  const powered = rewards.map((r) => (r > 0 ? (r / max) ** rule.exponent : 0))
  let sum = 0
  for (const p of powered) sum += p
  return sum > 0 ? powered.map((p) => p / sum) : powered.map(() => 0)
}
