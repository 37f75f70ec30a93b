/**
 * One step of the validator's query loop: sync the metagraph, build a request (a seed item, or now and
 * then a hidden evaluation pair that looks just the same — a public human-preference pair, or one the
 * validator made itself from its seed data), ask a random sample of serving miners, and persist the
 * request with every valid answer in one transaction.
 */
import { Effect } from "effect"
import { selectMiners } from "../../domain/scoring/miner-selection.ts"
import { randomUuid } from "../../domain/prng.ts"
import type { PreferenceItem } from "../../domain/data/preference-item.ts"
import { buildRequest } from "../../domain/scoring/request-builder.ts"
import { selfMadePair } from "../../domain/scoring/self-made-pairs.ts"
import { Chain } from "../../services/chain.ts"
import { RequestRandomness } from "../../services/request-randomness.ts"
import { PreferenceData } from "../../services/preference-data.ts"
import { RequestLedger } from "../../services/request-ledger.ts"
import { Wallet } from "../../services/wallet.ts"
import { nowSeconds } from "../clock.ts"
import { queryMiners } from "./query-miners.ts"
import { ValidatorSettings } from "./settings.ts"

/** What a step did, for logs, metrics and tests. */
export interface QueryStepResult {
  readonly requestId: string | null
  readonly kind: "seed" | "evaluation"
  readonly queried: number
  readonly kept: number
  readonly statuses: ReadonlyMap<number, number>
}

/** Runs one query step. */
export const queryStep = Effect.fn("Validator.queryStep")(function* () {
  const settings = yield* ValidatorSettings
  const chain = yield* Chain
  const store = yield* RequestLedger
  const data = yield* PreferenceData
  const self = (yield* (yield* Wallet).hotkey).ss58Address
  const metagraph = yield* chain.metagraph(settings.netuid)
  // Ids, cids, order, sample and the evaluation decision: cryptographic live, seeded only in tests/replays.
  const rng = yield* (yield* RequestRandomness).rng
  const evaluate = rng() < settings.evaluationRate
  const kind = evaluate ? "evaluation" : "seed"
  // Under the new rule part of the evaluations are made from the seed data, so no public table answers
  // them. Drawn before the sample, so what is asked does not depend on how many miners there are.
  const selfMade = evaluate && settings.rewardRule.name === "new" && rng() < settings.selfMadeEvaluationShare
  const selfMadeItem = selfMade ? yield* Effect.zipWith(data.seed.next, data.seed.next, (a, b) => selfMadePair(a, b, rng)) : null
  const miners = selectMiners(metagraph, { self, sampleSize: settings.sampleSize, vpermitTaoLimit: settings.vpermitTaoLimit }, rng)
  if (miners.length === 0) {
    yield* Effect.logWarning("no serving miners to query")
    return { requestId: null, kind, queried: 0, kept: 0, statuses: new Map() } satisfies QueryStepResult
  }
  const item: PreferenceItem = selfMadeItem ?? (yield* (evaluate ? data.evaluation : data.seed).next)
  const now = yield* nowSeconds
  const built = buildRequest(item, { requestId: randomUuid(rng), epochTimestamp: now, evaluate }, rng)
  const outcome = yield* queryMiners(built.request, miners, settings.queryTimeoutSeconds)
  const requestId = built.request.request_id
  if (outcome.responses.length > 0) {
    yield* store.saveRequest({
      request: built.request,
      kind,
      ...(built.evaluation === null ? {} : { evaluation: built.evaluation }),
      createdAt: now,
      deadlineAt: now + settings.deadlineSeconds,
      responses: outcome.responses
    })
  }
  yield* Effect.logInfo("queried miners").pipe(
    Effect.annotateLogs({
      request_id: requestId,
      kind,
      source: item.source,
      queried: miners.length,
      kept: outcome.responses.length,
      statuses: JSON.stringify(Object.fromEntries(outcome.statuses))
    })
  )
  return {
    requestId: outcome.responses.length > 0 ? requestId : null,
    kind,
    queried: miners.length,
    kept: outcome.responses.length,
    statuses: outcome.statuses
  } satisfies QueryStepResult
})
