/**
 * The miner's answer to a validator's RankingRequest: every completion scored by its scoring method
 * (`ranks`, `scoring_method`, `model_config`), or for `aws_mturk` a HIT created and recorded for the
 * validator that asked, answered at once with `mturk_hit_id` and no ranks. A request it cannot score
 * fails, so the axon answers with an error status: no rank is ever made up.
 */
import { Data, Effect, Option } from "effect"
import { isServing, type Metagraph } from "../../domain/chain/metagraph.ts"
import { refuse } from "../../domain/refusal.ts"
import type { RankingRequest } from "../../domain/wire/protocol.ts"
import { requestPriority } from "../../domain/request-priority.ts"
import { RankingRequestSynapse } from "../../domain/wire/synapses.ts"
import { answerRanks, validRanks } from "../../domain/scoring/valid-ranks.ts"
import { axonRoute, type AxonRequestContext, type AxonRoute } from "../../services/axon.ts"
import { MinerStore } from "../../services/miner-store.ts"
import { Scorer } from "../../services/scorer.ts"
import { nowSeconds } from "../clock.ts"
import { blacklist } from "./blacklist.ts"
import type { MetagraphView } from "./metagraph-view.ts"
import { MinerSettings } from "./settings.ts"

/** The request was valid but produced nothing to send back (no completion scored, no HIT reachable). */
export class RequestNotScored extends Data.TaggedError("RequestNotScored")<{
  readonly requestId: string
  readonly message: string
}> {}

/** Answers one verified RankingRequest from `hotkey`. */
export const answerRankingRequest = Effect.fn("Miner.answerRankingRequest")(function* (
  view: MetagraphView,
  validatorHotkey: string,
  request: RankingRequest
) {
  const scorer = yield* Scorer
  const cids = request.completions.map((c) => c.cid)
  const log = (effect: Effect.Effect<void>) =>
    effect.pipe(Effect.annotateLogs({ request_id: request.request_id, validator: validatorHotkey, method: scorer.method }))

  // A HIT costs money and its result must reach the validator's axon: know where it is before paying.
  const validatorAxon =
    scorer.method === "aws_mturk"
      ? yield* Effect.gen(function* () {
          const servingIn = (m: Metagraph) => m.neurons.find((n) => n.hotkey === validatorHotkey && isServing(n.axon))
          // The view refreshes every few blocks: a validator that served its axon since then is not in it
          // yet, so read the chain once more before refusing (a failed read keeps the view's answer).
          const neuron =
            servingIn(yield* view.current) ??
            (yield* view.refresh.pipe(
              Effect.map(servingIn),
              Effect.catchAll(() => Effect.succeed(undefined))
            ))
          if (neuron === undefined)
            return yield* new RequestNotScored({
              requestId: request.request_id,
              message: `validator ${validatorHotkey} serves no axon, so human feedback could not be delivered; no HIT created`
            })
          return neuron.axon
        })
      : undefined

  const outcome = yield* scorer.score(request).pipe(
    Effect.tapError((e) => log(Effect.logWarning(`cannot score request: ${e.message}`).pipe(Effect.annotateLogs({ error: e._tag }))))
  )
  if (outcome.unscored.length > 0)
    yield* log(
      Effect.logWarning(`${outcome.unscored.length} completion(s) got no score`).pipe(Effect.annotateLogs({ unscored: outcome.unscored.join(",") }))
    )

  if (outcome.mturkHit !== null && validatorAxon !== undefined) {
    const hit = outcome.mturkHit
    const store = yield* MinerStore
    const now = yield* nowSeconds
    yield* store.recordHit({
      hitId: hit.hitId,
      requestId: request.request_id,
      validatorHotkey,
      validatorIp: validatorAxon.ip,
      validatorPort: validatorAxon.port,
      cids,
      expectedAssignments: hit.assignments,
      createdAt: Math.floor(now),
      // The scorer reports unix milliseconds; the store keeps seconds.
      expiresAt: Math.ceil(hit.expiresAt / 1000)
    })
    yield* log(Effect.logInfo("answered with an MTurk HIT").pipe(Effect.annotateLogs({ hit_id: hit.hitId, assignments: hit.assignments })))
    return { ...request, ranks: answerRanks(scorer.method, cids, outcome.ranks), scoring_method: scorer.method, model_config: scorer.modelConfig, mturk_hit_id: hit.hitId }
  }

  const ranks = validRanks(cids, outcome.ranks)
  if (ranks.length === 0 && request.completions.length > 0)
    return yield* new RequestNotScored({ requestId: request.request_id, message: "no completion could be scored" })
  yield* log(Effect.logInfo("answered").pipe(Effect.annotateLogs({ ranks: ranks.length, completions: request.completions.length })))
  return { ...request, ranks, scoring_method: scorer.method, model_config: scorer.modelConfig, mturk_hit_id: null }
})

/** The `/RankingRequest` route: blacklist, oldest-first priority and the answer above. */
export const rankingRequestRoute = (view: MetagraphView): Effect.Effect<AxonRoute, never, Scorer | MinerStore | MinerSettings> =>
  Effect.gen(function* () {
    const settings = yield* MinerSettings
    const context = yield* Effect.context<Scorer | MinerStore>()
    return axonRoute(RankingRequestSynapse, {
      blacklist: blacklist(view, settings.minStake),
      priority: (_, request) => requestPriority(request),
      forward: (ctx: AxonRequestContext, request: RankingRequest) =>
        Option.match(Option.fromNullable(ctx.dendrite.hotkey), {
          // The axon only forwards verified calls, which always carry a hotkey.
          onNone: () => Effect.fail(new RequestNotScored({ requestId: request.request_id, message: "caller has no hotkey" })),
          onSome: (hotkey) => answerRankingRequest(view, hotkey, request)
        }).pipe(
          Effect.provide(context),
          // Tell the validator why, with a status it can act on: retry later (503) or not at all (400/422).
          Effect.catchTags({
            ScorerUnavailable: (e) => refuse(503, e.message),
            ScorerRejected: (e) => refuse(400, e.message),
            RequestNotScored: (e) =>
              Effect.logWarning(`request not answered: ${e.message}`).pipe(
                Effect.annotateLogs({ request_id: e.requestId }),
                Effect.zipRight(refuse(422, e.message))
              )
          })
        )
    })
  })
