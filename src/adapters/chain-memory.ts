/**
 * The in-memory twin of `Chain`: the same interface and the same errors as subtensor spec 185 under
 * chopsticks in Instant mode (every transaction lands in a block of its own; `advance` builds empty
 * ones). It checks what the runtime checks, in the runtime's order: registration, version key, weight
 * rate limit, validator permit, duplicate and unknown uids, weight count and limit, axon IP and port.
 * Tests steer it through `ChainMemoryControl` (blocks, stake, permits, hyperparameters, funds).
 */
import { Context, Duration, Effect, Layer, Option, Schedule } from "effect"
import { blake2AsHex } from "@polkadot/util-crypto"
import { intToIp, isChainAcceptedIp, parseIp } from "../domain/ip.ts"
import type { Keypair } from "../domain/keypair.ts"
import { isEpochBlock, nextEpochBlock, unservedAxon, type Hyperparameters, type Metagraph, type Neuron } from "../domain/metagraph.ts"
import {
  Chain,
  ChainDispatchError,
  ChainInvalidArgument,
  ChainTimeout,
  type AdminCall,
  type ChainShape,
  type DispatchKind,
  type ServeAxonParams
} from "../services/chain.ts"
import { runEpoch, type EpochNeuron } from "./chain-memory-epoch.ts"

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
  hotkey: string
  coldkey: string
  lastUpdate: number
  registeredAt: number
  active: boolean
  axon: MemoryAxon | undefined
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
}

/** Controls of the in-memory chain (provided by `ChainMemory.layer`). */
export class ChainMemoryControl extends Context.Tag("dojo/ChainMemoryControl")<ChainMemoryControl, ChainMemoryControlShape>() {}

/** The sudo account of the dev chains (//Alice). */
const ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"

/** Hyperparameters of a subnet just registered on spec 185. */
const newSubnetDefaults = (netuid: number): MutableHyper => ({
  netuid,
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
export const makeChainMemory = (initial: ChainMemoryState = {}) =>
  Effect.gen(function* () {
    const lock = yield* Effect.makeSemaphore(1)
    const revealTimeoutMs = Duration.toMillis(initial.revealTimeout ?? Duration.seconds(30))
    let head = initial.block ?? 1
    const sudoKey = initial.sudo ?? ALICE
    const balances = new Map<string, bigint>(Object.entries(initial.balances ?? {}))
    const stakes = new Map<string, bigint>()
    const owners = new Map<string, string>()
    const subnets = new Map<number, MemorySubnet>()

    const newNeuron = (uid: number, hotkey: string, coldkey: string, block: number): MemoryNeuron => ({
      uid,
      hotkey,
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
      axon: undefined
    })

    for (const s of initial.subnets ?? []) {
      const hyper = { ...newSubnetDefaults(s.netuid), ...s.hyperparameters, netuid: s.netuid, subnetworkN: 0 }
      const subnet: MemorySubnet = {
        netuid: s.netuid,
        owner: s.owner ?? ALICE,
        hyper,
        neurons: [],
        emissionPerBlock: BigInt(Math.round((s.emissionPerBlock ?? 0) * 1e9)),
        commits: new Map()
      }
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

    /** Builds one block: the epoch of every subnet whose epoch block it is runs first (on_initialize). */
    const buildBlock = () => {
      head += 1
      for (const subnet of subnets.values()) {
        if (!isEpochBlock(head, subnet.netuid, subnet.hyper.tempo)) continue
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
          (): Metagraph => ({ netuid, block: head, neurons: (subnets.get(netuid)?.neurons ?? []).map(toNeuron) })
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

    const weightsOf = (netuid: number, uid: number) =>
      Effect.sync(() => subnets.get(netuid)?.neurons.find((x) => x.uid === uid)?.weights ?? [])

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
    const applyWeights = (op: string, netuid: number, hotkey: string, uids: ReadonlyArray<number>, values: ReadonlyArray<number>, versionKey: number, blockNumber: number) =>
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
        if (neuron.lastUpdate !== 0 && blockNumber - neuron.lastUpdate < hyper.weightsRateLimit) {
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
        neuron.weights = uids.map((u, i) => [u, upscaled[i] ?? 0] as const)
        neuron.lastUpdate = blockNumber
        return blockNumber
      })

    const commitHash = (hotkey: string, netuid: number, uids: ReadonlyArray<number>, values: ReadonlyArray<number>, versionKey: number) =>
      blake2AsHex(JSON.stringify([hotkey, netuid, uids, values, versionKey]), 256)

    const setWeights = (netuid: number, hotkey: Keypair, uids: ReadonlyArray<number>, weights: ReadonlyArray<number>, versionKey: number) =>
      Effect.gen(function* () {
        yield* requireSecret("setWeights", hotkey)
        const subnet = subnets.get(netuid)
        if (subnet === undefined || !subnet.hyper.commitRevealEnabled) {
          return yield* transaction((b) =>
            Effect.gen(function* () {
              if (subnet?.hyper.commitRevealEnabled) return yield* fail("setWeights", "CommitRevealEnabled", "CommitRevealEnabled", "Commit-reveal is on.")
              return { block: yield* applyWeights("setWeights", netuid, hotkey.ss58Address, uids, weights, versionKey, b), mode: "direct" as const }
            })
          )
        }
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
        yield* Effect.sync(() => head).pipe(
          Effect.repeat({ until: (h) => h + 1 >= first, schedule: Schedule.spaced(Duration.millis(20)) }),
          Effect.timeoutFail({
            duration: Duration.millis(revealTimeoutMs),
            onTimeout: () => new ChainTimeout({ operation: "setWeights (waiting for the reveal window)", timeoutMs: revealTimeoutMs })
          })
        )
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
            subnets.set(netuid, { netuid, owner: owner.ss58Address, hyper: newSubnetDefaults(netuid), neurons: [], emissionPerBlock: 0n, commits: new Map() })
            return netuid
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
      setEmission: (netuid, tao) => withSubnet(netuid, (s) => (s.emissionPerBlock = BigInt(Math.round(tao * 1e9))))
    }

    return { chain, control }
  })

/** The in-memory twin as layers: `Chain` plus its test controls. */
export const ChainMemory = {
  make: makeChainMemory,
  layer: (initial: ChainMemoryState = {}): Layer.Layer<Chain | ChainMemoryControl> =>
    Layer.effectContext(
      Effect.map(makeChainMemory(initial), ({ chain, control }) =>
        Context.make(Chain, chain).pipe(Context.add(ChainMemoryControl, control))
      )
    )
}
