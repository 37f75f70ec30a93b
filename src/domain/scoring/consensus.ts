/**
 * The consensus for one request (what the original's `commons/scoring.py` meant, without its bugs):
 * per completion the mean of the miners' scores; per miner the Spearman correlation of its scores with
 * that consensus, boosted ×1.2 for verified human feedback, mapped into [0, 1], multiplied by the
 * miner's accuracy once; then a softmax over the request's participants. That is the `original` rule;
 * the `new` rule (reward-rule.ts) weighs each miner's scores in the mean by its accuracy credit, counts
 * agreement only above ρ = 0 and normalises rewards so that a reward of 0 gets a share of 0.
 */
import type { RankingResult, ScoringMethod } from "../wire/protocol.ts"
import { scoringMethodPriority } from "../wire/protocol.ts"
import { agreement, rewardShares, type RewardRule } from "./reward-rule.ts"
import { spearman } from "./spearman.ts"
import { validRanks } from "./valid-ranks.ts"

/** One miner's stored response to the request. */
export interface MinerResponse {
  readonly hotkey: string
  readonly scoringMethod: ScoringMethod | null
  /** True only once the validator has checked the miner's MTurk HIT with MTurk itself. */
  readonly humanVerified: boolean
  readonly ranks: ReadonlyArray<{ readonly cid: string; readonly score: number }>
}

/** How one participant fared. */
export interface MinerScore {
  readonly hotkey: string
  readonly spearman: number
  /** Agreement in [0, 1] from ρ after the human-feedback boost ((ρ+1)/2, or ρ⁺ under `new`), times the miner's accuracy. */
  readonly reward: number
  /** `reward` normalised over the request's participants (softmax, or reward^k / Σ under `new`); these sum to 1 (or all 0 under `new`). */
  readonly score: number
}

/** The consensus of one request. */
export interface Consensus {
  readonly cidToConsensus: Record<string, number>
  readonly hotkeyToScore: Record<string, number>
  /** Participants in hotkey order. */
  readonly miners: ReadonlyArray<MinerScore>
}

/** Multiplier for a response whose human feedback the validator verified. */
export const humanFeedbackBoost = 1.2

const clamp01 = (x: number): number => (x > 1 ? 1 : x >= 0 ? x : 0) // NaN → 0

const priority = (method: ScoringMethod | null): number => (method === null ? -1 : scoringMethodPriority[method])

const byHotkey = <A extends { readonly hotkey: string }>(a: A, b: A): number =>
  a.hotkey < b.hotkey ? -1 : a.hotkey > b.hotkey ? 1 : 0

interface Participant {
  readonly response: MinerResponse
  /** cid → score of the response's valid ranks (valid-ranks.ts). */
  readonly scores: ReadonlyMap<string, number>
}

/**
 * One participant per hotkey, in hotkey order. A response without a usable rank is no participant (so a
 * pending MTurk response cannot hide a real one); among a hotkey's responses the higher scoring-method
 * priority wins, and on equal priority the later one.
 */
const participants = (cids: ReadonlyArray<string>, responses: ReadonlyArray<MinerResponse>): Array<Participant> => {
  const chosen = new Map<string, Participant>()
  for (const response of responses) {
    const scores = new Map(validRanks(cids, response.ranks).map(({ cid, score }) => [cid, score]))
    if (scores.size === 0) continue
    const held = chosen.get(response.hotkey)
    if (held === undefined || priority(response.scoringMethod) >= priority(held.response.scoringMethod))
      chosen.set(response.hotkey, { response, scores })
  }
  return [...chosen.values()].sort((a, b) => byHotkey(a.response, b.response))
}

/**
 * The consensus of one request from its completion cids (request order), responses and miners' accuracy
 * factors in [0, 1] (the Laplace multiplier under `original`, the credit under `new`); `rule` defaults to
 * `original`.
 */
export const computeConsensus = (input: {
  readonly cids: ReadonlyArray<string>
  readonly responses: ReadonlyArray<MinerResponse>
  readonly accuracy: (hotkey: string) => number
  readonly rule?: RewardRule
}): Consensus => {
  const rule = input.rule ?? { name: "original" }
  const miners = participants(input.cids, input.responses)
  // Under `new` a miner's say in the mean is its accuracy credit squared: hotkeys without credit — however
  // many — do not move it, and N copies of a barely-above-chance heuristic (credit c) weigh only N·c².
  const weights = rule.name === "original" ? null : miners.map(({ response }) => clamp01(input.accuracy(response.hotkey)) ** 2)

  // Summed in hotkey order, so the floats do not depend on the order responses arrived in.
  const consensus: Array<readonly [string, number]> = []
  for (const cid of input.cids) {
    let sum = 0
    let count = 0
    for (const { scores } of miners) {
      const s = scores.get(cid)
      if (s !== undefined) {
        sum += s
        count++
      }
    }
    if (count === 0) continue
    if (weights === null) {
      consensus.push([cid, sum / count])
      continue
    }
    let weighted = 0
    let weight = 0
    miners.forEach(({ scores }, i) => {
      const s = scores.get(cid)
      if (s !== undefined) {
        weighted += weights[i]! * s
        weight += weights[i]!
      }
    })
    // Nobody with credit scored it (a new subnet): the plain mean, which then pays nobody anyway.
    consensus.push([cid, weight > 0 ? weighted / weight : sum / count])
  }
  const consensusVector = consensus.map(([, mean]) => mean)

  const rated = miners.map(({ response, scores }) => {
    // A completion the miner skipped ranks below everything it scored, whatever its scale.
    const x = consensus.map(([cid]) => scores.get(cid) ?? Number.NEGATIVE_INFINITY)
    const rho = spearman(x, consensusVector)
    const boosted = response.scoringMethod === "aws_mturk" && response.humanVerified ? rho * humanFeedbackBoost : rho
    const reward = agreement(rule, boosted) * clamp01(input.accuracy(response.hotkey))
    return { hotkey: response.hotkey, spearman: rho, reward }
  })
  const scores = rewardShares(rule, rated.map((m) => m.reward))
  const result = rated.map((m, i) => ({ ...m, score: scores[i] as number }))

  return {
    cidToConsensus: Object.fromEntries(consensus),
    hotkeyToScore: Object.fromEntries(result.map((m) => [m.hotkey, m.score])),
    miners: result
  }
}

/** The `RankingResult` synapse body sent back to the participants. */
export const toRankingResult = (requestId: string, consensus: Consensus): RankingResult => ({
  request_id: requestId,
  cid_to_consensus: consensus.cidToConsensus,
  hotkey_to_score: consensus.hotkeyToScore
})
