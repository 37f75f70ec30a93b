/**
 * Reading a subnet from subtensor storage, typed by the runtime's own metadata. The storage path (a
 * handful of batched storage reads) is the default: under chopsticks it is 5–15× faster than the
 * `NeuronInfoRuntimeApi` (every storage access of a runtime call goes back to JS there). Which stake
 * items exist is read from the metadata, not guessed from a version number: `TotalHotkeyStake` on
 * pre-dynamic-TAO runtimes, `TotalHotkeyAlpha` after.
 */
import type { ApiPromise } from "@polkadot/api"
import type { ApiDecoration } from "@polkadot/api/types"
import { compactStripLength } from "@polkadot/util"
import { Hotkey, type Netuid, Uid } from "../../domain/chain/ids.ts"
import { intToIp } from "../../domain/chain/ip.ts"
import type { AxonInfo, Hyperparameters, Metagraph, Neuron } from "../../domain/chain/metagraph.ts"
import { unservedAxon } from "../../domain/chain/metagraph.ts"

/** The few codec methods these reads use. */
interface Int {
  toNumber(): number
  toBigInt(): bigint
}
interface Codec {
  toString(): string
  toJSON(): unknown
  readonly isTrue?: boolean
  readonly isSome?: boolean
  unwrap?(): Codec
  get?(name: string): Codec | undefined
}
interface StorageKey {
  readonly args: ReadonlyArray<Codec & Int>
}
interface StorageFn {
  (...args: ReadonlyArray<unknown>): Promise<Codec>
  entries(...args: ReadonlyArray<unknown>): Promise<Array<[StorageKey, Codec]>>
  multi(args: ReadonlyArray<unknown>): Promise<Array<Codec>>
}
type Storage = Readonly<Record<string, StorageFn | undefined>>

/** The SubtensorModule storage functions of an api (or an api at a block). */
export const subtensorStorage = (api: ApiPromise | ApiDecoration<"promise">): Storage =>
  (api.query as unknown as Record<string, Storage | undefined>)["subtensorModule"] ?? {}

/** True when the runtime's metadata has this SubtensorModule storage item. */
export const hasStorage = (api: ApiPromise | ApiDecoration<"promise">, item: string): boolean =>
  subtensorStorage(api)[item] !== undefined

const fn = (storage: Storage, item: string): StorageFn => {
  const f = storage[item]
  if (f === undefined) throw new Error(`this runtime has no SubtensorModule.${item}`)
  return f
}

const U16 = 65535
const RAO = 1e9

const asInt = (c: Codec): Int => c as unknown as Int
const ints = (c: Codec): ReadonlyArray<Int> => c as unknown as ReadonlyArray<Int>
const bools = (c: Codec): ReadonlyArray<boolean> => (c as unknown as ReadonlyArray<Codec>).map((b) => b.isTrue === true)
const unwrapOption = (c: Codec): Codec | undefined =>
  c.isSome === undefined ? c : c.isSome && c.unwrap ? c.unwrap() : undefined

/** Reads an AxonInfo struct by field name: field order differs between runtimes. */
export const axonFromCodec = (c: Codec | undefined): AxonInfo => {
  if (c === undefined || c.get === undefined) return unservedAxon
  const field = (name: string) => {
    const v = c.get?.(name)
    if (v === undefined) throw new Error(`AxonInfo has no field ${name}`)
    return asInt(v)
  }
  return {
    ip: intToIp(field("ip").toBigInt()),
    port: field("port").toNumber(),
    ipType: field("ipType").toNumber(),
    protocol: field("protocol").toNumber(),
    version: field("version").toNumber(),
    block: field("block").toNumber()
  }
}

/** The head block: its hash and number. */
export const head = async (api: ApiPromise): Promise<{ readonly hash: string; readonly number: number }> => {
  const header = await api.rpc.chain.getHeader()
  return { hash: header.hash.toHex(), number: header.number.toNumber() }
}

/** True when the subnet exists at this state. */
export const subnetExists = async (api: ApiPromise | ApiDecoration<"promise">, netuid: number): Promise<boolean> =>
  (await fn(subtensorStorage(api), "networksAdded")(netuid)).isTrue === true

/** The whole metagraph of a subnet at block `at`, from storage. */
export const readMetagraphStorage = async (
  api: ApiPromise,
  netuid: Netuid,
  at: { readonly hash: string; readonly number: number }
): Promise<Metagraph> => {
  const apiAt = await api.at(at.hash)
  const q = subtensorStorage(apiAt)
  const vectorItems = ["incentive", "dividends", "emission", "trust", "consensus", "validatorTrust", "validatorPermit", "lastUpdate", "active"] as const
  const [keyEntries, axonEntries, vectors] = await Promise.all([
    fn(q, "keys").entries(netuid),
    fn(q, "axons").entries(netuid),
    apiAt.queryMulti(vectorItems.map((item) => [fn(q, item), netuid]) as never) as unknown as Promise<Array<Codec>>
  ])
  const hotkeyByUid = new Map<number, string>()
  for (const [key, value] of keyEntries) {
    const uid = key.args[1]
    if (uid !== undefined) hotkeyByUid.set(uid.toNumber(), value.toString())
  }
  const uids = [...hotkeyByUid.keys()].sort((a, b) => a - b)
  const hotkeys = uids.map((uid) => hotkeyByUid.get(uid) ?? "")
  const axonByHotkey = new Map<string, Codec | undefined>()
  for (const [key, value] of axonEntries) {
    const hotkey = key.args[1]
    if (hotkey !== undefined) axonByHotkey.set(hotkey.toString(), unwrapOption(value))
  }
  const stakeRao = hasStorage(apiAt, "totalHotkeyStake")
    ? fn(q, "totalHotkeyStake").multi(hotkeys)
    : fn(q, "totalHotkeyAlpha").multi(hotkeys.map((h) => [h, netuid]))
  const [owners, stakes] = await Promise.all([fn(q, "owner").multi(hotkeys), stakeRao])
  const [incentive, dividends, emission, trust, consensus, validatorTrust, permit, lastUpdate, active] = vectors as [
    Codec, Codec, Codec, Codec, Codec, Codec, Codec, Codec, Codec
  ]
  const u16At = (v: Codec, uid: number) => (ints(v)[uid]?.toNumber() ?? 0) / U16
  const neurons: Array<Neuron> = uids.map((uid, i) => {
    const hotkey = hotkeys[i] ?? ""
    return {
      uid: Uid.make(uid),
      hotkey: Hotkey.make(hotkey),
      coldkey: owners[i]?.toString() ?? "",
      stake: Number(stakes[i] ? asInt(stakes[i]).toBigInt() : 0n) / RAO,
      validatorPermit: bools(permit)[uid] ?? false,
      trust: u16At(trust, uid),
      consensus: u16At(consensus, uid),
      incentive: u16At(incentive, uid),
      dividends: u16At(dividends, uid),
      validatorTrust: u16At(validatorTrust, uid),
      emission: Number(ints(emission)[uid]?.toBigInt() ?? 0n) / RAO,
      lastUpdate: ints(lastUpdate)[uid]?.toNumber() ?? 0,
      active: bools(active)[uid] ?? false,
      axon: axonFromCodec(axonByHotkey.get(hotkey))
    }
  })
  return { netuid, block: at.number, neurons }
}

/** Registers the `NeuronInfoLite` layout (the runtime API returns opaque bytes) with the metadata's own axon types. */
const registerNeuronInfoLite = (api: ApiPromise): void => {
  if (api.registry.hasType("DojoNeuronInfoLite")) return
  const q = subtensorStorage(api)
  const valueType = (item: string) =>
    api.registry.createLookupType(
      (fn(q, item) as unknown as { creator: { meta: { type: { asMap: { value: unknown } } } } }).creator.meta.type.asMap
        .value as never
    )
  api.registry.register({
    DojoNeuronInfoLite: {
      hotkey: "AccountId32",
      coldkey: "AccountId32",
      uid: "Compact<u16>",
      netuid: "Compact<u16>",
      active: "bool",
      axonInfo: valueType("axons"),
      prometheusInfo: valueType("prometheus"),
      stake: "Vec<(AccountId32, Compact<u64>)>",
      rank: "Compact<u16>",
      emission: "Compact<u64>",
      incentive: "Compact<u16>",
      consensus: "Compact<u16>",
      trust: "Compact<u16>",
      validatorTrust: "Compact<u16>",
      dividends: "Compact<u16>",
      lastUpdate: "Compact<u64>",
      validatorPermit: "bool",
      pruningScore: "Compact<u16>"
    }
  })
}

/**
 * The metagraph through `NeuronInfoRuntimeApi.getNeuronsLite`, as the Python SDK reads it. Its `Bytes`
 * result still carries the inner `Vec<u8>` length prefix, stripped here. Stake is the sum of the
 * runtime's per-coldkey list (0 for alpha stake on dynamic-TAO runtimes).
 */
export const readMetagraphRuntimeApi = async (api: ApiPromise, netuid: Netuid): Promise<Metagraph> => {
  registerNeuronInfoLite(api)
  const at = await head(api)
  const call = (api.call as unknown as Record<string, Record<string, (...a: Array<unknown>) => Promise<Codec & { toU8a(bare?: boolean): Uint8Array }>>>)[
    "neuronInfoRuntimeApi"
  ]
  const getNeuronsLite = call?.["getNeuronsLite"]
  if (getNeuronsLite === undefined) throw new Error("this runtime has no NeuronInfoRuntimeApi.getNeuronsLite")
  const bytes = compactStripLength((await getNeuronsLite(netuid)).toU8a(true))[1]
  const list = api.registry.createType("Vec<DojoNeuronInfoLite>", bytes) as unknown as ReadonlyArray<Codec>
  const neurons = list.map((n): Neuron => {
    const f = (name: string) => {
      const v = n.get?.(name)
      if (v === undefined) throw new Error(`NeuronInfoLite has no field ${name}`)
      return v
    }
    const u16 = (name: string) => asInt(f(name)).toNumber() / U16
    const stakeList = f("stake") as unknown as ReadonlyArray<ReadonlyArray<Codec>>
    const stake = stakeList.reduce((acc, pair) => acc + (pair[1] ? asInt(pair[1]).toBigInt() : 0n), 0n)
    return {
      uid: Uid.make(asInt(f("uid")).toNumber()),
      hotkey: Hotkey.make(f("hotkey").toString()),
      coldkey: f("coldkey").toString(),
      stake: Number(stake) / RAO,
      validatorPermit: f("validatorPermit").isTrue === true,
      trust: u16("trust"),
      consensus: u16("consensus"),
      incentive: u16("incentive"),
      dividends: u16("dividends"),
      validatorTrust: u16("validatorTrust"),
      emission: Number(asInt(f("emission")).toBigInt()) / RAO,
      lastUpdate: asInt(f("lastUpdate")).toNumber(),
      active: f("active").isTrue === true,
      axon: axonFromCodec(f("axonInfo"))
    }
  })
  return { netuid, block: at.number, neurons: neurons.sort((a, b) => a.uid - b.uid) }
}

/** The subnet's hyperparameters, in one batched storage read. */
export const readHyperparameters = async (api: ApiPromise, netuid: Netuid): Promise<Hyperparameters> => {
  const q = subtensorStorage(api)
  const crItem = hasStorage(api, "revealPeriodEpochs") ? "revealPeriodEpochs" : "weightCommitRevealInterval"
  const items = [
    "tempo",
    "minAllowedWeights",
    "maxWeightsLimit",
    "weightsSetRateLimit",
    "weightsVersionKey",
    "commitRevealWeightsEnabled",
    crItem,
    "immunityPeriod",
    "maxAllowedUids",
    "maxAllowedValidators",
    "servingRateLimit",
    "activityCutoff",
    "subnetworkN",
    "networkRegistrationAllowed",
    "burn"
  ] as const
  const values = (await api.queryMulti(items.map((item) => [fn(q, item), netuid]) as never)) as unknown as ReadonlyArray<Codec>
  const num = (i: number) => (values[i] ? asInt(values[i]).toNumber() : 0)
  return {
    netuid,
    tempo: num(0),
    minAllowedWeights: num(1),
    maxWeightsLimit: num(2),
    weightsRateLimit: num(3),
    weightsVersionKey: num(4),
    commitRevealEnabled: values[5]?.isTrue === true,
    commitRevealPeriod: num(6),
    commitRevealUnit: crItem === "revealPeriodEpochs" ? "epochs" : "blocks",
    immunityPeriod: num(7),
    maxAllowedUids: num(8),
    maxAllowedValidators: num(9),
    servingRateLimit: num(10),
    activityCutoff: num(11),
    subnetworkN: num(12),
    registrationAllowed: values[13]?.isTrue === true,
    burn: values[14] ? asInt(values[14]).toBigInt() : 0n
  }
}
