/**
 * Which of a miner's ranks count, decided once for the miner's reply, the validator's intake and the
 * consensus: a rank counts when its cid is one of the request's completions and its score is finite,
 * and only the first rank per cid counts (the three used to differ; the first-wins of the miner's
 * reply was kept, as no test depends on a later duplicate winning).
 */
import type { ScoringMethod } from "../wire/protocol.ts"

/** Anything shaped like a rank: a completion id and its score. */
export interface RankLike {
  readonly cid: string
  readonly score: number
}

/** The ranks that count for a request with completion `cids`: known cid, finite score, first per cid. */
export const validRanks = <R extends RankLike>(cids: ReadonlyArray<string>, ranks: ReadonlyArray<R>): Array<R> => {
  const wanted = new Set(cids)
  const kept: Array<R> = []
  for (const rank of ranks) {
    if (!wanted.has(rank.cid) || !Number.isFinite(rank.score)) continue
    wanted.delete(rank.cid)
    kept.push(rank)
  }
  return kept
}

/** The ranks an answer carries: none for an MTurk answer (its human scores come later), else its valid ranks. */
export const answerRanks = <R extends RankLike>(
  method: ScoringMethod | null,
  cids: ReadonlyArray<string>,
  ranks: ReadonlyArray<R>
): Array<R> => (method === "aws_mturk" ? [] : validRanks(cids, ranks))
