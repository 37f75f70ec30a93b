/**
 * What the validator dashboard shows, computed purely from store rows and the metagraph: time series
 * cut down to a bounded number of points, weight shares, request lines with their consensus, and the
 * privacy rules (hidden evaluation requests look like seed requests; scoring-API texts stay private).
 */
import type { Metagraph } from "./chain/metagraph.ts"
import type { RankingRequest, RankingResult } from "./wire/protocol.ts"

/** A hotkey shortened for tables: `5Grwv…utQY`. */
export const shortHotkey = (hotkey: string): string => (hotkey.length <= 12 ? hotkey : `${hotkey.slice(0, 5)}…${hotkey.slice(-4)}`)

/** Text cut to `max` characters (an ellipsis marks the cut). */
export const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`)

/**
 * Indices of at most `max` of `n` points, evenly spread, always the first and the last, increasing.
 * All of them when `n <= max`.
 */
export const downsampleIndices = (n: number, max: number): ReadonlyArray<number> => {
  if (n <= 0 || max <= 0) return []
  if (n <= max) return Array.from({ length: n }, (_, i) => i)
  if (max === 1) return [n - 1]
  const out: Array<number> = []
  for (let k = 0; k < max; k++) {
    const i = Math.round((k * (n - 1)) / (max - 1))
    if (out[out.length - 1] !== i) out.push(i)
  }
  return out
}

/** One snapshot row (as the store keeps them for the dashboard). */
export interface SnapshotRow {
  readonly at: number
  readonly uid: number
  readonly hotkey: string
  readonly score: number
  readonly weight: number
}

/** Series over shared times; `null` where a uid has no value at a time. */
export interface ScoreSeries {
  readonly times: ReadonlyArray<number>
  readonly series: ReadonlyArray<{
    readonly uid: number
    readonly hotkey: string
    readonly score: ReadonlyArray<number | null>
    /** Share of that snapshot's total weight, in [0, 1]. */
    readonly weight: ReadonlyArray<number | null>
  }>
}

const groupByTime = (rows: ReadonlyArray<SnapshotRow>): Map<number, Array<SnapshotRow>> => {
  const byTime = new Map<number, Array<SnapshotRow>>()
  for (const r of rows) {
    const list = byTime.get(r.at)
    if (list === undefined) byTime.set(r.at, [r])
    else list.push(r)
  }
  return byTime
}

/** The uids with the largest weight in the latest snapshot (ties: lower uid first). */
export const topUidsByWeight = (rows: ReadonlyArray<SnapshotRow>, n: number): ReadonlyArray<number> => {
  let last = Number.NEGATIVE_INFINITY
  for (const r of rows) if (r.at > last) last = r.at
  return rows
    .filter((r) => r.at === last)
    .sort((a, b) => b.weight - a.weight || b.score - a.score || a.uid - b.uid)
    .slice(0, Math.max(0, n))
    .map((r) => r.uid)
}

/** Score and weight share of `uids` over at most `maxPoints` snapshot times. */
export const scoreSeries = (rows: ReadonlyArray<SnapshotRow>, uids: ReadonlyArray<number>, maxPoints: number): ScoreSeries => {
  const byTime = groupByTime(rows)
  const allTimes = [...byTime.keys()].sort((a, b) => a - b)
  const times = downsampleIndices(allTimes.length, maxPoints).map((i) => allTimes[i]!)
  const wanted = [...new Set(uids)]
  const hotkeys = new Map<number, string>()
  const score = new Map(wanted.map((u) => [u, [] as Array<number | null>]))
  const weight = new Map(wanted.map((u) => [u, [] as Array<number | null>]))
  for (const t of times) {
    const at = byTime.get(t) ?? []
    const total = at.reduce((sum, r) => sum + Math.max(0, r.weight), 0)
    const byUid = new Map(at.map((r) => [r.uid, r] as const))
    for (const u of wanted) {
      const r = byUid.get(u)
      if (r !== undefined) hotkeys.set(u, r.hotkey)
      score.get(u)!.push(r === undefined ? null : r.score)
      weight.get(u)!.push(r === undefined ? null : total > 0 ? Math.max(0, r.weight) / total : 0)
    }
  }
  return {
    times,
    series: wanted.map((uid) => ({ uid, hotkey: hotkeys.get(uid) ?? "", score: score.get(uid)!, weight: weight.get(uid)! }))
  }
}

/** A miner's accuracy tally at one sampling time. */
export interface AccuracySample {
  readonly at: number
  readonly counts: ReadonlyMap<string, { readonly correct: number; readonly answered: number }>
}

/** Accuracy (correct / answered; null when nothing answered) of `hotkeys` over at most `maxPoints` samples. */
export const accuracySeries = (
  samples: ReadonlyArray<AccuracySample>,
  hotkeys: ReadonlyArray<string>,
  maxPoints: number
): { readonly times: ReadonlyArray<number>; readonly series: ReadonlyArray<{ readonly hotkey: string; readonly accuracy: ReadonlyArray<number | null> }> } => {
  const picked = downsampleIndices(samples.length, maxPoints).map((i) => samples[i]!)
  return {
    times: picked.map((s) => s.at),
    series: hotkeys.map((hotkey) => ({
      hotkey,
      accuracy: picked.map((s) => {
        const c = s.counts.get(hotkey)
        return c === undefined || c.answered === 0 ? null : c.correct / c.answered
      })
    }))
  }
}

/** Each uid's share of the weights as set (u16 values over their sum). */
export const weightShares = (uids: ReadonlyArray<number>, weights: ReadonlyArray<number>): ReadonlyMap<number, number> => {
  const total = weights.reduce((a, b) => a + Math.max(0, b), 0)
  return new Map(uids.map((u, i) => [u, total > 0 ? Math.max(0, weights[i] ?? 0) / total : 0] as const))
}

/**
 * How a request is labelled publicly: hidden evaluation requests must stay indistinguishable from seed
 * ones (miners can read the dashboard), so both are "validator" unless the operator reveals kinds.
 */
export const publicKind = (kind: "seed" | "evaluation" | "api", revealKinds: boolean): string =>
  revealKinds || kind === "api" ? kind : "validator"

/** Text shown instead of a scoring-API request's prompt or completions (they belong to their sender). */
export const PRIVATE_TEXT = "(scoring API request: text not shown)"

/** A completion's consensus, highest first (ties by cid). */
export const rankedConsensus = (result: RankingResult | undefined): ReadonlyArray<{ readonly cid: string; readonly score: number }> =>
  result === undefined
    ? []
    : Object.entries(result.cid_to_consensus)
        .map(([cid, score]) => ({ cid, score }))
        .sort((a, b) => b.score - a.score || (a.cid < b.cid ? -1 : a.cid > b.cid ? 1 : 0))

/** The best-scored completion of a scored request, its text clipped. */
export const bestCompletion = (
  request: RankingRequest,
  result: RankingResult | undefined,
  maxText: number
): { readonly cid: string; readonly text: string; readonly score: number } | null => {
  const top = rankedConsensus(result)[0]
  if (top === undefined) return null
  const completion = request.completions.find((c) => c.cid === top.cid)
  return { cid: top.cid, text: clip(completion?.text ?? "", maxText), score: top.score }
}

/** Counts of a metagraph for the overview. */
export const neuronCounts = (m: Metagraph): { readonly total: number; readonly serving: number; readonly validators: number } => ({
  total: m.neurons.length,
  serving: m.neurons.filter((n) => n.axon.ip !== "0.0.0.0").length,
  validators: m.neurons.filter((n) => n.validatorPermit).length
})
