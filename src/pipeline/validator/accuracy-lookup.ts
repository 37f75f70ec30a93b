/**
 * Each miner's accuracy multiplier as it stands now: its answered hidden preference pairs inside the
 * current accuracy window, through Laplace's rule (a miner with no evaluations yet gets the neutral 0.5).
 * Shared by scoring after the deadline and by the scoring API's immediate consensus, so both weigh a
 * miner the same way.
 */
import { Effect } from "effect"
import { accuracyMultiplier, windowStart } from "../../domain/accuracy.ts"
import { ValidatorStore, type AccuracyCount } from "../../services/validator-store.ts"
import { ValidatorSettings } from "./settings.ts"

/** A miner's multiplier in [0, 1] by hotkey. */
export type AccuracyLookup = (hotkey: string) => number

/** The multipliers a tally of outcomes gives (read when called, so a tally updated in place is seen). */
export const lookupFrom = (counts: ReadonlyMap<string, AccuracyCount>): AccuracyLookup => (hotkey) => {
  const c = counts.get(hotkey)
  return accuracyMultiplier(c?.correct ?? 0, c?.answered ?? 0)
}

/** The current window's tally (unix seconds `now`), as counts per hotkey. */
export const accuracyTally = Effect.fn("Validator.accuracyTally")(function* (now: number) {
  const store = yield* ValidatorStore
  const settings = yield* ValidatorSettings
  return yield* store.accuracyCounts(windowStart(now, settings.evaluationWindowSeconds))
})

/** Reads the window holding `now` once and answers per hotkey from it. */
export const accuracyLookup = (now: number) => Effect.map(accuracyTally(now), lookupFrom)
