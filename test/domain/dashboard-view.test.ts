import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import {
  accuracySeries,
  bestCompletion,
  clip,
  downsampleIndices,
  publicKind,
  rankedConsensus,
  scoreSeries,
  shortHotkey,
  type SnapshotRow,
  topUidsByWeight,
  weightShares
} from "../../src/domain/dashboard-view.ts"
import type { RankingRequest } from "../../src/domain/wire/protocol.ts"

const ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"

describe("text helpers", () => {
  test("shortHotkey keeps the first 5 and last 4 characters; clip marks the cut", () => {
    expect(shortHotkey(ALICE)).toBe("5Grwv…utQY")
    expect(shortHotkey("short")).toBe("short")
    expect(clip("abcdef", 4)).toBe("abc…")
    expect(clip("abc", 4)).toBe("abc")
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 50 }), (s, n) => {
        const c = clip(s, n)
        return c.length === Math.min(s.length, n) && (s.length <= n ? c === s : c.endsWith("…") && s.startsWith(c.slice(0, -1)))
      })
    )
  })
})

describe("downsampleIndices", () => {
  test("all points when they fit; otherwise evenly spread with both ends", () => {
    expect(downsampleIndices(3, 5)).toEqual([0, 1, 2])
    expect(downsampleIndices(11, 3)).toEqual([0, 5, 10])
    expect(downsampleIndices(10, 1)).toEqual([9])
    expect(downsampleIndices(0, 5)).toEqual([])
  })

  test("property: increasing, within range, at most max, first and last kept, gaps even to one step", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 2, max: 500 }), (n, max) => {
        const idx = downsampleIndices(n, max)
        const gaps = idx.slice(1).map((v, i) => v - idx[i]!)
        return (
          idx.length === Math.min(n, max) &&
          idx[0] === 0 &&
          idx[idx.length - 1] === n - 1 &&
          gaps.every((g) => g > 0) &&
          (gaps.length === 0 || Math.max(...gaps) - Math.min(...gaps) <= 1)
        )
      })
    )
  })
})

const snapshots = (times: number, uids: number): Array<SnapshotRow> =>
  Array.from({ length: times }, (_, t) =>
    Array.from({ length: uids }, (_, uid) => ({ at: 1000 + t * 60, uid, hotkey: `hk${uid}`, score: (uid + 1) * (t + 1), weight: uid + 1 }))
  ).flat()

describe("scoreSeries", () => {
  test("values per uid at each kept time; weight as the share of that snapshot's total; missing → null", () => {
    const rows = snapshots(4, 3).filter((r) => !(r.at === 1060 && r.uid === 2))
    const s = scoreSeries(rows, [2, 0], 10)
    expect(s.times).toEqual([1000, 1060, 1120, 1180])
    expect(s.series.map((x) => x.uid)).toEqual([2, 0])
    expect(s.series[0]!.score).toEqual([3, null, 9, 12])
    expect(s.series[0]!.weight).toEqual([0.5, null, 0.5, 0.5])
    expect(s.series[1]!.weight).toEqual([1 / 6, 1 / 3, 1 / 6, 1 / 6])
    expect(s.series[0]!.hotkey).toBe("hk2")
  })

  test("property: at most maxPoints times, all of them snapshot times, shares in [0, 1] summing to ≤ 1", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 2, max: 40 }), (t, u, max) => {
        const rows = snapshots(t, u)
        const all = new Set(rows.map((r) => r.at))
        const s = scoreSeries(rows, Array.from({ length: u }, (_, i) => i), max)
        const sums = s.times.map((_, i) => s.series.reduce((a, x) => a + (x.weight[i] ?? 0), 0))
        return (
          s.times.length === Math.min(t, max) &&
          s.times.every((x) => all.has(x)) &&
          s.series.every((x) => x.weight.every((w) => w !== null && w >= 0 && w <= 1)) &&
          sums.every((x) => x <= 1 + 1e-9)
        )
      })
    )
  })

  test("topUidsByWeight: the latest snapshot's largest weights", () => {
    const rows = [...snapshots(2, 4), { at: 2000, uid: 7, hotkey: "x", score: 0, weight: 0.5 }, { at: 2000, uid: 3, hotkey: "y", score: 1, weight: 0.9 }]
    expect(topUidsByWeight(rows, 5)).toEqual([3, 7])
    expect(topUidsByWeight(snapshots(3, 4), 2)).toEqual([3, 2])
    expect(topUidsByWeight([], 3)).toEqual([])
  })
})

describe("accuracySeries, weightShares, consensus", () => {
  test("accuracy is correct / answered per sample, null when nothing was answered", () => {
    const samples = [
      { at: 1, counts: new Map([["a", { correct: 1, answered: 2 }]]) },
      { at: 2, counts: new Map([["a", { correct: 3, answered: 4 }], ["b", { correct: 0, answered: 0 }]]) }
    ]
    expect(accuracySeries(samples, ["a", "b"], 10)).toEqual({
      times: [1, 2],
      series: [
        { hotkey: "a", accuracy: [0.5, 0.75] },
        { hotkey: "b", accuracy: [null, null] }
      ]
    })
  })

  test("weightShares sum to 1 (or are all 0)", () => {
    expect(weightShares([1, 2], [65535, 0])).toEqual(new Map([[1, 1], [2, 0]]))
    expect(weightShares([1], [0])).toEqual(new Map([[1, 0]]))
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: 1, maxLength: 256 }), (w) => {
        const total = [...weightShares(w.map((_, i) => i), w).values()].reduce((a, b) => a + b, 0)
        return w.every((x) => x === 0) ? total === 0 : Math.abs(total - 1) < 1e-9
      })
    )
  })

  test("consensus ranked highest first; best completion is its text, clipped", () => {
    const request = {
      completions: [
        { cid: "a", text: "first answer" },
        { cid: "b", text: "second, longer answer" }
      ]
    } as unknown as RankingRequest
    const result = { request_id: "r", cid_to_consensus: { a: 0.2, b: 0.7 }, hotkey_to_score: {} }
    expect(rankedConsensus(result)).toEqual([
      { cid: "b", score: 0.7 },
      { cid: "a", score: 0.2 }
    ])
    expect(bestCompletion(request, result, 8)).toEqual({ cid: "b", text: "second,…", score: 0.7 })
    expect(bestCompletion(request, undefined, 8)).toBeNull()
  })

  test("publicKind hides which requests were evaluations unless revealed; API requests stay labelled", () => {
    expect([publicKind("seed", false), publicKind("evaluation", false), publicKind("api", false)]).toEqual(["validator", "validator", "api"])
    expect([publicKind("seed", true), publicKind("evaluation", true)]).toEqual(["seed", "evaluation"])
  })
})
