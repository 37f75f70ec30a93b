/**
 * Commit-reveal weights, in the two shapes the runtimes use (told apart by `revealWeights`' argument
 * count in the metadata, not by a version number):
 * - 4 arguments (spec 185): hash = blake2_256(SCALE(hotkey, netuid, uids, values, versionKey)); the
 *   reveal is allowed in the interval of `weightCommitRevealInterval` blocks after the commit's interval.
 * - 5 arguments (spec 218 and later v2): a u16 salt joins the hash and the reveal; `weightCommits` holds
 *   the commit's first and last reveal blocks.
 */
import type { ApiPromise } from "@polkadot/api"
import { blake2AsHex } from "@polkadot/util-crypto"
import { subtensorStorage } from "./chain-metagraph.ts"

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

const revealArity = (api: ApiPromise): number => {
  const reveal = (api.tx as unknown as Record<string, Record<string, { meta: { args: { length: number } } } | undefined>>)[
    "subtensorModule"
  ]?.["revealWeights"]
  return reveal?.meta.args.length ?? 0
}

/** True when this runtime's commit-reveal uses a salt (5-argument `revealWeights`). */
export const usesSalt = (api: ApiPromise): boolean => revealArity(api) >= 5

/** Builds the commit hash and reveal arguments; `salt` is only used by salted runtimes. */
export const planCommit = (
  api: ApiPromise,
  hotkey: string,
  netuid: number,
  uids: ReadonlyArray<number>,
  values: ReadonlyArray<number>,
  versionKey: number,
  salt: ReadonlyArray<number>
): CommitPlan => {
  if (usesSalt(api)) {
    const payload = api.registry.createType("(AccountId32, u16, Vec<u16>, Vec<u16>, Vec<u16>, u64)", [
      hotkey, netuid, uids, values, salt, versionKey
    ])
    return { hash: blake2AsHex(payload.toU8a(), 256), revealArgs: [netuid, uids, values, salt, versionKey] }
  }
  const payload = api.registry.createType("(AccountId32, u16, Vec<u16>, Vec<u16>, u64)", [hotkey, netuid, uids, values, versionKey])
  return { hash: blake2AsHex(payload.toU8a(), 256), revealArgs: [netuid, uids, values, versionKey] }
}

/** The reveal window of the commit `hash` made in `commitBlock`, read from chain. */
export const revealWindow = async (
  api: ApiPromise,
  netuid: number,
  hotkey: string,
  hash: string,
  commitBlock: number
): Promise<RevealWindow> => {
  const q = subtensorStorage(api)
  if (usesSalt(api)) {
    const commits = (await q["weightCommits"]?.(netuid, hotkey)) as unknown as
      | { isSome?: boolean; unwrap?: () => unknown; toJSON(): unknown }
      | undefined
    const raw = commits?.toJSON()
    const list = (Array.isArray(raw) ? raw : []) as Array<[string, number, number, number]>
    const mine = list.find((c) => c[0] === hash) ?? list.at(-1)
    if (mine === undefined) throw new Error("the commit is not on chain")
    return { first: Number(mine[2]), last: Number(mine[3]) }
  }
  const interval = Number((await q["weightCommitRevealInterval"]?.(netuid))?.toJSON() ?? 0)
  if (interval <= 0) return { first: commitBlock, last: commitBlock }
  const first = commitBlock - (commitBlock % interval) + interval
  return { first, last: first + interval - 1 }
}
