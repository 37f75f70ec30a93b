/**
 * Every epoch the validator turns its EMA scores into on-chain weights: L1-normalise, the SDK's weight
 * processing with the subnet's hyperparameters, u16 conversion, then the path the chain offers
 * (`weights-path.ts`): `set_weights`, a timelocked commit the chain reveals itself, or hash commit then
 * reveal. A weight setting that cannot happen now (rate limit, nothing to set) is skipped and said in the
 * logs; runtime refusals that need waiting become `WeightsRefusal`s; other chain failures are returned
 * for the caller's retry schedule.
 */
import { Data, Effect } from "effect"
import { RevealScheduleError, timelockRevealRound } from "../../domain/chain/epoch-schedule.ts"
import { timelockSeal } from "../../domain/chain/timelock.ts"
import { chooseWeightsPath, type WeightsPath, type WeightsRuntime } from "../../domain/chain/weights-path.ts"
import { encodeWeightsTlockPayload } from "../../domain/chain/weights-tlock-payload.ts"
import type { Keypair } from "../../domain/wallet/keypair.ts"
import { Uid } from "../../domain/chain/ids.ts"
import { blocksUntilWeightsAllowed, uidOf } from "../../domain/chain/metagraph.ts"
import { scoreFor } from "../../domain/scoring/moving-average.ts"
import { WeightsError, weightsForChain } from "../../domain/chain/weights.ts"
import { Chain, type ChainError, type SetWeightsResult } from "../../services/chain.ts"
import { ScoreLedger } from "../../services/score-ledger.ts"
import { Wallet } from "../../services/wallet.ts"
import { nowSeconds } from "../clock.ts"
import { registeredUid } from "../registered-uid.ts"
import { ValidatorSettings } from "./settings.ts"
import { NoWeightsPathAvailable, refusalOf } from "./weights-refusals.ts"

/** The subnet refuses our version key; only the operator can fix it. */
export class VersionKeyTooLow extends Data.TaggedError("VersionKeyTooLow")<{ readonly ours: number; readonly required: number }> {
  override get message() {
    return `--neuron.version_key ${this.ours} is below the subnet's weights version key ${this.required}: upgrade or pass a higher key`
  }
}

/** What one attempt did. */
export type SetWeightsOutcome =
  | {
      readonly _tag: "Set"
      readonly block: number
      readonly uids: ReadonlyArray<number>
      readonly weights: ReadonlyArray<number>
      /** The path taken (`Timelocked`: `block` holds the commit; the chain reveals at its round). */
      readonly path?: WeightsPath["_tag"]
    }
  | { readonly _tag: "Skipped"; readonly reason: string }

/** Sets weights from the stored scores, if the chain allows it now. */
export const setWeights = Effect.fn("Validator.setWeights")(function* () {
  const chain = yield* Chain
  const store = yield* ScoreLedger
  const settings = yield* ValidatorSettings
  const hotkey = yield* (yield* Wallet).hotkey
  const [metagraph, hp] = yield* Effect.all([chain.metagraph(settings.netuid), chain.hyperparameters(settings.netuid)])
  const myUid = yield* registeredUid(uidOf(metagraph, hotkey.ss58Address), settings.netuid, hotkey.ss58Address)
  if (settings.versionKey < hp.weightsVersionKey)
    return yield* new VersionKeyTooLow({ ours: settings.versionKey, required: hp.weightsVersionKey })

  const me = metagraph.neurons.find((n) => n.uid === myUid)!
  const wait = blocksUntilWeightsAllowed(me.lastUpdate, metagraph.block + 1, hp.weightsRateLimit)
  if (wait > 0) return { _tag: "Skipped", reason: `weights rate limit: ${wait} more blocks` } satisfies SetWeightsOutcome

  // Scores are kept per uid; a uid whose hotkey changed since the last EMA step counts 0 (the same reset).
  const stored = new Map((yield* store.loadScores).map((s) => [s.uid, s] as const))
  const uids = metagraph.neurons.map((n) => n.uid)
  const scores = metagraph.neurons.map((n) => scoreFor(stored.get(n.uid), n.hotkey))
  if (scores.every((s) => s === 0)) return { _tag: "Skipped", reason: "no scores yet" } satisfies SetWeightsOutcome

  const emit = yield* Effect.try({
    try: () =>
      weightsForChain({
        scores,
        uids,
        numNeurons: metagraph.neurons.length,
        minAllowedWeights: hp.minAllowedWeights,
        maxWeightsLimitU16: hp.maxWeightsLimit
      }),
    catch: (e) => (e instanceof WeightsError ? e : new WeightsError({ pythonType: "ValueError", message: String(e) }))
  })

  const mechanismId = settings.mechanismId ?? 0
  const rt = yield* chain.weightsRuntime(settings.netuid)
  const path = chooseWeightsPath(rt, mechanismId)
  if (path._tag === "NoWeightsPath") return yield* new NoWeightsPathAvailable({ reason: path.reason })
  yield* Effect.logDebug("weights path").pipe(Effect.annotateLogs({ path: path._tag, mechanism_id: mechanismId }))
  const send: Effect.Effect<SetWeightsResult, ChainError | NoWeightsPathAvailable, Chain> =
    path._tag === "Timelocked"
      ? commitTimelocked(rt, path, hotkey, mechanismId, emit.uids, emit.weights, settings.versionKey)
      : chain.setWeights(settings.netuid, hotkey, emit.uids.map((uid) => Uid.make(uid)), emit.weights, settings.versionKey, mechanismId)
  const sentVersion = path._tag === "Timelocked" ? path.version : undefined
  const landed = yield* Effect.mapError(send, (e) =>
    e._tag === "NoWeightsPathAvailable" ? e : (refusalOf(e, settings.netuid, sentVersion) ?? e)
  )
  const now = yield* nowSeconds
  yield* store.recordWeights({ block: landed.block, uids: emit.uids, weights: emit.weights, versionKey: settings.versionKey, at: now })
  const weightOf = new Map(emit.uids.map((u, i) => [u, emit.weights[i]! / 65535] as const))
  yield* store.recordScoreSnapshot(
    now,
    metagraph.neurons.map((n, i) => ({ uid: n.uid, hotkey: n.hotkey, score: scores[i]!, weight: weightOf.get(n.uid) ?? 0 }))
  )
  yield* Effect.logInfo("weights set on chain").pipe(
    Effect.annotateLogs({ block: landed.block, mode: landed.mode, uids: emit.uids.length })
  )
  return { _tag: "Set", block: landed.block, uids: emit.uids, weights: emit.weights, path: path._tag } satisfies SetWeightsOutcome
})

/** Encrypts the weights to the drand round of their reveal block and commits them (the chain reveals them). */
const commitTimelocked = (
  rt: WeightsRuntime,
  path: Extract<WeightsPath, { _tag: "Timelocked" }>,
  hotkey: Keypair,
  mechanismId: number,
  uids: ReadonlyArray<number>,
  weights: ReadonlyArray<number>,
  versionKey: number
) =>
  Effect.gen(function* () {
    const chain = yield* Chain
    const now = yield* nowSeconds
    const epoch = rt.epoch!
    const revealRound = yield* Effect.try({
      try: () => timelockRevealRound(epoch, rt.revealPeriod, rt.blockSeconds, now, rt.drand),
      catch: (e) => new NoWeightsPathAvailable({ reason: e instanceof RevealScheduleError ? e.message : String(e) })
    })
    const payload = encodeWeightsTlockPayload({ hotkey: hotkey.publicKey, uids, values: weights, versionKey: BigInt(versionKey) })
    // Fresh secrets per commit: whoever knew them could open the commit before its round.
    const randomness = yield* Effect.sync(() => ({
      sigma: crypto.getRandomValues(new Uint8Array(32)),
      esk: crypto.getRandomValues(new Uint8Array(32)),
      nonce: crypto.getRandomValues(new Uint8Array(12))
    }))
    const commit = timelockSeal(payload, revealRound, randomness, rt.drand.publicKeyHex)
    const block = yield* chain.commitTimelockedWeights(hotkey, {
      netuid: rt.netuid,
      mechanismId,
      mechanism: path.mechanism,
      commit,
      revealRound,
      commitRevealVersion: path.version
    })
    yield* Effect.logInfo("timelocked weights committed").pipe(Effect.annotateLogs({ block, reveal_round: revealRound, bytes: commit.length }))
    return { block, mode: "timelocked", commitBlock: block } satisfies SetWeightsResult
  })
