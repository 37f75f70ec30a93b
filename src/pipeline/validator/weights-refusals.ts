/**
 * Runtime refusals of a weights commit that retrying at once cannot fix, each with what to do. The
 * weights loop logs the advice and waits an epoch before the next attempt (never a tight retry loop).
 */
import { Data } from "effect"
import type { ChainError } from "../../services/chain.ts"

/** `CommitRevealEnabled`: plain `set_weights` on a subnet with commit-reveal on (turned on since we read it). */
export class CommitRevealRequired extends Data.TaggedError("CommitRevealRequired")<{ readonly netuid: number }> {
  override get message() {
    return `subnet ${this.netuid} has commit-reveal on, so set_weights is refused: the next attempt re-reads the settings and commits instead`
  }
}

/** `IncorrectCommitRevealVersion`: our timelocked commit's version is not the chain's `CommitRevealWeightsVersion`. */
export class CommitRevealVersionMismatch extends Data.TaggedError("CommitRevealVersionMismatch")<{
  readonly netuid: number
  readonly sent: number
}> {
  override get message() {
    return `the chain refused commit-reveal version ${this.sent} on subnet ${this.netuid}: it changed since we read it; the next attempt re-reads CommitRevealWeightsVersion (if this repeats, the runtime needs a newer Dojo)`
  }
}

/** `CommittingWeightsTooFast`: a commit within the subnet's weights rate limit of the previous one. */
export class CommittingTooFast extends Data.TaggedError("CommittingTooFast")<{ readonly netuid: number }> {
  override get message() {
    return `subnet ${this.netuid} refused a commit within its weights rate limit: waiting an epoch; lower --neuron.epoch_length only if it stays above weights_rate_limit`
  }
}

/** `TooManyUnrevealedCommits`: ten of our commits are still waiting for their reveal. */
export class TooManyUnrevealedCommits extends Data.TaggedError("TooManyUnrevealedCommits")<{ readonly netuid: number }> {
  override get message() {
    return `subnet ${this.netuid} holds 10 unrevealed commits of this hotkey: waiting an epoch for the chain to reveal or expire them`
  }
}

/** The chain offers no way to set weights for the configured mechanism. */
export class NoWeightsPathAvailable extends Data.TaggedError("NoWeightsPathAvailable")<{ readonly reason: string }> {
  override get message() {
    return `cannot set weights: ${this.reason}`
  }
}

/** A refusal the weights loop waits out (logged with its advice). */
export type WeightsRefusal = CommitRevealRequired | CommitRevealVersionMismatch | CommittingTooFast | TooManyUnrevealedCommits

/** The refusal a chain error stands for, if it is one of those. */
export const refusalOf = (error: ChainError, netuid: number, sentVersion?: number): WeightsRefusal | undefined => {
  if (error._tag !== "ChainDispatchError") return undefined
  switch (error.kind) {
    case "CommitRevealEnabled":
      return new CommitRevealRequired({ netuid })
    case "IncorrectCommitRevealVersion":
      return new CommitRevealVersionMismatch({ netuid, sent: sentVersion ?? -1 })
    case "CommittingWeightsTooFast":
      return new CommittingTooFast({ netuid })
    case "TooManyUnrevealedCommits":
      return new TooManyUnrevealedCommits({ netuid })
    default:
      return undefined
  }
}

/** True for the refusals the loop waits out. */
export const isWeightsRefusal = (e: unknown): e is WeightsRefusal =>
  e instanceof CommitRevealRequired || e instanceof CommitRevealVersionMismatch || e instanceof CommittingTooFast || e instanceof TooManyUnrevealedCommits
