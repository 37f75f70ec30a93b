/**
 * The open preference dataset built from the validator's consensus: one row per scored request (its
 * prompt, every completion with its consensus score, and the preference pairs the scores imply), plus
 * the flat `{prompt, chosen, rejected}` pairs the reward-model command trains on.
 *
 * Pairs: every pair of completions whose consensus scores differ, the higher-scored one chosen
 * (n completions give at most n·(n−1)/2 pairs; ties give none). A request with fewer than two scored
 * completions, or whose scored completions all tie, says nothing about preference and is skipped.
 */
import type { PreferencePair } from "./preference-pair.ts"
import type { RankingRequest, RankingResult } from "../wire/protocol.ts"

/** A scored request as the export reads it from the store. */
export interface ScoredRequestInput {
  readonly request: RankingRequest
  readonly result: RankingResult
  readonly createdAt: number
  readonly scoredAt: number
}

/** One completion of a dataset row. */
export interface DatasetCompletion {
  readonly cid: string
  readonly text: string
  readonly consensus_score: number
}

/** One preference implied by the consensus, by completion id. */
export interface DatasetPair {
  readonly chosen_cid: string
  readonly rejected_cid: string
}

/** One row of `data/train.*` (snake_case: these are the published column names). */
export interface DatasetRow {
  readonly request_id: string
  readonly prompt: string
  /** Scored completions, highest consensus first (ties keep the request's order). */
  readonly completions: ReadonlyArray<DatasetCompletion>
  /** Text of the highest-scored completion. */
  readonly chosen: string
  /** Text of the lowest-scored completion. */
  readonly rejected: string
  readonly chosen_cid: string
  readonly rejected_cid: string
  /** Every pair whose consensus differs, the higher one chosen. */
  readonly pairs: ReadonlyArray<DatasetPair>
  /** Miners whose scores formed the consensus. */
  readonly n_miners: number
  /** Unix seconds. */
  readonly created_at: number
  readonly scored_at: number
}

/** Why a scored request gave no row. */
export type SkipReason = "fewer-than-two-scored" | "all-tied"

/** The row for a scored request, or why there is none. */
export type RowOutcome = { readonly _tag: "Row"; readonly row: DatasetRow } | { readonly _tag: "Skipped"; readonly reason: SkipReason }

/** Builds the dataset row of one scored request. */
export const datasetRow = (input: ScoredRequestInput): RowOutcome => {
  const consensus = input.result.cid_to_consensus
  const scored = input.request.completions.flatMap((c, index) => {
    const score = Object.hasOwn(consensus, c.cid) ? consensus[c.cid] : undefined
    return score !== undefined && Number.isFinite(score) ? [{ cid: c.cid, text: c.text, consensus_score: score, index }] : []
  })
  if (scored.length < 2) return { _tag: "Skipped", reason: "fewer-than-two-scored" }
  const ordered = [...scored].sort((a, b) => b.consensus_score - a.consensus_score || a.index - b.index)
  const pairs: Array<DatasetPair> = []
  for (let i = 0; i < ordered.length; i++) {
    for (let j = i + 1; j < ordered.length; j++) {
      const hi = ordered[i]!
      const lo = ordered[j]!
      if (hi.consensus_score > lo.consensus_score) pairs.push({ chosen_cid: hi.cid, rejected_cid: lo.cid })
    }
  }
  if (pairs.length === 0) return { _tag: "Skipped", reason: "all-tied" }
  const best = ordered[0]!
  const worst = ordered[ordered.length - 1]!
  return {
    _tag: "Row",
    row: {
      request_id: input.request.request_id,
      prompt: input.request.prompt,
      completions: ordered.map(({ cid, text, consensus_score }) => ({ cid, text, consensus_score })),
      chosen: best.text,
      rejected: worst.text,
      chosen_cid: best.cid,
      rejected_cid: worst.cid,
      pairs,
      n_miners: Object.keys(input.result.hotkey_to_score).length,
      created_at: input.createdAt,
      scored_at: input.scoredAt
    }
  }
}

/** The row's pairs as texts, in the reward-model command's `{prompt, chosen, rejected}` format. */
export const rowPreferencePairs = (row: DatasetRow): ReadonlyArray<PreferencePair> => {
  const text = new Map(row.completions.map((c) => [c.cid, c.text] as const))
  return row.pairs.map((p) => ({ prompt: row.prompt, chosen: text.get(p.chosen_cid) ?? "", rejected: text.get(p.rejected_cid) ?? "" }))
}
