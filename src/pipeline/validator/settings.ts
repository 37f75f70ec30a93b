/** The validator's tunables, parsed from flags by the program and read by every step. */
import { Context } from "effect"
import type { Netuid } from "../../domain/chain/ids.ts"
import { defaultRewardRule, type RewardRule } from "../../domain/scoring/reward-rule.ts"

export interface ValidatorSettingsShape {
  readonly netuid: Netuid
  /** Seconds between two query steps (`--neuron.step_seconds`). */
  readonly stepSeconds: number
  /** Miners queried per request (`--neuron.sample_size`). */
  readonly sampleSize: number
  /** Seconds a miner has to answer a RankingRequest (`--neuron.timeout`). */
  readonly queryTimeoutSeconds: number
  /** Seconds after creation before a request is scored (`--neuron.deadline`). */
  readonly deadlineSeconds: number
  /** EMA weight of a new reward (`--neuron.moving_average_alpha`). */
  readonly alpha: number
  /** Blocks between weight settings (`--neuron.epoch_length`); undefined = the subnet's tempo. */
  readonly epochLength: number | undefined
  /** Version key sent with weights (`--neuron.version_key`). */
  readonly versionKey: number
  /** The subnet mechanism weights are set on (`--neuron.mechanism_id`); undefined = 0. */
  readonly mechanismId?: number
  /** Stake (TAO) from which a permitted neuron counts as a validator and is not queried. */
  readonly vpermitTaoLimit: number
  /** Share of requests built from hidden human-preference pairs (`--evaluation.rate`). */
  readonly evaluationRate: number
  /** Seconds of the accuracy window, reset when it ends (`--evaluation.window_hours`). */
  readonly evaluationWindowSeconds: number
  /** Seconds a participant has to accept a RankingResult. */
  readonly resultTimeoutSeconds: number
  /** Delivery attempts per RankingResult before giving up. */
  readonly deliveryMaxAttempts: number
  /** How participants are paid (`--neuron.reward_rule`). */
  readonly rewardRule: RewardRule
  /** Share of evaluations the validator makes itself from its seed data (`--evaluation.self_made_share`). */
  readonly selfMadeEvaluationShare: number
}

export class ValidatorSettings extends Context.Tag("dojo/ValidatorSettings")<ValidatorSettings, ValidatorSettingsShape>() {}

/** Defaults as the original subnet ran (24 s steps, 10 miners, 30 s timeout, 8 h deadline, α 0.3, 24 h window). */
export const defaultValidatorSettings: Omit<ValidatorSettingsShape, "netuid"> = {
  stepSeconds: 24,
  sampleSize: 10,
  queryTimeoutSeconds: 30,
  deadlineSeconds: 8 * 3600,
  alpha: 0.3,
  epochLength: undefined,
  versionKey: 1,
  vpermitTaoLimit: 1000,
  evaluationRate: 0.25,
  evaluationWindowSeconds: 24 * 3600,
  resultTimeoutSeconds: 12,
  deliveryMaxAttempts: 3,
  rewardRule: defaultRewardRule,
  selfMadeEvaluationShare: 0.75
}
