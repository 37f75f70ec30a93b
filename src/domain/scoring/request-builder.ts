/**
 * Turns a PreferenceItem into a RankingRequest. Every request gets fresh random cids and a shuffled
 * order, so a hidden evaluation pair looks like any other request; for those, which cid humans chose is
 * kept on the validator's side only.
 */
import type { PreferenceItem } from "../data/preference-item.ts"
import type { RankingRequest } from "../wire/protocol.ts"
import { randomUuid, shuffle, type Rng } from "../prng.ts"

/** A built request, and for an evaluation item the human answer. */
export interface BuiltRequest {
  readonly request: RankingRequest
  readonly evaluation: { readonly chosenCid: string; readonly rejectedCid: string } | null
}

/** Builds the request; `evaluate` keeps the item's human preference (when it has one). */
export const buildRequest = (
  item: PreferenceItem,
  options: { readonly requestId: string; readonly epochTimestamp: number; readonly evaluate: boolean },
  rng: Rng
): BuiltRequest => {
  const withCids = item.completions.map((text, index) => ({ index, cid: randomUuid(rng), text }))
  const shown = shuffle(withCids, rng)
  const cidAt = (index: number) => withCids[index]!.cid
  const request: RankingRequest = {
    epoch_timestamp: options.epochTimestamp,
    request_id: options.requestId,
    prompt: item.prompt,
    n_completions: shown.length,
    completions: shown.map(({ cid, text }) => ({ cid, text })),
    ranks: [],
    scoring_method: null,
    model_config: null,
    mturk_hit_id: null,
    modality: "text"
  }
  const evaluation =
    options.evaluate && item.preference !== null
      ? { chosenCid: cidAt(item.preference.chosen), rejectedCid: cidAt(item.preference.rejected) }
      : null
  return { request, evaluation }
}
