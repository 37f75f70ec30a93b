/**
 * The in-memory twin of `Chain`: the same interface and the same errors as subtensor spec 185 under
 * chopsticks in Instant mode (every transaction lands in a block of its own; `advance` builds empty
 * ones). It checks what the runtime checks, in the runtime's order: registration, version key, weight
 * rate limit, validator permit, duplicate and unknown uids, weight count and limit, axon IP and port.
 * Tests steer it through `ChainMemoryControl` (blocks, stake, permits, hyperparameters, funds).
 *
 * With `spec425` it follows today's subtensor instead: an epoch counter per subnet (`epoch-schedule.ts`),
 * commit-reveal on by default, hash commits keyed by epoch (`(hash, epoch, block)`, at most 10, revealed
 * only in epoch `commit_epoch + period`), timelocked commits checked for `CommitRevealWeightsVersion` and
 * revealed by the twin itself at the start of their reveal epoch's blocks once their drand round has a
 * pulse: its own beacon key signs rounds, on a drand clock that runs `blockSeconds` per block from the
 * `Clock` at creation. Mechanisms (`mecid`) are checked; weights of mechanisms > 0 are kept apart.
 */
import { Clock, Context, Duration, Effect, Either, Layer, Option, Schedule } from "effect"
import { blake2AsHex, decodeAddress } from "@polkadot/util-crypto"
import { epochWithLookahead, firstBlockOfEpoch, stepEpoch, type EpochScheduleState } from "../../domain/chain/epoch-schedule.ts"
import { QUICKNET, beaconPublicKey, signRound, timelockOpen } from "../../domain/chain/timelock.ts"
import type { WeightsRuntime } from "../../domain/chain/weights-path.ts"
import { decodeWeightsTlockPayload } from "../../domain/chain/weights-tlock-payload.ts"
import { intToIp, isChainAcceptedIp, parseIp } from "../../domain/chain/ip.ts"
import { Hotkey, Netuid, Uid } from "../../domain/chain/ids.ts"
import type { Keypair } from "../../domain/wallet/keypair.ts"
import { isEpochBlock, nextEpochBlock, unservedAxon, type Hyperparameters, type Metagraph, type Neuron } from "../../domain/chain/metagraph.ts"
import {
  Chain,
  ChainDispatchError,
  ChainInvalidArgument,
  ChainTimeout,
  type AdminCall,
  type ChainShape,
  type DispatchKind,
  type ServeAxonParams,
  type TimelockedCommit
} from "../../services/chain.ts"
import { runEpoch, type EpochNeuron } from "./memory-epoch.ts"

const TAO = 1_000_000_000n

interface MemoryAxon {
  readonly ip: bigint
  readonly port: number
  readonly ipType: number
  readonly protocol: number
  readonly version: number
  readonly block: number
}

interface MemoryNeuron extends EpochNeuron {
  readonly uid: Uid
  hotkey: Hotkey
  coldkey: string
  lastUpdate: number
  registeredAt: number
  active: boolean
  axon: MemoryAxon | undefined
  /** Weights on mechanisms > 0 (spec425). */
  readonly mechanismWeights: Map<number, ReadonlyArray<readonly [number, number]>>
}

type MutableHyper = { -readonly [K in keyof Hyperparameters]: Hyperparameters[K] }

interface MemorySubnet {
  readonly netuid: number
  readonly owner: string
  readonly hyper: MutableHyper
  readonly neurons: Array<MemoryNeuron>
  /** Emission per block, in rao (0 = none, as a fresh subnet on spec 185). */
  emissionPerBlock: bigint
  readonly commits: Map<string, { readonly hash: string; readonly block: number }>
  /** spec425: the epoch counter's storage. */
  epoch: Omit<EpochScheduleState, "currentBlock" | "tempo">
  mechanismCount: number
  /** spec425: hash commits per hotkey, oldest first. */
  readonly epochCommits: Map<string, Array<{ readonly hash: string; readonly epoch: number; readonly block: number }>>
  /** spec425: timelocked commits per `netuid_index`, per commit epoch. */
  readonly timelocked: Map<number, Map<number, Array<{ readonly who: string; readonly block: number; readonly commit: Uint8Array; readonly round: number }>>>
}

/** Today's runtime (subtensor spec 425): what differs from spec 185 in the twin. */
export interface Spec425Options {
  /** `CommitRevealWeightsVersion`. Default 4. */
  readonly commitRevealVersion?: number
  /** Whether the metadata has the timelocked commit calls. Default true (false: a runtime with epoch-keyed hash commits only). */
  readonly timelocked?: boolean
  /** The twin's drand secret key (32 bytes); its public key is what `weightsRuntime` reports. */
  readonly beaconSecretKey?: Uint8Array
  /** Seconds per block on the twin's drand clock. Default 12. */
  readonly blockSeconds?: number
}

/** A neuron to start with. */
export interface InitialNeuron {
  readonly hotkey: string
  readonly coldkey: string
  /** Stake in TAO. */
  readonly stake?: number
  readonly validatorPermit?: boolean
  readonly axon?: { readonly ip: string; readonly port: number; readonly version?: number }
}

/** A subnet to start with. */
export interface InitialSubnet {
  readonly netuid: number
  readonly owner?: string
  readonly hyperparameters?: Partial<Omit<Hyperparameters, "netuid" | "subnetworkN">>
  readonly neurons?: ReadonlyArray<InitialNeuron>
  /** Emission per block, in TAO. */
  readonly emissionPerBlock?: number
  /** Mechanisms of the subnet (spec425). Default 1. */
  readonly mechanismCount?: number
}

/** The twin's starting state. */
export interface ChainMemoryState {
  readonly block?: number
  /** The sudo account (default //Alice's address). */
  readonly sudo?: string
  /** Free balances in rao. */
  readonly balances?: Readonly<Record<string, bigint>>
  readonly subnets?: ReadonlyArray<InitialSubnet>
  /** Limit for the commit-reveal wait. Default 30 s. */
  readonly revealTimeout?: Duration.DurationInput
  /** Behave as today's runtime (epoch counter, timelocked commits) instead of spec 185. */
  readonly spec425?: Spec425Options
}

/** Test controls of the in-memory chain. */
export interface ChainMemoryControlShape {
  /** Builds `n` empty blocks (epochs run on their blocks); returns the head. */
  readonly advance: (n: number) => Effect.Effect<number>
  /** Builds blocks until the subnet's next epoch has run; returns the head. */
  readonly nextEpoch: (netuid: number) => Effect.Effect<number>
  /** Sets a hotkey's stake (TAO). */
  readonly setStake: (hotkey: string, tao: number) => Effect.Effect<void>
  readonly setValidatorPermit: (netuid: number, uid: number, permit: boolean) => Effect.Effect<void>
  readonly setHyperparameters: (netuid: number, values: Partial<Omit<Hyperparameters, "netuid" | "subnetworkN">>) => Effect.Effect<void>
  /** Sets an account's free balance (rao). */
  readonly fund: (address: string, rao: bigint) => Effect.Effect<void>
  /** Sets a subnet's emission per block (TAO). */
  readonly setEmission: (netuid: number, taoPerBlock: number) => Effect.Effect<void>
  /** spec425: sets `CommitRevealWeightsVersion` (global, as `sudo_set_commit_reveal_version`). */
  readonly setCommitRevealVersion: (version: number) => Effect.Effect<void>
  /** spec425: timelocked commits not yet revealed on a subnet mechanism. */
  readonly pendingTimelocked: (netuid: number, mechanismId?: number) => Effect.Effect<number>
}

/** Controls of the in-memory chain (provided by `ChainMemory.layer`). */
export class ChainMemoryControl extends Context.Tag("dojo/ChainMemoryControl")<ChainMemoryControl, ChainMemoryControlShape>() {}

/** The sudo account of the dev chains (//Alice). */
const ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"

/** Hyperparameters of a subnet just registered on spec 185. */
const newSubnetDefaults = (netuid: number): MutableHyper => ({
  netuid: Netuid.make(netuid),
  tempo: 360,
  minAllowedWeights: 1,
  maxWeightsLimit: 65535,
  weightsRateLimit: 100,
  weightsVersionKey: 0,
  commitRevealEnabled: false,
  commitRevealPeriod: 1000,
  commitRevealUnit: "blocks",
  immunityPeriod: 5000,
  maxAllowedUids: 256,
  maxAllowedValidators: 64,
  servingRateLimit: 50,
  activityCutoff: 5000,
  subnetworkN: 0,
  registrationAllowed: true,
  burn: TAO
})

/** Hyperparameters of a subnet just registered on today's runtime: commit-reveal on, 1 epoch. */
const spec425Defaults = (netuid: number): MutableHyper => ({
  ...newSubnetDefaults(netuid),
  commitRevealEnabled: true,
  commitRevealPeriod: 1,
  commitRevealUnit: "epochs"
})

const freshEpoch = (block: number): MemorySubnet["epoch"] => ({
  lastEpochBlock: block,
  pendingEpochAt: 0,
  subnetEpochIndex: 0,
  blocksSinceLastStep: 0
})

const fail = (operation: string, name: string, kind: DispatchKind, docs: string) =>
  Effect.fail(new ChainDispatchError({ operation, pallet: "SubtensorModule", name, docs, kind }))

const requireSecret = (operation: string, key: Keypair) =>
  key.secretKey === undefined
    ? Effect.fail(new ChainInvalidArgument({ operation, reason: `key ${key.ss58Address} has no secret: it cannot sign extrinsics` }))
    : Effect.void

const upscale = (values: ReadonlyArray<number>): ReadonlyArray<number> => {
  const max = Math.max(0, ...values)
  return max === 0 ? values : values.map((v) => Math.floor((v * 65535) / max))
}

/** Builds the twin and its controls. */
export const make = (initial: ChainMemoryState = {}) =>
  Effect.gen(function* () {
    const lock = yield* Effect.makeSemaphore(1)
    const revealTimeoutMs = Duration.toMillis(initial.revealTimeout ?? Duration.seconds(30))
    let head = initial.block ?? 1
    const v4 = initial.spec425
    let commitRevealVersion = v4?.commitRevealVersion ?? 4
    const blockSeconds = v4?.blockSeconds ?? 12
    const beaconSecret = v4?.beaconSecretKey ?? new Uint8Array(32).fill(0x25)
    const beaconKey = v4 === undefined ? QUICKNET.publicKeyHex : beaconPublicKey(beaconSecret)
    const drandStart = { seconds: (yield* Clock.currentTimeMillis) / 1000, block: head }
    /** The latest drand round with a pulse at `block`, on the twin's drand clock. */
    const latestRound = (block: number) =>
      Math.floor((drandStart.seconds + (block - drandStart.block) * blockSeconds - QUICKNET.genesisTime) / QUICKNET.periodSeconds)
    const defaultsFor = (netuid: number) => (v4 ? spec425Defaults(netuid) : newSubnetDefaults(netuid))
    const newSubnet = (netuid: number, owner: string, hyper: MutableHyper, emissionPerBlock: bigint, mechanismCount = 1): MemorySubnet => ({
      netuid,
      owner,
      hyper,
      neurons: [],
      emissionPerBlock,
      commits: new Map(),
      epoch: freshEpoch(head),
      mechanismCount,
      epochCommits: new Map(),
      timelocked: new Map()
    })
    const sudoKey = initial.sudo ?? ALICE
    const balances = new Map<string, bigint>(Object.entries(initial.balances ?? {}))
    const stakes = new Map<string, bigint>()
    const owners = new Map<string, string>()
    const subnets = new Map<number, MemorySubnet>()

    const newNeuron = (uid: number, hotkey: string, coldkey: string, block: number): MemoryNeuron => ({
      uid: Uid.make(uid),
      hotkey: Hotkey.make(hotkey),
      coldkey,
      stakeRao: 0n,
      validatorPermit: false,
      weights: [],
      incentive: 0,
      dividends: 0,
      consensus: 0,
      trust: 0,
      validatorTrust: 0,
      emissionRao: 0n,
      lastUpdate: block,
      registeredAt: block,
      active: true,
      axon: undefined,
      mechanismWeights: new Map()
    })

    for (const s of initial.subnets ?? []) {
      const hyper = { ...defaultsFor(s.netuid), ...s.hyperparameters, netuid: Netuid.make(s.netuid), subnetworkN: 0 }
      const subnet = newSubnet(s.netuid, s.owner ?? ALICE, hyper, BigInt(Math.round((s.emissionPerBlock ?? 0) * 1e9)), s.mechanismCount)
      for (const [uid, n] of (s.neurons ?? []).entries()) {
        const neuron = newNeuron(uid, n.hotkey, n.coldkey, head)
        neuron.validatorPermit = n.validatorPermit ?? false
        if (n.axon) {
          const ip = Option.getOrElse(parseIp(n.axon.ip), () => ({ value: 0n, version: 4 as const }))
          neuron.axon = { ip: ip.value, port: n.axon.port, ipType: ip.version, protocol: 4, version: n.axon.version ?? 0, block: head }
        }
        subnet.neurons.push(neuron)
        owners.set(n.hotkey, n.coldkey)
        if (n.stake !== undefined) stakes.set(n.hotkey, BigInt(Math.round(n.stake * 1e9)))
      }
      subnets.set(s.netuid, subnet)
    }

    const stakeOf = (hotkey: string) => stakes.get(hotkey) ?? 0n

    const epochState = (s: MemorySubnet): EpochScheduleState => ({ ...s.epoch, tempo: s.hyper.tempo, currentBlock: head })

    /** spec425 `reveal_crv3_commits`: before the coinbase, open this epoch's due timelocked commits that have a pulse. */
    const revealTimelocked = (subnet: MemorySubnet, block: number) => {
      const period = subnet.hyper.commitRevealPeriod
      const cur = epochWithLookahead({ ...epochState(subnet), currentBlock: block - 1 }, block)
      const revealEpoch = cur - period
      for (const [index, byEpoch] of subnet.timelocked) {
        for (const epoch of [...byEpoch.keys()]) if (epoch < revealEpoch) byEpoch.delete(epoch)
        if (cur < period) continue
        const due = byEpoch.get(revealEpoch) ?? []
        const unrevealed = due.filter((c) => c.round > latestRound(block))
        for (const c of due) {
          if (c.round > latestRound(block)) continue
          // As the runtime: a commit that does not open, decode or apply is dropped silently.
          const opened = Either.try(() => decodeWeightsTlockPayload(timelockOpen(c.commit, signRound(beaconSecret, c.round))))
          if (Either.isLeft(opened)) continue
          const p = opened.right
          if (Buffer.from(p.hotkey).toString("hex") !== Buffer.from(decodeAddress(c.who)).toString("hex")) continue
          Effect.runSync(
            Effect.either(
              applyWeights("revealTimelocked", subnet.netuid, c.who, p.uids, p.values, Number(p.versionKey), block, {
                mechanismId: Math.floor(index / 4096)
              })
            )
          )
        }
        if (unrevealed.length > 0) byEpoch.set(revealEpoch, unrevealed)
        else byEpoch.delete(revealEpoch)
      }
    }

    /** Builds one block: due reveals, then the epoch of every subnet whose epoch fires (on_initialize). */
    const buildBlock = () => {
      head += 1
      for (const subnet of subnets.values()) {
        if (v4) {
          revealTimelocked(subnet, head)
          const before = subnet.epoch.subnetEpochIndex
          const { currentBlock: _, tempo: __, ...next } = stepEpoch({ ...epochState(subnet), currentBlock: head - 1 }, head)
          subnet.epoch = next
          if (next.subnetEpochIndex === before) continue
        } else if (!isEpochBlock(head, subnet.netuid, subnet.hyper.tempo)) continue
        for (const x of subnet.neurons) x.stakeRao = stakeOf(x.hotkey)
        runEpoch(subnet.neurons, subnet.hyper.maxAllowedValidators, subnet.emissionPerBlock * BigInt(subnet.hyper.tempo + 1))
        for (const x of subnet.neurons) stakes.set(x.hotkey, x.stakeRao)
      }
      return head
    }

    /** One transaction: a block of its own, then the call applied in it (atomically). */
    const transaction = <A, E>(apply: (block: number) => Effect.Effect<A, E>) =>
      lock.withPermits(1)(Effect.suspend(() => apply(buildBlock())))

    const subnetOf = (operation: string, netuid: number) => {
      const subnet = subnets.get(netuid)
      return subnet === undefined
        ? fail(operation, "NetworkDoesNotExist", "NetworkDoesNotExist", "The network does not exist.")
        : Effect.succeed(subnet)
    }

    const requireExisting = (operation: string, netuid: number) =>
      subnets.has(netuid)
        ? Effect.void
        : Effect.fail(new ChainInvalidArgument({ operation, reason: `subnet ${netuid} does not exist` }))

    const toNeuron = (x: MemoryNeuron): Neuron => ({
      uid: x.uid,
      hotkey: x.hotkey,
      coldkey: x.coldkey,
      stake: Number(stakeOf(x.hotkey)) / 1e9,
      validatorPermit: x.validatorPermit,
      trust: x.trust / 65535,
      consensus: x.consensus / 65535,
      incentive: x.incentive / 65535,
      dividends: x.dividends / 65535,
      validatorTrust: x.validatorTrust / 65535,
      emission: Number(x.emissionRao) / 1e9,
      lastUpdate: x.lastUpdate,
      active: x.active,
      axon: x.axon
        ? { ip: intToIp(x.axon.ip), port: x.axon.port, ipType: x.axon.ipType, protocol: x.axon.protocol, version: x.axon.version, block: x.axon.block }
        : unservedAxon
    })

    const block = Effect.sync(() => head)

    const metagraph = (netuid: number) =>
      Effect.zipRight(
        requireExisting("metagraph", netuid),
        Effect.sync(
          (): Metagraph => ({ netuid: Netuid.make(netuid), block: head, neurons: (subnets.get(netuid)?.neurons ?? []).map(toNeuron) })
        )
      )

    const hyperparameters = (netuid: number) =>
      Effect.zipRight(
        requireExisting("hyperparameters", netuid),
        Effect.sync((): Hyperparameters => {
          const s = subnets.get(netuid)
          if (s === undefined) throw new Error("unreachable")
          return { ...s.hyper, subnetworkN: s.neurons.length }
        })
      )

    const uidOf = (netuid: number, hotkey: string) =>
      Effect.sync(() => Option.map(Option.fromNullable(subnets.get(netuid)?.neurons.find((x) => x.hotkey === hotkey)), (x) => x.uid))

    const weightsOf = (netuid: number, uid: number, mechanismId = 0) =>
      Effect.sync(() => {
        const x = subnets.get(netuid)?.neurons.find((n) => n.uid === uid)
        return ((mechanismId === 0 ? x?.weights : x?.mechanismWeights.get(mechanismId)) ?? []).map(([to, w]) => [Uid.make(to), w] as const)
      })

    const burnedRegister = (netuid: number, coldkey: Keypair, hotkey: string) =>
      Effect.zipRight(
        Effect.zipRight(requireSecret("burnedRegister", coldkey), requireExisting("burnedRegister", netuid)),
        transaction((blockNumber) =>
          Effect.gen(function* () {
            const op = "burnedRegister"
            const subnet = yield* subnetOf(op, netuid)
            if (!subnet.hyper.registrationAllowed) {
              return yield* fail(op, "RegistrationDisabled", "Other", "Registration is disabled.")
            }
            if (subnet.neurons.some((x) => x.hotkey === hotkey)) {
              return yield* fail(op, "AlreadyRegistered", "AlreadyRegistered", "The caller is requesting registering a neuron which already exists in the active set.")
            }
            const owner = owners.get(hotkey)
            if (owner !== undefined && owner !== coldkey.ss58Address) {
              return yield* fail(op, "NonAssociatedColdKey", "Other", "The caller is requesting to set weights but the caller has no signed permit.")
            }
            const balance = balances.get(coldkey.ss58Address) ?? 0n
            if (balance < subnet.hyper.burn) {
              return yield* fail(op, "NotEnoughBalanceToStake", "NotEnoughBalance", "The caller does not have enought balance to register.")
            }
            balances.set(coldkey.ss58Address, balance - subnet.hyper.burn)
            owners.set(hotkey, coldkey.ss58Address)
            if (subnet.neurons.length < subnet.hyper.maxAllowedUids) {
              const neuron = newNeuron(subnet.neurons.length, hotkey, coldkey.ss58Address, blockNumber)
              subnet.neurons.push(neuron)
              return neuron.uid
            }
            // Full: the neuron with the lowest incentive (then the highest uid) makes room, as pruning does.
            const victim = [...subnet.neurons].sort((a, b) => a.incentive - b.incentive || b.uid - a.uid)[0]
            if (victim === undefined) return yield* fail(op, "NoNeuronIdAvailable", "Other", "No uid available.")
            subnet.neurons[victim.uid] = newNeuron(victim.uid, hotkey, coldkey.ss58Address, blockNumber)
            return victim.uid
          })
        )
      )

    const serveAxon = (netuid: number, hotkey: Keypair, params: ServeAxonParams) =>
      Effect.gen(function* () {
        const op = "serveAxon"
        yield* requireSecret(op, hotkey)
        const parsed = parseIp(params.ip)
        if (Option.isNone(parsed)) return yield* Effect.fail(new ChainInvalidArgument({ operation: op, reason: `not an IP address: ${params.ip}` }))
        const ip = parsed.value.value
        const ipType = params.ipType ?? parsed.value.version
        const protocol = params.protocol ?? 4
        const current = subnets.get(netuid)?.neurons.find((x) => x.hotkey === hotkey.ss58Address)?.axon
        if (
          current !== undefined &&
          current.ip === ip &&
          current.port === params.port &&
          current.ipType === ipType &&
          current.protocol === protocol &&
          current.version === params.version
        ) {
          return { _tag: "Unchanged" as const, block: current.block }
        }
        return yield* transaction((blockNumber) =>
          Effect.gen(function* () {
            const registeredAnywhere = [...subnets.values()].some((s) => s.neurons.some((x) => x.hotkey === hotkey.ss58Address))
            if (!registeredAnywhere) return yield* fail(op, "NotRegistered", "NotRegistered", "The hotkey is not registered.")
            if (ipType !== 4 && ipType !== 6) return yield* fail(op, "InvalidIpType", "InvalidIpType", "The IP type is not 4 or 6.")
            if (!isChainAcceptedIp(ipType, ip)) return yield* fail(op, "InvalidIpAddress", "InvalidIpAddress", "The IP address is invalid.")
            const subnet = subnets.get(netuid)
            const neuron = subnet?.neurons.find((x) => x.hotkey === hotkey.ss58Address)
            const last = neuron?.axon?.block ?? 0
            const limit = subnet?.hyper.servingRateLimit ?? 0
            if (limit > 0 && last > 0 && blockNumber - last < limit) {
              return yield* fail(op, "ServingRateLimitExceeded", "ServingRateLimitExceeded", "Serving too often.")
            }
            if (params.port === 0) return yield* fail(op, "InvalidPort", "InvalidPort", "The port is 0.")
            if (neuron) neuron.axon = { ip, port: params.port, ipType, protocol, version: params.version, block: blockNumber }
            return { _tag: "Served" as const, block: blockNumber }
          })
        )
      })

    /** The spec-185 `do_set_weights` checks, in its order, then the write. */
    const applyWeights = (
      op: string,
      netuid: number,
      hotkey: string,
      uids: ReadonlyArray<number>,
      values: ReadonlyArray<number>,
      versionKey: number,
      blockNumber: number,
      opts: { readonly mechanismId?: number } = {}
    ) =>
      Effect.gen(function* () {
        if (uids.length !== values.length) return yield* fail(op, "WeightVecNotEqualSize", "WeightVecNotEqualSize", "The uid and weight vectors differ in length.")
        const subnet = yield* subnetOf(op, netuid)
        if (uids.length > subnet.neurons.length) return yield* fail(op, "TooManyUids", "TooManyUids", "More uids than neurons.")
        const neuron = subnet.neurons.find((x) => x.hotkey === hotkey)
        if (neuron === undefined) return yield* fail(op, "NotRegistered", "NotRegistered", "The hotkey is not registered on this subnet.")
        const { hyper } = subnet
        if (hyper.weightsVersionKey !== 0 && versionKey < hyper.weightsVersionKey) {
          return yield* fail(op, "IncorrectNetworkVersionKey", "IncorrectNetworkVersionKey", "The version key is below the subnet's.")
        }
        // Today's runtime skips the rate limit when commit-reveal is on (the commit was rate-limited).
        const rateLimited = !(v4 && hyper.commitRevealEnabled)
        if (rateLimited && neuron.lastUpdate !== 0 && blockNumber - neuron.lastUpdate < hyper.weightsRateLimit) {
          return yield* fail(op, "SettingWeightsTooFast", "SettingWeightsTooFast", "Weights set faster than the subnet's rate limit.")
        }
        const selfWeight = values.length === 1 && uids[0] === neuron.uid
        if (!selfWeight && !neuron.validatorPermit) return yield* fail(op, "NoValidatorPermit", "NoValidatorPermit", "No validator permit.")
        if (new Set(uids).size !== uids.length) return yield* fail(op, "DuplicateUids", "DuplicateUids", "Duplicate uids.")
        if (uids.some((u) => !subnet.neurons.some((x) => x.uid === u))) return yield* fail(op, "InvalidUid", "InvalidUid", "A uid is not registered.")
        const minAllowed = Math.min(hyper.minAllowedWeights, subnet.neurons.length)
        if (!selfWeight && values.length < minAllowed) {
          return yield* fail(op, "NotSettingEnoughWeights", "NotSettingEnoughWeights", "Fewer weights than the subnet's minimum.")
        }
        const upscaled = upscale(values)
        const sum = values.reduce((a, b) => a + b, 0)
        if (!selfWeight && hyper.maxWeightsLimit < 65535 && sum > 0 && (Math.max(...values) / sum) * 65535 > hyper.maxWeightsLimit) {
          return yield* fail(op, "MaxWeightExceeded", "MaxWeightExceeded", "A weight exceeds the subnet's limit.")
        }
        const row = uids.map((u, i) => [u, upscaled[i] ?? 0] as const)
        if ((opts.mechanismId ?? 0) === 0) neuron.weights = row
        else neuron.mechanismWeights.set(opts.mechanismId ?? 0, row)
        neuron.lastUpdate = blockNumber
        return blockNumber
      })

    const commitHash = (hotkey: string, netuid: number, uids: ReadonlyArray<number>, values: ReadonlyArray<number>, versionKey: number) =>
      blake2AsHex(JSON.stringify([hotkey, netuid, uids, values, versionKey]), 256)

    /** spec425 commit checks shared by hash and timelocked commits, in the runtime's order (version: timelocked only). */
    const checkCommit = (op: string, s: MemorySubnet, who: string, mechanismId: number, block: number, version?: number) =>
      Effect.gen(function* () {
        if (mechanismId >= s.mechanismCount) return yield* fail(op, "MechanismDoesNotExist", "MechanismDoesNotExist", "The mechanism does not exist.")
        if (!s.hyper.commitRevealEnabled) return yield* fail(op, "CommitRevealDisabled", "CommitRevealDisabled", "Commit-reveal is off.")
        if (version !== undefined && version !== commitRevealVersion)
          return yield* fail(op, "IncorrectCommitRevealVersion", "IncorrectCommitRevealVersion", "The commit-reveal version is not the chain's.")
        const neuron = s.neurons.find((x) => x.hotkey === who)
        if (neuron === undefined) return yield* fail(op, "HotKeyNotRegisteredInSubNet", "NotRegistered", "Not registered.")
        if (neuron.lastUpdate !== 0 && block - neuron.lastUpdate < s.hyper.weightsRateLimit)
          return yield* fail(op, "CommittingWeightsTooFast", "CommittingWeightsTooFast", "Committing faster than the weights rate limit.")
        return neuron
      })

    /** The reveal epoch's first block, and the last one, from the head (spec425 hash commits). */
    const epochWindow = (s: MemorySubnet, commitEpoch: number) => {
      const state = epochState(s)
      const target = commitEpoch + s.hyper.commitRevealPeriod
      const bound = (s.hyper.commitRevealPeriod + 2) * Math.max(1, s.hyper.tempo) + 2
      const first = firstBlockOfEpoch(state, head + 1, target, bound)
      return { first, last: firstBlockOfEpoch(state, head + 1, target + 1, bound + s.hyper.tempo + 1) - 1 }
    }

    const waitForBlock = (first: number) =>
      Effect.sync(() => head).pipe(
        Effect.repeat({ until: (h) => h + 1 >= first, schedule: Schedule.spaced(Duration.millis(20)) }),
        Effect.timeoutFail({
          duration: Duration.millis(revealTimeoutMs),
          onTimeout: () => new ChainTimeout({ operation: "setWeights (waiting for the reveal window)", timeoutMs: revealTimeoutMs })
        })
      )

    /** spec425 hash commit-reveal keyed by epoch. */
    const setWeightsByEpoch = (netuid: number, hotkey: Keypair, uids: ReadonlyArray<number>, weights: ReadonlyArray<number>, versionKey: number, mechanismId: number) =>
      Effect.gen(function* () {
        const who = hotkey.ss58Address
        const hash = commitHash(who, netuid + mechanismId * 4096, uids, weights, versionKey)
        const key = `${mechanismId}:${who}`
        const committed = yield* transaction((b) =>
          Effect.gen(function* () {
            const s = yield* subnetOf("commitWeights", netuid)
            const neuron = yield* checkCommit("commitWeights", s, who, mechanismId, b)
            const list = s.epochCommits.get(key) ?? []
            if (list.length >= 10) return yield* fail("commitWeights", "TooManyUnrevealedCommits", "TooManyUnrevealedCommits", "Ten commits are waiting for their reveal.")
            const epoch = epochWithLookahead(epochState(s), b)
            s.epochCommits.set(key, [...list, { hash, epoch, block: b }])
            neuron.lastUpdate = b
            return { block: b, epoch }
          })
        )
        const subnet = subnets.get(netuid)!
        const window = epochWindow(subnet, committed.epoch)
        yield* waitForBlock(window.first)
        const revealed = yield* transaction((b) =>
          Effect.gen(function* () {
            const s = yield* subnetOf("revealWeights", netuid)
            const list = s.epochCommits.get(key) ?? []
            const cur = epochWithLookahead(epochState(s), b)
            const live = list.filter((c) => cur <= c.epoch + s.hyper.commitRevealPeriod)
            const expired = list.filter((c) => cur > c.epoch + s.hyper.commitRevealPeriod)
            s.epochCommits.set(key, live)
            const mine = live.find((c) => c.hash === hash)
            if (mine === undefined) {
              if (expired.some((c) => c.hash === hash)) return yield* fail("revealWeights", "ExpiredWeightCommit", "ExpiredWeightCommit", "The commit expired.")
              return yield* fail("revealWeights", "NoWeightsCommitFound", "NoCommitFound", "No commit found.")
            }
            if (cur !== mine.epoch + s.hyper.commitRevealPeriod) return yield* fail("revealWeights", "RevealTooEarly", "RevealTooEarly", "Not the reveal epoch yet.")
            s.epochCommits.set(key, live.filter((c) => c !== mine))
            return yield* applyWeights("revealWeights", netuid, who, uids, weights, versionKey, b, { mechanismId })
          })
        )
        return { block: revealed, mode: "commitReveal" as const, commitBlock: committed.block }
      })

    const setWeights = (netuid: number, hotkey: Keypair, uids: ReadonlyArray<number>, weights: ReadonlyArray<number>, versionKey: number, mechanismId = 0) =>
      Effect.gen(function* () {
        yield* requireSecret("setWeights", hotkey)
        if (mechanismId > 0 && !v4) return yield* Effect.fail(new ChainInvalidArgument({ operation: "setWeights", reason: "this runtime has no set_mechanism_weights" }))
        const subnet = subnets.get(netuid)
        if (subnet === undefined || !subnet.hyper.commitRevealEnabled) {
          return yield* transaction((b) =>
            Effect.gen(function* () {
              if (subnet?.hyper.commitRevealEnabled) return yield* fail("setWeights", "CommitRevealEnabled", "CommitRevealEnabled", "Commit-reveal is on.")
              if (subnet !== undefined && mechanismId >= subnet.mechanismCount)
                return yield* fail("setWeights", "MechanismDoesNotExist", "MechanismDoesNotExist", "The mechanism does not exist.")
              return { block: yield* applyWeights("setWeights", netuid, hotkey.ss58Address, uids, weights, versionKey, b, { mechanismId }), mode: "direct" as const }
            })
          )
        }
        if (v4) return yield* setWeightsByEpoch(netuid, hotkey, uids, weights, versionKey, mechanismId)
        const hash = commitHash(hotkey.ss58Address, netuid, uids, weights, versionKey)
        const commitBlock = yield* transaction((b) =>
          Effect.gen(function* () {
            const s = yield* subnetOf("commitWeights", netuid)
            if (!s.neurons.some((x) => x.hotkey === hotkey.ss58Address)) return yield* fail("commitWeights", "NotRegistered", "NotRegistered", "Not registered.")
            s.commits.set(hotkey.ss58Address, { hash, block: b })
            return b
          })
        )
        const interval = Math.max(1, subnet.hyper.commitRevealPeriod)
        const first = commitBlock - (commitBlock % interval) + interval
        yield* waitForBlock(first)
        const revealed = yield* transaction((b) =>
          Effect.gen(function* () {
            const s = yield* subnetOf("revealWeights", netuid)
            const commit = s.commits.get(hotkey.ss58Address)
            if (commit === undefined) return yield* fail("revealWeights", "NoCommitFound", "NoCommitFound", "No commit found.")
            if (b >= first + interval) return yield* fail("revealWeights", "InvalidRevealTempo", "RevealTooEarly", "Outside the reveal window.")
            if (commit.hash !== hash) return yield* fail("revealWeights", "InvalidReveal", "InvalidReveal", "The reveal does not match the commit.")
            s.commits.delete(hotkey.ss58Address)
            return yield* applyWeights("revealWeights", netuid, hotkey.ss58Address, uids, weights, versionKey, b)
          })
        )
        return { block: revealed, mode: "commitReveal" as const, commitBlock }
      })

    const weightsRuntime = (netuid: Netuid) =>
      Effect.zipRight(
        requireExisting("weightsRuntime", netuid),
        Effect.sync((): WeightsRuntime => {
          const s = subnets.get(netuid)!
          const timelocked = v4 !== undefined && v4.timelocked !== false
          return {
            netuid,
            commitRevealEnabled: s.hyper.commitRevealEnabled,
            commitRevealVersion: v4 ? commitRevealVersion : undefined,
            revealPeriod: s.hyper.commitRevealPeriod,
            revealUnit: v4 ? "epochs" : "blocks",
            mechanismCount: s.mechanismCount,
            calls: {
              setMechanismWeights: v4 !== undefined,
              commitMechanismWeights: v4 !== undefined,
              commitTimelockedWeights: timelocked,
              commitTimelockedMechanismWeights: timelocked
            },
            epoch: v4 ? epochState(s) : undefined,
            blockSeconds,
            drand: { publicKeyHex: beaconKey, genesisTime: QUICKNET.genesisTime, periodSeconds: QUICKNET.periodSeconds }
          }
        })
      )

    const commitTimelockedWeights = (hotkey: Keypair, c: TimelockedCommit) =>
      Effect.gen(function* () {
        const op = "commitTimelockedWeights"
        yield* requireSecret(op, hotkey)
        if (v4 === undefined || v4.timelocked === false)
          return yield* Effect.fail(new ChainInvalidArgument({ operation: op, reason: "this runtime has no commit_timelocked_weights" }))
        if (!c.mechanism && c.mechanismId !== 0)
          return yield* Effect.fail(new ChainInvalidArgument({ operation: op, reason: "a mechanism id > 0 needs commit_timelocked_mechanism_weights" }))
        if (c.commit.length > 5000) return yield* Effect.fail(new ChainInvalidArgument({ operation: op, reason: `commit of ${c.commit.length} bytes exceeds 5000` }))
        return yield* transaction((b) =>
          Effect.gen(function* () {
            const s = yield* subnetOf(op, c.netuid)
            const who = hotkey.ss58Address
            const neuron = yield* checkCommit(op, s, who, c.mechanismId, b, c.commitRevealVersion)
            const index = c.netuid + c.mechanismId * 4096
            const epoch = epochWithLookahead(epochState(s), b)
            const byEpoch: NonNullable<ReturnType<typeof s.timelocked.get>> = s.timelocked.get(index) ?? new Map()
            const list = byEpoch.get(epoch) ?? []
            if (list.filter((x) => x.who === who).length >= 10)
              return yield* fail(op, "TooManyUnrevealedCommits", "TooManyUnrevealedCommits", "Ten commits are waiting for their reveal.")
            byEpoch.set(epoch, [...list, { who, block: b, commit: c.commit, round: c.revealRound }])
            s.timelocked.set(index, byEpoch)
            neuron.lastUpdate = b
            return b
          })
        )
      })

    const addStake = (netuid: number, coldkey: Keypair, hotkey: string, amountRao: bigint) =>
      Effect.zipRight(
        requireSecret("addStake", coldkey),
        transaction((b) =>
          Effect.gen(function* () {
            const op = "addStake"
            void netuid
            const owner = owners.get(hotkey)
            if (owner === undefined) return yield* fail(op, "NotRegistered", "NotRegistered", "The hotkey account does not exist.")
            if (owner !== coldkey.ss58Address) return yield* fail(op, "NonAssociatedColdKey", "Other", "The coldkey does not own the hotkey.")
            const balance = balances.get(coldkey.ss58Address) ?? 0n
            if (balance < amountRao) return yield* fail(op, "NotEnoughBalanceToStake", "NotEnoughBalance", "Not enough balance to stake.")
            balances.set(coldkey.ss58Address, balance - amountRao)
            stakes.set(hotkey, stakeOf(hotkey) + amountRao)
            return b
          })
        )
      )

    const registerNetwork = (owner: Keypair, hotkey: string) =>
      Effect.zipRight(
        requireSecret("registerNetwork", owner),
        transaction(() =>
          Effect.gen(function* () {
            const lock = 1000n * TAO
            const balance = balances.get(owner.ss58Address) ?? 0n
            if (balance < lock) return yield* fail("registerNetwork", "NotEnoughBalanceToStake", "NotEnoughBalance", "Not enough balance for the lock.")
            balances.set(owner.ss58Address, balance - lock)
            let netuid = 1
            while (subnets.has(netuid)) netuid++
            void hotkey
            subnets.set(netuid, newSubnet(netuid, owner.ss58Address, defaultsFor(netuid), 0n))
            return Netuid.make(netuid)
          })
        )
      )

    /** AdminUtils calls the twin knows, as setters of the subnet's hyperparameters. */
    const adminSetters: Readonly<Record<string, (h: MutableHyper, v: number | boolean) => void>> = {
      sudoSetTempo: (h, v) => (h.tempo = Number(v)),
      sudoSetWeightsSetRateLimit: (h, v) => (h.weightsRateLimit = Number(v)),
      sudoSetServingRateLimit: (h, v) => (h.servingRateLimit = Number(v)),
      sudoSetMaxAllowedUids: (h, v) => (h.maxAllowedUids = Number(v)),
      sudoSetMaxAllowedValidators: (h, v) => (h.maxAllowedValidators = Number(v)),
      sudoSetWeightsVersionKey: (h, v) => (h.weightsVersionKey = Number(v)),
      sudoSetCommitRevealWeightsInterval: (h, v) => (h.commitRevealPeriod = Number(v)),
      sudoSetCommitRevealWeightsEnabled: (h, v) => (h.commitRevealEnabled = v === true),
      sudoSetMinAllowedWeights: (h, v) => (h.minAllowedWeights = Number(v)),
      sudoSetMaxWeightLimit: (h, v) => (h.maxWeightsLimit = Number(v)),
      sudoSetImmunityPeriod: (h, v) => (h.immunityPeriod = Number(v)),
      sudoSetActivityCutoff: (h, v) => (h.activityCutoff = Number(v)),
      sudoSetNetworkRegistrationAllowed: (h, v) => (h.registrationAllowed = v === true),
      sudoSetMaxRegistrationsPerBlock: () => undefined,
      sudoSetTargetRegistrationsPerInterval: () => undefined,
      sudoSetKappa: () => undefined
    }
    const globalAdmin = new Set(["sudoSetNetworkRateLimit", "sudoSetTxRateLimit"])

    const sudo = (key: Keypair, call: AdminCall | ReadonlyArray<AdminCall>) =>
      Effect.gen(function* () {
        const calls: ReadonlyArray<AdminCall> = Array.isArray(call) ? call : [call as AdminCall]
        const op = `sudo ${calls.map((c) => c.method).join(", ")}`
        yield* requireSecret(op, key)
        for (const c of calls) {
          if (adminSetters[c.method] === undefined && !globalAdmin.has(c.method)) {
            return yield* Effect.fail(new ChainInvalidArgument({ operation: op, reason: `this runtime has no adminUtils.${c.method}` }))
          }
        }
        return yield* transaction((b) =>
          Effect.gen(function* () {
            if (key.ss58Address !== sudoKey) {
              return yield* Effect.fail(
                new ChainDispatchError({ operation: op, pallet: "Sudo", name: "RequireSudo", docs: "Sender must be the Sudo account.", kind: "BadOrigin" })
              )
            }
            // All or nothing, like utility.batchAll: check every subnet before changing any.
            const steps: Array<() => void> = []
            for (const c of calls) {
              const setter = adminSetters[c.method]
              if (setter === undefined) continue
              const [netuid, value] = c.args
              const subnet = subnets.get(Number(netuid))
              if (subnet === undefined) {
                return yield* Effect.fail(
                  new ChainDispatchError({ operation: op, pallet: "AdminUtils", name: "SubnetDoesNotExist", docs: "The subnet does not exist.", kind: "NetworkDoesNotExist" })
                )
              }
              steps.push(() => setter(subnet.hyper, typeof value === "boolean" ? value : Number(value)))
            }
            for (const step of steps) step()
            return b
          })
        )
      })

    const chain: ChainShape = {
      endpoint: "memory",
      block,
      metagraph,
      hyperparameters,
      uidOf,
      weightsOf,
      burnedRegister,
      serveAxon,
      setWeights,
      weightsRuntime,
      commitTimelockedWeights,
      addStake,
      registerNetwork,
      sudo
    }

    const withSubnet = (netuid: number, f: (s: MemorySubnet) => void) =>
      lock.withPermits(1)(
        Effect.sync(() => {
          const s = subnets.get(netuid)
          if (s === undefined) throw new Error(`subnet ${netuid} does not exist`)
          f(s)
        })
      )

    const advance = (n: number) =>
      lock.withPermits(1)(
        Effect.sync(() => {
          for (let i = 0; i < n; i++) buildBlock()
          return head
        })
      )

    const control: ChainMemoryControlShape = {
      advance,
      nextEpoch: (netuid) =>
        Effect.suspend(() => {
          const tempo = subnets.get(netuid)?.hyper.tempo ?? 0
          const target = nextEpochBlock(head, netuid, tempo)
          return Number.isFinite(target) ? advance(target - head) : Effect.die(new Error(`subnet ${netuid} has no epochs (tempo 0)`))
        }),
      setStake: (hotkey, tao) => lock.withPermits(1)(Effect.sync(() => void stakes.set(hotkey, BigInt(Math.round(tao * 1e9))))),
      setValidatorPermit: (netuid, uid, permit) =>
        withSubnet(netuid, (s) => {
          const x = s.neurons.find((n) => n.uid === uid)
          if (x) x.validatorPermit = permit
        }),
      setHyperparameters: (netuid, values) => withSubnet(netuid, (s) => Object.assign(s.hyper, values)),
      fund: (address, rao) => lock.withPermits(1)(Effect.sync(() => void balances.set(address, rao))),
      setEmission: (netuid, tao) => withSubnet(netuid, (s) => (s.emissionPerBlock = BigInt(Math.round(tao * 1e9)))),
      setCommitRevealVersion: (version) => lock.withPermits(1)(Effect.sync(() => void (commitRevealVersion = version))),
      pendingTimelocked: (netuid, mechanismId = 0) =>
        Effect.sync(() =>
          [...(subnets.get(netuid)?.timelocked.get(netuid + mechanismId * 4096)?.values() ?? [])].reduce((n, l) => n + l.length, 0)
        )
    }

    return { chain, control }
  })

/** The in-memory twin as a layer: `Chain` plus its test controls. */
export const layer = (initial: ChainMemoryState = {}): Layer.Layer<Chain | ChainMemoryControl> =>
  Layer.effectContext(
    Effect.map(make(initial), ({ chain, control }) => Context.make(Chain, chain).pipe(Context.add(ChainMemoryControl, control)))
  )
