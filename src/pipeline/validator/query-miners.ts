/**
 * Sends one RankingRequest to a sample of miners and keeps the answers worth scoring (the rule is
 * domain/scoring/answer-verdict.ts); an MTurk miner's answer is kept with its HIT id and no ranks.
 */
import { Effect, Option } from "effect"
import { judgeAnswer } from "../../domain/scoring/answer-verdict.ts"
import type { Neuron } from "../../domain/chain/metagraph.ts"
import type { RankingRequest } from "../../domain/wire/protocol.ts"
import { RankingRequestSynapse } from "../../domain/wire/synapses.ts"
import { answerRanks } from "../../domain/scoring/valid-ranks.ts"
import { Dendrite } from "../../services/dendrite.ts"
import type { StoredResponse } from "../../services/request-ledger.ts"
import { nowSeconds } from "../clock.ts"

/** What a query produced: the answers kept, and a count per HTTP status for metrics. */
export interface QueryOutcome {
  readonly responses: ReadonlyArray<StoredResponse>
  readonly statuses: ReadonlyMap<number, number>
}

/** Queries `miners` with `request`, waiting at most `timeoutSeconds`. */
export const queryMiners = Effect.fn("Validator.queryMiners")(function* (
  request: RankingRequest,
  miners: ReadonlyArray<Neuron>,
  timeoutSeconds: number
) {
  const dendrite = yield* Dendrite
  const replies = yield* dendrite.callMany(
    miners.map((n) => ({ ip: n.axon.ip, port: n.axon.port, hotkey: n.hotkey })),
    RankingRequestSynapse,
    request,
    { timeout: timeoutSeconds }
  )
  const receivedAt = yield* nowSeconds
  const statuses = new Map<number, number>()
  const responses: StoredResponse[] = []
  for (const [i, reply] of replies.entries()) {
    statuses.set(reply.statusCode, (statuses.get(reply.statusCode) ?? 0) + 1)
    const miner = miners[i]!
    if (Option.isNone(reply.body)) {
      yield* Effect.logDebug("miner did not answer").pipe(
        Effect.annotateLogs({ uid: miner.uid, status: reply.statusCode, message: reply.statusMessage })
      )
      continue
    }
    const answer = reply.body.value
    const verdict = judgeAnswer(request, answer)
    if (verdict !== "valid") {
      yield* Effect.logDebug("answer not kept").pipe(Effect.annotateLogs({ uid: miner.uid, reason: verdict }))
      continue
    }
    responses.push({
      hotkey: miner.hotkey,
      uid: miner.uid,
      scoringMethod: answer.scoring_method,
      modelConfig: answer.model_config,
      ranks: answerRanks(answer.scoring_method, request.completions.map((c) => c.cid), answer.ranks),
      mturkHitId: answer.mturk_hit_id,
      humanVerified: false,
      source: "axon",
      receivedAt
    })
  }
  return { responses, statuses } satisfies QueryOutcome
})
