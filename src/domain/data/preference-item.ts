/**
 * What the validator builds a request from: a prompt and completions, and, when humans said which
 * completion is better, that preference (an evaluation item, used to measure miner accuracy).
 */
export interface PreferenceItem {
  /** Where it came from, e.g. `Anthropic/hh-rlhf#1234`. */
  readonly source: string
  readonly prompt: string
  readonly completions: ReadonlyArray<string>
  /** Indices into `completions` of the human-preferred and the rejected one. */
  readonly preference: { readonly chosen: number; readonly rejected: number } | null
}
