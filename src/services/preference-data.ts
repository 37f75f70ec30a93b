/**
 * The `PreferenceData` port: where the validator's requests come from. `seed` gives the normal stream;
 * `evaluation` gives human-preference pairs that are mixed in, looking like any other request, to
 * measure each miner's accuracy.
 */
import { Context, Data, type Effect } from "effect"
import type { PreferenceItem } from "../domain/data/preference-item.ts"

/** A source could not give an item (unreachable, empty, or no row fits its mapping). */
export class PreferenceDataError extends Data.TaggedError("PreferenceDataError")<{
  readonly source: string
  readonly message: string
}> {}

/** One endless, cycling stream of items. */
export interface PreferenceSource {
  readonly name: string
  readonly next: Effect.Effect<PreferenceItem, PreferenceDataError>
}

/** What the `PreferenceData` service offers. */
export interface PreferenceDataShape {
  readonly seed: PreferenceSource
  readonly evaluation: PreferenceSource
}

/** The validator's two streams. */
export class PreferenceData extends Context.Tag("dojo/PreferenceData")<PreferenceData, PreferenceDataShape>() {}
