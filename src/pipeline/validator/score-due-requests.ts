/**
 * After the deadline, each request is scored exactly once: consensus over its responses, accuracy
 * outcomes if it was a hidden evaluation pair, one EMA step, and an outbox row per participant for its
 * RankingResult — all committed in one transaction, so a crash leaves it wholly scored or not at all.
 */
import { Effect, Option } from "effect"
import { pairOutcome } from "../../domain/scoring/accuracy.ts"
import { computeConsensus, toRankingResult } from "../../domain/scoring/consensus.ts"
import { neuronAt, isServing, type Metagraph } from "../../domain/chain/metagraph.ts"
import { updateScores } from "../../domain/scoring/moving-average.ts"
import { Chain } from "../../services/chain.ts"
import { RequestLedger, type AccuracyOutcome, type DeliveryTarget, type DueRequest } from "../../services/request-ledger.ts"
import { ScoreLedger } from "../../services/score-ledger.ts"
import { nowSeconds } from "../clock.ts"
import { accuracyLookup } from "./accuracy-lookup.ts"
import { recordScored } from "./metrics.ts"
import { ValidatorSettings } from "./settings.ts"

/** Requests scored per pass; the rest wait for the next pass. */
const BATCH = 100

/** What scoring one request decided, before it is committed. */
const scoreRequest = Effect.fn("Validator.scoreRequest")(function* (
  due: DueRequest,
  metagraph: Metagraph,
  accuracy: (hotkey: string) => number
) {
  const scoreLedger = yield* ScoreLedger
  const settings = yield* ValidatorSettings
  const consensus = computeConsensus({
    cids: due.request.completions.map((c) => c.cid),
    responses: due.responses.map((r) => ({
      hotkey: r.hotkey,
      scoringMethod: r.scoringMethod,
      humanVerified: r.humanVerified,
      ranks: r.ranks
    })),
    accuracy,
    rule: settings.rewardRule
  })
  const result = toRankingResult(due.request.request_id, consensus)

  const accuracyOutcomes: AccuracyOutcome[] = []
  if (due.kind === "evaluation" && due.evaluation !== undefined) {
    for (const r of due.responses) {
      const outcome = pairOutcome(r.ranks, due.evaluation.chosenCid, due.evaluation.rejectedCid)
      if (outcome !== "unanswered") accuracyOutcomes.push({ hotkey: r.hotkey, outcome })
    }
  }

  const previous = yield* scoreLedger.loadScores
  const scores = updateScores({
    previous,
    neurons: metagraph.neurons.map((n) => ({ uid: n.uid, hotkey: n.hotkey })),
    rewards: new Map(Object.entries(result.hotkey_to_score)),
    alpha: settings.alpha
  })

  // Participants that left the subnet or stopped serving get no delivery; that is not an error.
  const deliverTo: DeliveryTarget[] = []
  for (const hotkey of Object.keys(result.hotkey_to_score)) {
    const response = due.responses.find((r) => r.hotkey === hotkey)
    const neuron = response === undefined ? Option.none() : neuronAt(metagraph, response.uid)
    if (Option.isSome(neuron) && neuron.value.hotkey === hotkey && isServing(neuron.value.axon))
      deliverTo.push({ hotkey, ip: neuron.value.axon.ip, port: neuron.value.axon.port })
  }
  return { result, scores, accuracyOutcomes, deliverTo, consensus }
})

/** Scores every request whose deadline has passed; returns how many it scored. */
export const scoreDueRequests = Effect.fn("Validator.scoreDueRequests")(function* () {
  const store = yield* RequestLedger
  const chain = yield* Chain
  const settings = yield* ValidatorSettings
  const now = yield* nowSeconds
  const due = yield* store.dueRequests(now, BATCH)
  if (due.length === 0) return 0
  const metagraph = yield* chain.metagraph(settings.netuid)
  // The store's tally is the one rule: read once per pass, and again only after a commit added outcomes,
  // so a pass costs one scan of the outcomes per scored evaluation, not one per request.
  let accuracy = yield* accuracyLookup(now)
  let stale = false
  let scored = 0
  for (const request of due) {
    if (stale) {
      accuracy = yield* accuracyLookup(now)
      stale = false
    }
    const decided = yield* scoreRequest(request, metagraph, accuracy)
    const committed = yield* store
      .recordScoring({
        requestId: request.request.request_id,
        result: decided.result,
        scores: decided.scores,
        accuracyOutcomes: decided.accuracyOutcomes,
        deliverTo: decided.deliverTo,
        scoredAt: now,
        revision: request.revision
      })
      .pipe(
        Effect.as(true),
        // Another process (or an earlier run that crashed after committing) scored it: exactly once holds.
        Effect.catchTags({
          AlreadyScored: () => Effect.logWarning("request already scored; skipped").pipe(Effect.as(false)),
          UnknownRequest: () => Effect.logWarning("request vanished before scoring; skipped").pipe(Effect.as(false)),
          // Human feedback was merged after we read it: score it again, with the merge, next pass.
          RequestChanged: () => Effect.logInfo("request changed while scoring; scored next pass").pipe(Effect.as(false))
        }),
        Effect.annotateLogs({ request_id: request.request.request_id })
      )
    if (!committed) continue
    stale = decided.accuracyOutcomes.length > 0
    scored++
    yield* recordScored(request.kind, now - request.deadlineAt)
    yield* Effect.logInfo("scored request").pipe(
      Effect.annotateLogs({
        request_id: request.request.request_id,
        kind: request.kind,
        participants: decided.consensus.miners.length,
        responses: request.responses.length,
        evaluated: decided.accuracyOutcomes.length
      })
    )
  }
  return scored
})
