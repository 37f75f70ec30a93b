/**
 * The miner's side of a validator's RankingResult: the consensus it reached on one request and this
 * miner's score in it, stored (once per request and validator) and logged.
 */
import { Effect } from "effect"
import type { RankingResult } from "../../domain/wire/protocol.ts"
import { RankingResultSynapse } from "../../domain/wire/synapses.ts"
import { axonRoute, type AxonRequestContext, type AxonRoute } from "../../services/axon.ts"
import { MinerStore } from "../../services/miner-store.ts"
import { nowSeconds } from "../clock.ts"
import { blacklist } from "./blacklist.ts"
import type { MetagraphView } from "./metagraph-view.ts"
import { MinerSettings } from "./settings.ts"

/** Records one verified RankingResult from `validatorHotkey`; `myHotkey` picks our entry of `hotkey_to_score`. */
export const recordRankingResult = Effect.fn("Miner.recordRankingResult")(function* (
  myHotkey: string,
  validatorHotkey: string,
  result: RankingResult
) {
  const store = yield* MinerStore
  const myScore = Object.hasOwn(result.hotkey_to_score, myHotkey) ? (result.hotkey_to_score[myHotkey] ?? null) : null
  const recorded = yield* store.recordResult({
    requestId: result.request_id,
    validatorHotkey,
    cidToConsensus: result.cid_to_consensus,
    myScore,
    receivedAt: Math.floor(yield* nowSeconds)
  })
  yield* Effect.logInfo(recorded === "recorded" ? "ranking result recorded" : "ranking result already recorded").pipe(
    Effect.annotateLogs({
      request_id: result.request_id,
      validator: validatorHotkey,
      my_score: myScore === null ? "none" : myScore,
      participants: Object.keys(result.hotkey_to_score).length
    })
  )
  return recorded
})

/** The `/RankingResult` route: the same blacklist as requests; the reply echoes the (immutable) result. */
export const rankingResultRoute = (view: MetagraphView, myHotkey: string): Effect.Effect<AxonRoute, never, MinerStore | MinerSettings> =>
  Effect.gen(function* () {
    const settings = yield* MinerSettings
    const store = yield* MinerStore
    return axonRoute(RankingResultSynapse, {
      blacklist: blacklist(view, settings.minStake),
      forward: (ctx: AxonRequestContext, result: RankingResult) =>
        recordRankingResult(myHotkey, ctx.dendrite.hotkey ?? "", result).pipe(
          Effect.as(result),
          Effect.provideService(MinerStore, store)
        )
    })
  })
