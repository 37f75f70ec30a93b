/**
 * `Chain`: everything a neuron does with subtensor: read the metagraph and hyperparameters, check
 * registration, register, serve its axon, stake and set weights (plus the owner/sudo calls a local
 * subnet needs). Live adapter: `src/adapters/chain/subtensor.ts`; in-memory twin:
 * `src/adapters/chain/memory.ts`. Both fail with the same typed errors.
 */
import { Context, Data, type Effect, type Option } from "effect"
import type { Keypair } from "../domain/wallet/keypair.ts"
import type { Hotkey, Netuid, Uid } from "../domain/chain/ids.ts"
import type { Hyperparameters, Metagraph } from "../domain/chain/metagraph.ts"
import type { WeightsRuntime } from "../domain/chain/weights-path.ts"

/** A call did not finish within its time limit (connecting included). Never a hang. */
export class ChainTimeout extends Data.TaggedError("ChainTimeout")<{
  readonly operation: string
  readonly timeoutMs: number
  /** What the last connection attempt said, when the time went into (re)connecting. */
  readonly lastError?: string
}> {
  override get message() {
    return `chain call ${this.operation} timed out after ${this.timeoutMs} ms${this.lastError ? ` (${this.lastError})` : ""}`
  }
}

/** The connection dropped while a transaction was in flight: it may or may not have landed. */
export class ChainUnavailable extends Data.TaggedError("ChainUnavailable")<{
  readonly endpoint: string
  readonly reason: string
}> {
  override get message() {
    return `chain ${this.endpoint} unavailable: ${this.reason}`
  }
}

/**
 * The transaction pool refused the transaction before it reached a block (JSON-RPC 1010/1011, or an
 * `Invalid`/`Dropped` status): bad nonce, unpaid fees, exhausted resources, a custom validity code.
 */
export class ChainTxRejected extends Data.TaggedError("ChainTxRejected")<{
  readonly operation: string
  readonly code: number | undefined
  readonly reason: string
}> {
  override get message() {
    return `${this.operation} refused by the transaction pool${this.code === undefined ? "" : ` (${this.code})`}: ${this.reason}`
  }
}

/** The hotkey has no uid on the subnet: a neuron can do nothing there until it is registered. */
export class NotRegistered extends Data.TaggedError("NotRegistered")<{
  readonly hotkey: string
  readonly netuid: number
  /** The chain asked. */
  readonly endpoint: string
  /** The wallet and hotkey names, for the registration command the message suggests. */
  readonly walletName: string
  readonly hotkeyName: string
}> {
  override get message() {
    return (
      `hotkey ${this.hotkey} is not registered on subnet ${this.netuid} at ${this.endpoint}. Register it first, e.g. ` +
      `\`btcli subnets register --netuid ${this.netuid} --wallet.name ${this.walletName} --wallet.hotkey ${this.hotkeyName}\`, ` +
      `then start again`
    )
  }
}

/**
 * The runtime's errors a neuron acts on, under one name whatever the runtime version calls them
 * (spec 185 says `NotRegistered`, later specs `HotKeyNotRegisteredInSubNet`, …). `Other` for the rest.
 */
export type DispatchKind =
  | "NotRegistered"
  | "AlreadyRegistered"
  | "NetworkDoesNotExist"
  | "SettingWeightsTooFast"
  | "NoValidatorPermit"
  | "WeightVecNotEqualSize"
  | "DuplicateUids"
  | "InvalidUid"
  | "TooManyUids"
  | "NotSettingEnoughWeights"
  | "MaxWeightExceeded"
  | "IncorrectNetworkVersionKey"
  | "CommitRevealEnabled"
  | "CommitRevealDisabled"
  | "IncorrectCommitRevealVersion"
  | "CommittingWeightsTooFast"
  | "TooManyUnrevealedCommits"
  | "MechanismDoesNotExist"
  | "RevealTooEarly"
  | "ExpiredWeightCommit"
  | "InvalidReveal"
  | "NoCommitFound"
  | "InvalidIpAddress"
  | "InvalidIpType"
  | "InvalidPort"
  | "ServingRateLimitExceeded"
  | "NotEnoughBalance"
  | "TooManyRegistrations"
  | "NetworkRateLimitExceeded"
  | "BadOrigin"
  | "Other"

/** A transaction reached a block and the runtime refused it (a `DispatchError`, decoded from metadata). */
export class ChainDispatchError extends Data.TaggedError("ChainDispatchError")<{
  readonly operation: string
  /** Runtime pallet and error name, as the metadata spells them (e.g. `SubtensorModule.NotRegistered`). */
  readonly pallet: string
  readonly name: string
  readonly docs: string
  /** The runtime-independent meaning. */
  readonly kind: DispatchKind
}> {
  override get message() {
    if (this.kind === "InvalidIpAddress") {
      return `${this.operation}: ${this.pallet}.${this.name}: the chain refuses this axon IP; use 127.0.0.2+ locally`
    }
    return `${this.operation}: ${this.pallet}.${this.name}${this.docs ? `: ${this.docs}` : ""}`
  }
}

/** The caller asked for something that cannot be sent (unparseable IP, a key without its secret, …). */
export class ChainInvalidArgument extends Data.TaggedError("ChainInvalidArgument")<{
  readonly operation: string
  readonly reason: string
}> {
  override get message() {
    return `${this.operation}: ${this.reason}`
  }
}

/** The runtime lacks what the call needs (a storage item or call this client cannot map). */
export class ChainUnsupported extends Data.TaggedError("ChainUnsupported")<{
  readonly operation: string
  readonly reason: string
}> {
  override get message() {
    return `${this.operation} unsupported by this runtime: ${this.reason}`
  }
}

/** Any failure of a `Chain` call. */
export type ChainError =
  | ChainTimeout
  | ChainUnavailable
  | ChainTxRejected
  | ChainDispatchError
  | ChainInvalidArgument
  | ChainUnsupported

/** True when the error is a runtime dispatch error of this kind. */
export const isDispatch = (error: unknown, kind: DispatchKind): error is ChainDispatchError =>
  error instanceof ChainDispatchError && error.kind === kind

/** What to serve: the axon's public address and software version. */
export interface ServeAxonParams {
  /** IPv4 or IPv6 text; locally 127.0.0.2 and up (the chain refuses 127.0.0.1 and 0.0.0.0). */
  readonly ip: string
  readonly port: number
  /** Defaults to the address's family. */
  readonly ipType?: 4 | 6
  /** Defaults to 4, as the Python SDK sends. */
  readonly protocol?: number
  readonly version: number
}

/** `served`: a transaction landed in `block`; `unchanged`: the chain already had this axon (no transaction). */
export type ServeAxonResult =
  | { readonly _tag: "Served"; readonly block: number }
  | { readonly _tag: "Unchanged"; readonly block: number }

/**
 * How weights reached the chain: directly, committed then revealed (hash commit-reveal), or committed
 * timelocked (the chain reveals them itself at the commit's drand round).
 */
export interface SetWeightsResult {
  /** Block holding the `set_weights`, the reveal, or the timelocked commit. */
  readonly block: number
  readonly mode: "direct" | "commitReveal" | "timelocked"
  /** Block holding the commit, in commit-reveal mode. */
  readonly commitBlock?: number
}

/** A timelocked weights commit (`commit_timelocked_weights`, or its mechanism variant with `mecid`). */
export interface TimelockedCommit {
  readonly netuid: Netuid
  /** Sent as `mecid` when `mechanism` is true; must be 0 otherwise. */
  readonly mechanismId: number
  readonly mechanism: boolean
  /** Serialised `TLECiphertext` of the SCALE `WeightsTlockPayload` (at most 5000 bytes). */
  readonly commit: Uint8Array
  readonly revealRound: number
  readonly commitRevealVersion: number
}

/** An `AdminUtils` call for `sudo` (e.g. `{ method: "sudoSetTempo", args: [netuid, 1] }`). */
export interface AdminCall {
  readonly method: string
  readonly args: ReadonlyArray<number | bigint | boolean | string>
}

/** The `Chain` port. Every call has a time limit; every failure is a `ChainError`. */
export interface ChainShape {
  /** Where it talks to (endpoint URL, or `memory`). */
  readonly endpoint: string
  /** The current head's block number. */
  readonly block: Effect.Effect<number, ChainError>
  /** All neurons of a subnet at the head (read once per block, then cached). */
  readonly metagraph: (netuid: Netuid) => Effect.Effect<Metagraph, ChainError>
  readonly hyperparameters: (netuid: Netuid) => Effect.Effect<Hyperparameters, ChainError>
  /** The uid of a hotkey on a subnet; none when not registered. */
  readonly uidOf: (netuid: Netuid, hotkey: Hotkey) => Effect.Effect<Option.Option<Uid>, ChainError>
  /** The weights a uid has on chain (on mechanism `mechanismId`, default 0), as `[uid, u16]` pairs (max-upscaled by the chain). */
  readonly weightsOf: (netuid: Netuid, uid: Uid, mechanismId?: number) => Effect.Effect<ReadonlyArray<readonly [Uid, number]>, ChainError>
  /** Registers `hotkey` on the subnet by burning TAO from `coldkey`; returns its uid. */
  readonly burnedRegister: (netuid: Netuid, coldkey: Keypair, hotkey: Hotkey) => Effect.Effect<Uid, ChainError>
  /** Serves the hotkey's axon; skipped (`Unchanged`) when the chain already has the same one. */
  readonly serveAxon: (netuid: Netuid, hotkey: Keypair, axon: ServeAxonParams) => Effect.Effect<ServeAxonResult, ChainError>
  /**
   * Sets weights (u16 values, already converted) and waits for inclusion. With commit-reveal on, commits
   * the hash, waits for the reveal window (the chain must keep making blocks) and reveals.
   */
  readonly setWeights: (
    netuid: Netuid,
    hotkey: Keypair,
    uids: ReadonlyArray<Uid>,
    weights: ReadonlyArray<number>,
    versionKey: number,
    /** The subnet mechanism (`mecid`); > 0 needs a runtime with mechanism calls. Default 0. */
    mechanismId?: number
  ) => Effect.Effect<SetWeightsResult, ChainError>
  /** What the runtime offers for setting weights on a subnet (settings, calls, the epoch counter), read at the head. */
  readonly weightsRuntime: (netuid: Netuid) => Effect.Effect<WeightsRuntime, ChainError>
  /** Sends a timelocked commit and waits for inclusion; returns its block. The chain reveals it at its round. */
  readonly commitTimelockedWeights: (hotkey: Keypair, commit: TimelockedCommit) => Effect.Effect<number, ChainError>
  /** Stakes `amountRao` from `coldkey` onto `hotkey` (on dynamic-TAO runtimes: into subnet `netuid`); returns the block. */
  readonly addStake: (netuid: Netuid, coldkey: Keypair, hotkey: Hotkey, amountRao: bigint) => Effect.Effect<number, ChainError>
  /** Registers a new subnet owned by `owner` (newer runtimes also take the owner hotkey); returns its netuid. */
  readonly registerNetwork: (owner: Keypair, hotkey: Hotkey) => Effect.Effect<Netuid, ChainError>
  /**
   * Runs an `AdminUtils` call as sudo (several: all or none, in one block); fails with the inner call's
   * error. Returns the block.
   */
  readonly sudo: (sudoKey: Keypair, call: AdminCall | ReadonlyArray<AdminCall>) => Effect.Effect<number, ChainError>
}

/** The chain a neuron talks to. */
export class Chain extends Context.Tag("dojo/Chain")<Chain, ChainShape>() {}
