/**
 * The scoring API's pipeline: an application's prompt and completions become a RankingRequest like any
 * other (fresh random cids, shuffled), go to a sample of miners at once, and the answer is the consensus
 * of the miners that answered within the timeout. The request is then stored as kind "api" with the
 * normal deadline, so after the deadline it is scored again like every request (EMA, RankingResult
 * delivery) and that final result is what `finalResult` returns.
 */
import { Data, Effect, Option } from "effect"
import { computeConsensus, toRankingResult } from "../../domain/scoring/consensus.ts"
import { selectMiners } from "../../domain/scoring/miner-selection.ts"
import { randomUuid } from "../../domain/prng.ts"
import type { Completion, RankingResult } from "../../domain/wire/protocol.ts"
import { buildRequest } from "../../domain/scoring/request-builder.ts"
import { Chain } from "../../services/chain.ts"
import { RequestRandomness } from "../../services/request-randomness.ts"
import { RequestLedger, type StoredResult } from "../../services/request-ledger.ts"
import { Wallet } from "../../services/wallet.ts"
import { nowSeconds } from "../clock.ts"
import { accuracyLookup } from "./accuracy-lookup.ts"
import { recordQuery } from "./metrics.ts"
import { queryMiners } from "./query-miners.ts"
import { ValidatorSettings } from "./settings.ts"

/** What an application asks to score (already validated at the boundary). */
export interface ScoreNowInput {
  readonly prompt: string
  readonly completions: ReadonlyArray<string>
  /** The API key that asked; only it may read the final result. */
  readonly apiKeyId: string
}

/** The immediate answer. */
export interface ScoreNowResult {
  readonly requestId: string
  /** The consensus of the miners that answered in time (`hotkey_to_score` sums to 1 over them). */
  readonly consensus: RankingResult
  /** The cids given to the completions, in the order the application sent them. */
  readonly completions: ReadonlyArray<Completion>
  /** Valid answers kept (stored for scoring after the deadline). */
  readonly responses: number
  /** Miners asked. */
  readonly queried: number
  /** Unix seconds after which the request is scored again; `finalResult` then has the final consensus. */
  readonly deadlineAt: number
}

/** No miner gave a usable answer in time (or none could be asked); nothing was stored. */
export class NoMinersAnswered extends Data.TaggedError("NoMinersAnswered")<{
  readonly queried: number
  readonly statuses: ReadonlyMap<number, number>
}> {
  override get message() {
    if (this.queried === 0) return "no serving miners to ask; try again later"
    const seen = [...this.statuses].map(([status, n]) => `${n}× ${status}`).join(", ")
    return `none of the ${this.queried} miners asked gave a usable answer in time (${seen}); nothing was stored, try again later`
  }
}

/** A stored API request as its owner sees it. */
export interface ApiRequestStatus {
  readonly requestId: string
  readonly status: "pending" | "scored"
  readonly deadlineAt: number
  /** The consensus after the deadline, once scored. */
  readonly result?: StoredResult
}

/**
 * Pairs each of the application's completions with the cid it got, in the application's order. The
 * request shows them shuffled; equal texts are matched first to first, which cannot be told apart anyway.
 */
const inInputOrder = (texts: ReadonlyArray<string>, shown: ReadonlyArray<Completion>): ReadonlyArray<Completion> => {
  const unused = [...shown]
  return texts.map((text) => {
    const i = unused.findIndex((c) => c.text === text)
    return unused.splice(i, 1)[0]!
  })
}

/** Scores completions now with the miners that answer within the timeout, and stores the request for the final scoring. */
export const scoreNow = Effect.fn("Validator.scoreNow")(function* (input: ScoreNowInput) {
  const settings = yield* ValidatorSettings
  const chain = yield* Chain
  const store = yield* RequestLedger
  const self = (yield* (yield* Wallet).hotkey).ss58Address
  const metagraph = yield* chain.metagraph(settings.netuid)
  const rng = yield* (yield* RequestRandomness).rng
  const miners = selectMiners(metagraph, { self, sampleSize: settings.sampleSize, vpermitTaoLimit: settings.vpermitTaoLimit }, rng)
  if (miners.length === 0) return yield* new NoMinersAnswered({ queried: 0, statuses: new Map() })

  const now = yield* nowSeconds
  const item = { source: `api:${input.apiKeyId}`, prompt: input.prompt, completions: input.completions, preference: null }
  const { request } = buildRequest(item, { requestId: randomUuid(rng), epochTimestamp: now, evaluate: false }, rng)
  const outcome = yield* queryMiners(request, miners, settings.queryTimeoutSeconds)
  yield* recordQuery("api", outcome.statuses)
  if (outcome.responses.length === 0) return yield* new NoMinersAnswered({ queried: miners.length, statuses: outcome.statuses })

  // The same consensus as scoring after the deadline, over the answers in hand (MTurk ones have no ranks yet).
  const accuracy = yield* accuracyLookup(now)
  const consensus = computeConsensus({ cids: request.completions.map((c) => c.cid), responses: outcome.responses, accuracy, rule: settings.rewardRule })
  const deadlineAt = now + settings.deadlineSeconds
  yield* store.saveRequest({
    request,
    kind: "api",
    apiKeyId: input.apiKeyId,
    createdAt: now,
    deadlineAt,
    responses: outcome.responses
  })
  yield* Effect.logInfo("scored API request").pipe(
    Effect.annotateLogs({
      request_id: request.request_id,
      api_key_id: input.apiKeyId,
      queried: miners.length,
      kept: outcome.responses.length,
      participants: consensus.miners.length,
      statuses: JSON.stringify(Object.fromEntries(outcome.statuses))
    })
  )
  return {
    requestId: request.request_id,
    consensus: toRankingResult(request.request_id, consensus),
    completions: inInputOrder(input.completions, request.completions),
    responses: outcome.responses.length,
    queried: miners.length,
    deadlineAt
  } satisfies ScoreNowResult
})

/** The state of an API request, if it exists and was made with `apiKeyId` (anyone else sees nothing). */
export const finalResult = Effect.fn("Validator.finalResult")(function* (requestId: string, apiKeyId: string) {
  const store = yield* RequestLedger
  const stored = yield* store.getRequest(requestId)
  return Option.flatMap(stored, (r): Option.Option<ApiRequestStatus> =>
    r.kind !== "api" || r.apiKeyId !== apiKeyId
      ? Option.none()
      : Option.some({
          requestId: r.request.request_id,
          status: r.status,
          deadlineAt: r.deadlineAt,
          ...(r.result === undefined ? {} : { result: r.result })
        })
  )
})
