/**
 * How a validator gets its weights on chain, chosen from the subnet's settings and what the runtime
 * offers (its metadata's calls and storage):
 * - commit-reveal off: `set_weights` (or `set_mechanism_weights` where the runtime has mechanisms);
 * - commit-reveal on and the runtime has timelocked commits (subtensor with drand, e.g. spec 425):
 *   `commit_timelocked_(mechanism_)weights`, with the chain's `CommitRevealWeightsVersion`; the chain
 *   reveals by itself when the drand round arrives;
 * - commit-reveal on, no timelocked commits (spec 185, 218): hash commit, then reveal in the window the
 *   runtime computes (by blocks on 185/218, by epochs where commits are epoch-keyed).
 */
import type { EpochScheduleState } from "./epoch-schedule.ts"
import type { Netuid } from "./ids.ts"

/** What the chain offers a validator for one subnet, read at the head. */
export interface WeightsRuntime {
  readonly netuid: Netuid
  readonly commitRevealEnabled: boolean
  /** `CommitRevealWeightsVersion`; undefined where the runtime has no such storage. */
  readonly commitRevealVersion: number | undefined
  readonly revealPeriod: number
  readonly revealUnit: "blocks" | "epochs"
  /** Mechanisms of the subnet (`MechanismCountCurrent`; 1 where the runtime has none). */
  readonly mechanismCount: number
  readonly calls: {
    readonly setMechanismWeights: boolean
    readonly commitMechanismWeights: boolean
    readonly commitTimelockedWeights: boolean
    readonly commitTimelockedMechanismWeights: boolean
  }
  /** The epoch counter's state at the head; undefined on runtimes with the old block-derived epochs. */
  readonly epoch: EpochScheduleState | undefined
  /** Seconds per block, for the drand round of a timelocked commit. */
  readonly blockSeconds: number
  /** The beacon timelocked commits are encrypted to (drand quicknet on real chains). */
  readonly drand: { readonly publicKeyHex: string; readonly genesisTime: number; readonly periodSeconds: number }
}

/** The chosen way; `mechanism` = use the call variant with a `mecid`. */
export type WeightsPath =
  | { readonly _tag: "SetWeights"; readonly mechanism: boolean }
  | { readonly _tag: "HashCommitReveal"; readonly by: "blocks" | "epochs"; readonly mechanism: boolean }
  | { readonly _tag: "Timelocked"; readonly version: number; readonly mechanism: boolean }

/** No path fits (a mechanism the subnet or the runtime does not have). */
export interface NoWeightsPath {
  readonly _tag: "NoWeightsPath"
  readonly reason: string
}

/** `netuid_index`: the key of per-mechanism storage (`netuid + mecid × 4096`). */
export const mechanismStorageIndex = (netuid: number, mechanismId: number): number => netuid + mechanismId * 4096

/** Picks the path for `mechanismId` (0 = the subnet's main mechanism). */
export const chooseWeightsPath = (rt: WeightsRuntime, mechanismId: number): WeightsPath | NoWeightsPath => {
  if (!Number.isInteger(mechanismId) || mechanismId < 0 || mechanismId > 255)
    return { _tag: "NoWeightsPath", reason: `mechanism id ${mechanismId} is not a u8` }
  if (mechanismId >= rt.mechanismCount)
    return { _tag: "NoWeightsPath", reason: `subnet ${rt.netuid} has ${rt.mechanismCount} mechanism(s); --neuron.mechanism_id ${mechanismId} does not exist` }
  if (!rt.commitRevealEnabled) {
    const mechanism = rt.calls.setMechanismWeights
    if (mechanismId > 0 && !mechanism) return { _tag: "NoWeightsPath", reason: "this runtime has no set_mechanism_weights" }
    return { _tag: "SetWeights", mechanism }
  }
  const timelockedMech = rt.calls.commitTimelockedMechanismWeights
  if ((rt.calls.commitTimelockedWeights || timelockedMech) && rt.commitRevealVersion !== undefined && rt.epoch !== undefined) {
    if (mechanismId > 0 && !timelockedMech) return { _tag: "NoWeightsPath", reason: "this runtime has no commit_timelocked_mechanism_weights" }
    return { _tag: "Timelocked", version: rt.commitRevealVersion, mechanism: timelockedMech }
  }
  const mechanism = rt.calls.commitMechanismWeights
  if (mechanismId > 0 && !mechanism) return { _tag: "NoWeightsPath", reason: "this runtime has no commit_mechanism_weights" }
  return { _tag: "HashCommitReveal", by: rt.revealUnit, mechanism }
}
