/**
 * Commit-reveal weights, in the shapes the runtimes use (told apart by the metadata, not by a version
 * number):
 * - 4-argument `revealWeights` (spec 185): hash = blake2_256(SCALE(hotkey, netuid, uids, values, versionKey));
 *   the reveal is allowed in the interval of `weightCommitRevealInterval` blocks after the commit's interval.
 * - 5 arguments (spec 218): a u16 salt joins the hash and the reveal; `weightCommits` holds the commit's
 *   first and last reveal blocks.
 * - epoch-keyed (runtimes with `SubnetEpochIndex`, e.g. spec 425): `weightCommits[netuid_index][who]`
 *   holds `(hash, commit_epoch, commit_block, 0)`; the reveal is allowed only in epoch
 *   `commit_epoch + RevealPeriodEpochs` (judged with the epoch lookahead). The hash uses `netuid_index`
 *   (= netuid for mechanism 0), and mechanism `mecid > 0` uses the `*_mechanism_weights` calls.
 * Also: reading what a runtime offers for weights (`WeightsRuntime`).
 */
import type { ApiPromise } from "@polkadot/api"
import { blake2AsHex } from "@polkadot/util-crypto"
import { firstBlockOfEpoch, MAX_TEMPO, type EpochScheduleState } from "../../domain/chain/epoch-schedule.ts"
import type { Netuid } from "../../domain/chain/ids.ts"
import { QUICKNET } from "../../domain/chain/timelock.ts"
import { mechanismStorageIndex, type WeightsRuntime } from "../../domain/chain/weights-path.ts"
import { hasStorage, subtensorStorage } from "./metagraph.ts"

/** What a commit needs: the hash to send and the matching reveal arguments. */
export interface CommitPlan {
  readonly hash: string
  readonly revealArgs: ReadonlyArray<unknown>
}

/** The reveal window, inclusive, in blocks. */
export interface RevealWindow {
  readonly first: number
  readonly last: number
}

type TxMeta = Record<string, Record<string, { meta: { args: { length: number } } } | undefined>>
const txMeta = (api: ApiPromise, method: string) => (api.tx as unknown as TxMeta)["subtensorModule"]?.[method]

/** True when the runtime's metadata has this SubtensorModule call. */
export const hasCall = (api: ApiPromise, method: string): boolean => txMeta(api, method) !== undefined

const revealArity = (api: ApiPromise): number => txMeta(api, "revealWeights")?.meta.args.length ?? 0

/** True when this runtime's commit-reveal uses a salt (5-argument `revealWeights`). */
export const usesSalt = (api: ApiPromise): boolean => revealArity(api) >= 5

/** True when commits are keyed by the subnet's epoch counter (`SubnetEpochIndex` exists). */
export const epochKeyed = (api: ApiPromise): boolean => hasStorage(api, "subnetEpochIndex")

/** Builds the commit hash and reveal arguments; `salt` is only used by salted runtimes. */
export const planCommit = (
  api: ApiPromise,
  hotkey: string,
  netuid: number,
  uids: ReadonlyArray<number>,
  values: ReadonlyArray<number>,
  versionKey: number,
  salt: ReadonlyArray<number>,
  mechanismId = 0
): CommitPlan => {
  if (usesSalt(api)) {
    const payload = api.registry.createType("(AccountId32, u16, Vec<u16>, Vec<u16>, Vec<u16>, u64)", [
      hotkey, mechanismStorageIndex(netuid, mechanismId), uids, values, salt, versionKey
    ])
    const revealArgs = mechanismId > 0 ? [netuid, mechanismId, uids, values, salt, versionKey] : [netuid, uids, values, salt, versionKey]
    return { hash: blake2AsHex(payload.toU8a(), 256), revealArgs }
  }
  const payload = api.registry.createType("(AccountId32, u16, Vec<u16>, Vec<u16>, u64)", [hotkey, netuid, uids, values, versionKey])
  return { hash: blake2AsHex(payload.toU8a(), 256), revealArgs: [netuid, uids, values, versionKey] }
}

const num = async (api: ApiPromise, item: string, ...args: ReadonlyArray<unknown>): Promise<number> => {
  const f = subtensorStorage(api)[item]
  if (f === undefined) return 0
  return Number((await f(...args)).toJSON() ?? 0)
}

/** The subnet's epoch counter state at the head; undefined on runtimes without it. */
export const readEpochState = async (api: ApiPromise, netuid: number): Promise<EpochScheduleState | undefined> => {
  if (!epochKeyed(api)) return undefined
  const headNumber = (await api.rpc.chain.getHeader()).number.toNumber()
  const [lastEpochBlock, pendingEpochAt, subnetEpochIndex, tempo, blocksSinceLastStep] = await Promise.all(
    ["lastEpochBlock", "pendingEpochAt", "subnetEpochIndex", "tempo", "blocksSinceLastStep"].map((item) => num(api, item, netuid))
  )
  return {
    lastEpochBlock: lastEpochBlock ?? 0,
    pendingEpochAt: pendingEpochAt ?? 0,
    subnetEpochIndex: subnetEpochIndex ?? 0,
    tempo: tempo ?? 0,
    blocksSinceLastStep: blocksSinceLastStep ?? 0,
    currentBlock: headNumber
  }
}

/** The reveal window of the commit `hash` made in `commitBlock`, read from chain. */
export const revealWindow = async (
  api: ApiPromise,
  netuid: number,
  hotkey: string,
  hash: string,
  commitBlock: number,
  mechanismId = 0
): Promise<RevealWindow> => {
  const q = subtensorStorage(api)
  if (usesSalt(api)) {
    const commits = (await q["weightCommits"]?.(mechanismStorageIndex(netuid, mechanismId), hotkey)) as unknown as
      | { toJSON(): unknown }
      | undefined
    const raw = commits?.toJSON()
    const list = (Array.isArray(raw) ? raw : []) as Array<[string, number, number, number]>
    const mine = list.find((c) => c[0] === hash) ?? list.at(-1)
    if (mine === undefined) throw new Error("the commit is not on chain")
    const state = await readEpochState(api, netuid)
    if (state !== undefined) {
      // Epoch-keyed: field 1 is the commit's epoch, the reveal epoch follows RevealPeriodEpochs.
      const period = await num(api, "revealPeriodEpochs", netuid)
      const target = Number(mine[1]) + period
      const bound = (period + 2) * Math.max(1, Math.min(state.tempo, MAX_TEMPO)) + 2
      const first = firstBlockOfEpoch(state, state.currentBlock + 1, target, bound)
      const next = firstBlockOfEpoch(state, state.currentBlock + 1, target + 1, bound + state.tempo + 1)
      return { first, last: next - 1 }
    }
    return { first: Number(mine[2]), last: Number(mine[3]) }
  }
  const interval = Number((await q["weightCommitRevealInterval"]?.(netuid))?.toJSON() ?? 0)
  if (interval <= 0) return { first: commitBlock, last: commitBlock }
  const first = commitBlock - (commitBlock % interval) + interval
  return { first, last: first + interval - 1 }
}

/** What the runtime offers for weights on `netuid`, read at the head. */
export const readWeightsRuntime = async (api: ApiPromise, netuid: Netuid, blockSeconds: number): Promise<WeightsRuntime> => {
  const q = subtensorStorage(api)
  const epochs = hasStorage(api, "revealPeriodEpochs")
  const [enabled, version, period, mechanisms, epoch] = await Promise.all([
    q["commitRevealWeightsEnabled"]?.(netuid).then((c) => c.isTrue === true) ?? Promise.resolve(false),
    hasStorage(api, "commitRevealWeightsVersion") ? num(api, "commitRevealWeightsVersion") : Promise.resolve(undefined),
    num(api, epochs ? "revealPeriodEpochs" : "weightCommitRevealInterval", netuid),
    hasStorage(api, "mechanismCountCurrent") ? num(api, "mechanismCountCurrent", netuid) : Promise.resolve(1),
    readEpochState(api, netuid)
  ])
  return {
    netuid,
    commitRevealEnabled: enabled,
    commitRevealVersion: version,
    revealPeriod: period,
    revealUnit: epochs ? "epochs" : "blocks",
    mechanismCount: Math.max(1, mechanisms),
    calls: {
      setMechanismWeights: hasCall(api, "setMechanismWeights"),
      commitMechanismWeights: hasCall(api, "commitMechanismWeights"),
      commitTimelockedWeights: hasCall(api, "commitTimelockedWeights"),
      commitTimelockedMechanismWeights: hasCall(api, "commitTimelockedMechanismWeights")
    },
    epoch,
    blockSeconds,
    drand: { publicKeyHex: QUICKNET.publicKeyHex, genesisTime: QUICKNET.genesisTime, periodSeconds: QUICKNET.periodSeconds }
  }
}
