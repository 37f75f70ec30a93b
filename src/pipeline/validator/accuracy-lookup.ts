/**
 * Each miner's accuracy factor as it stands now: its answered hidden preference pairs inside the
 * current accuracy window, through the reward rule (`original`: Laplace's rule, a miner with no
 * evaluations yet gets the neutral 0.5; `new`: the Wilson-bounded credit above chance, 0 until shown).
 * Shared by scoring after the deadline and by the scoring API's immediate consensus, so both weigh a
 * miner the same way.
 */
import { Effect } from "effect"
import { windowStart } from "../../domain/scoring/accuracy.ts"
import { accuracyFactor, type RewardRule } from "../../domain/scoring/reward-rule.ts"
import { RequestLedger, type AccuracyCount } from "../../services/request-ledger.ts"
import { ValidatorSettings } from "./settings.ts"

/** A miner's multiplier in [0, 1] by hotkey. */
export type AccuracyLookup = (hotkey: string) => number

/** The factors a tally of outcomes gives under `rule`. */
const lookupFrom = (counts: ReadonlyMap<string, AccuracyCount>, rule: RewardRule): AccuracyLookup => (hotkey) => {
  const c = counts.get(hotkey)
  return accuracyFactor(rule, c?.correct ?? 0, c?.answered ?? 0)
}

/** The current window's tally (unix seconds `now`), as counts per hotkey. */
const accuracyTally = Effect.fn("Validator.accuracyTally")(function* (now: number) {
  const store = yield* RequestLedger
  const settings = yield* ValidatorSettings
  return yield* store.accuracyCounts(windowStart(now, settings.evaluationWindowSeconds))
})

/** Reads the window holding `now` once and answers per hotkey from it, under the configured rule. */
export const accuracyLookup = (now: number) =>
  Effect.flatMap(ValidatorSettings, (settings) => Effect.map(accuracyTally(now), (tally) => lookupFrom(tally, settings.rewardRule)))
