/** The validator's axon route for `MTurkResponse`: only registered neurons may call it. */
import { Effect, Option } from "effect"
import { uidOf } from "../../domain/chain/metagraph.ts"
import { MTurkResponseSynapse } from "../../domain/wire/synapses.ts"
import { axonRoute, type AxonRoute } from "../../services/axon.ts"
import { Chain } from "../../services/chain.ts"
import type { MTurkAccess } from "../../services/mturk-access.ts"
import type { RequestLedger } from "../../services/request-ledger.ts"
import { handleMTurkResponse } from "./mturk-response.ts"
import { ValidatorSettings } from "./settings.ts"

/** Builds the route with the services it needs captured. */
export const mturkResponseRoute = Effect.gen(function* () {
  const context = yield* Effect.context<Chain | ValidatorSettings | RequestLedger | MTurkAccess>()
  const chain = yield* Chain
  const { netuid } = yield* ValidatorSettings
  return axonRoute(MTurkResponseSynapse, {
    blacklist: (ctx) =>
      chain.metagraph(netuid).pipe(
        Effect.map((metagraph) =>
          ctx.dendrite.hotkey === null || ctx.dendrite.hotkey === undefined
            ? Option.some("no hotkey")
            : Option.isNone(uidOf(metagraph, ctx.dendrite.hotkey))
              ? Option.some(`hotkey ${ctx.dendrite.hotkey} is not registered on subnet ${netuid}`)
              : Option.none()
        ),
        // If the chain cannot be read we cannot tell who is registered: refuse rather than guess.
        Effect.catchAll(() => Effect.succeed(Option.some("metagraph unavailable; try again later")))
      ),
    forward: (ctx, body) =>
      handleMTurkResponse(ctx.dendrite.hotkey ?? "", body).pipe(
        Effect.as(body),
        // A Refusal tells the miner why its human feedback was refused (and whether retrying can help).
        Effect.provide(context)
      )
  }) satisfies AxonRoute
})
