/**
 * The subnet as neurons see it: who is registered at which uid, where their axons listen, their stake
 * and the consensus figures of the last epoch. Units follow the Python SDK's metagraph: stake and
 * emission in TAO (on dynamic-TAO runtimes: the subnet's alpha), the u16 figures divided by 65535.
 */
import { Option } from "effect"
import type { Hotkey, Netuid, Uid } from "./ids.ts"

/** Where a neuron's axon listens, as served on chain (`AxonInfo`). */
export interface AxonInfo {
  /** Dotted IPv4 or IPv6 text (`int_to_ip` of the chain's integer); `0.0.0.0` when never served. */
  readonly ip: string
  readonly port: number
  /** 4 or 6 (0 when never served). */
  readonly ipType: number
  readonly protocol: number
  /** The serving software's version integer. */
  readonly version: number
  /** Block at which it was last served (0 when never served). */
  readonly block: number
}

/** One registered neuron of a subnet. */
export interface Neuron {
  readonly uid: Uid
  readonly hotkey: Hotkey
  readonly coldkey: string
  /** Stake on the hotkey, in TAO (alpha on dynamic-TAO runtimes). */
  readonly stake: number
  readonly validatorPermit: boolean
  /** u16 figures normalised to [0, 1]. */
  readonly trust: number
  readonly consensus: number
  readonly incentive: number
  readonly dividends: number
  readonly validatorTrust: number
  /** Emission of the last epoch, in TAO. */
  readonly emission: number
  /** Block of the neuron's last weight setting (or registration). */
  readonly lastUpdate: number
  readonly active: boolean
  readonly axon: AxonInfo
}

/** All neurons of one subnet at one block, ordered by uid. */
export interface Metagraph {
  readonly netuid: Netuid
  readonly block: number
  readonly neurons: ReadonlyArray<Neuron>
}

/** Subnet hyperparameters a neuron needs (raw chain values unless said otherwise). */
export interface Hyperparameters {
  readonly netuid: Netuid
  /** Blocks between epochs, minus one: an epoch runs every `tempo + 1` blocks. */
  readonly tempo: number
  readonly minAllowedWeights: number
  /** u16; divide by 65535 for the SDK's `max_weight_limit`. */
  readonly maxWeightsLimit: number
  /** Blocks a uid must wait between two weight settings. */
  readonly weightsRateLimit: number
  /** Weights with a lower version key are refused. */
  readonly weightsVersionKey: number
  readonly commitRevealEnabled: boolean
  /** Commit-reveal period: blocks (older runtimes' interval) or epochs (newer), see `commitRevealUnit`. */
  readonly commitRevealPeriod: number
  readonly commitRevealUnit: "blocks" | "epochs"
  readonly immunityPeriod: number
  readonly maxAllowedUids: number
  readonly maxAllowedValidators: number
  readonly servingRateLimit: number
  readonly activityCutoff: number
  /** Neurons currently registered. */
  readonly subnetworkN: number
  readonly registrationAllowed: boolean
  /** Current burn to register, in rao. */
  readonly burn: bigint
}

/** An axon that was never served (the chain's default). */
export const unservedAxon: AxonInfo = { ip: "0.0.0.0", port: 0, ipType: 0, protocol: 0, version: 0, block: 0 }

/** The SDK's `is_serving`: the axon has an address (ip ≠ 0.0.0.0). */
export const isServing = (axon: AxonInfo): boolean => axon.ip !== "0.0.0.0"

/** The uid holding a hotkey in this metagraph. */
export const uidOf = (metagraph: Metagraph, hotkey: string): Option.Option<Uid> =>
  Option.map(
    Option.fromNullable(metagraph.neurons.find((n) => n.hotkey === hotkey)),
    (n) => n.uid
  )

/** The neuron at a uid. */
export const neuronAt = (metagraph: Metagraph, uid: number): Option.Option<Neuron> =>
  Option.fromNullable(metagraph.neurons.find((n) => n.uid === uid))

/** Neurons whose axon is served, in uid order. */
export const servingNeurons = (metagraph: Metagraph): ReadonlyArray<Neuron> => metagraph.neurons.filter((n) => isServing(n.axon))

/** Neurons holding a validator permit, in uid order. */
export const permittedValidators = (metagraph: Metagraph): ReadonlyArray<Neuron> =>
  metagraph.neurons.filter((n) => n.validatorPermit)

/**
 * True when `(block + netuid + 1) % (tempo + 1) == 0`, the chain's rule for the blocks at which a
 * subnet's epoch runs (a tempo of 0 never runs).
 */
export const isEpochBlock = (block: number, netuid: number, tempo: number): boolean =>
  tempo > 0 && (block + netuid + 1) % (tempo + 1) === 0

/** The first block after `block` at which the subnet's epoch runs (Infinity for tempo 0). */
export const nextEpochBlock = (block: number, netuid: number, tempo: number): number => {
  if (tempo <= 0) return Number.POSITIVE_INFINITY
  const period = tempo + 1
  const r = (block + netuid + 1) % period
  return block + (r === 0 ? period : period - r)
}

/**
 * Blocks to wait before a uid's weights pass the chain's rate limit (0 = now). `block` is the block the
 * transaction would land in (head + 1): the chain allows `block - lastUpdate >= rateLimit`, and a uid
 * that never set weights (lastUpdate 0) passes.
 */
export const blocksUntilWeightsAllowed = (lastUpdate: number, block: number, rateLimit: number): number =>
  lastUpdate === 0 ? 0 : Math.max(0, lastUpdate + rateLimit - block)
