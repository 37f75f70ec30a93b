import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { updateScores, type UidScore } from "../../../src/domain/scoring/moving-average.ts"

const score01 = fc.double({ min: 0, max: 1, noNaN: true })
const hotkey = fc.constantFrom("h0", "h1", "h2", "h3", "h4")
const previous = fc.uniqueArray(fc.record({ uid: fc.integer({ min: 0, max: 9 }), hotkey, score: score01 }), { selector: (p) => p.uid })
const neurons = fc.uniqueArray(fc.record({ uid: fc.integer({ min: 0, max: 9 }), hotkey }), { selector: (n) => n.uid })
const rewards = fc.dictionary(hotkey, score01).map((d) => new Map(Object.entries(d)))
const alpha = fc.double({ min: 0, max: 1, noNaN: true })

describe("updateScores", () => {
  test("example: one step with α = 0.3", () => {
    const prev: UidScore[] = [
      { uid: 0, hotkey: "a", score: 0.5 },
      { uid: 1, hotkey: "b", score: 0.5 },
      { uid: 2, hotkey: "c", score: 0.5 }
    ]
    const next = updateScores({
      previous: prev,
      neurons: [
        { uid: 0, hotkey: "a" }, // took part
        { uid: 1, hotkey: "b" }, // did not: decays
        { uid: 2, hotkey: "z" }, // replaced: starts from 0
        { uid: 3, hotkey: "d" } // new
      ],
      rewards: new Map([
        ["a", 1],
        ["z", 1],
        ["d", 0.5],
        ["gone", 1]
      ])
    })
    expect(next.map((s) => s.uid)).toEqual([0, 1, 2, 3])
    expect(next.map((s) => s.hotkey)).toEqual(["a", "b", "z", "d"])
    const expected = [0.3 + 0.35, 0.35, 0.3, 0.15]
    next.forEach((s, i) => expect(s.score).toBeCloseTo(expected[i]!, 15))
  })

  test("α outside [0, 1] is refused", () => {
    expect(() => updateScores({ previous: [], neurons: [], rewards: new Map(), alpha: 1.5 })).toThrow(RangeError)
    expect(() => updateScores({ previous: [], neurons: [], rewards: new Map(), alpha: Number.NaN })).toThrow(RangeError)
  })

  test("each new score lies between its old score (0 for a new or replaced uid) and its reward", () => {
    fc.assert(
      fc.property(previous, neurons, rewards, alpha, (prev, now, r, a) => {
        const next = updateScores({ previous: prev, neurons: now, rewards: r, alpha: a })
        expect(next.map(({ uid, hotkey }) => ({ uid, hotkey }))).toEqual(now)
        for (const s of next) {
          const held = prev.find((p) => p.uid === s.uid)
          const old = held?.hotkey === s.hotkey ? held.score : 0
          const reward = r.get(s.hotkey) ?? 0
          expect(s.score).toBeGreaterThanOrEqual(Math.min(old, reward))
          expect(s.score).toBeLessThanOrEqual(Math.max(old, reward))
        }
      })
    )
  })

  test("a replaced hotkey keeps nothing of its predecessor", () => {
    fc.assert(
      fc.property(score01, score01, alpha, (oldScore, reward, a) => {
        const [s] = updateScores({ previous: [{ uid: 4, hotkey: "old", score: oldScore }], neurons: [{ uid: 4, hotkey: "new" }], rewards: new Map([["new", reward]]), alpha: a })
        const [fresh] = updateScores({ previous: [], neurons: [{ uid: 4, hotkey: "new" }], rewards: new Map([["new", reward]]), alpha: a })
        expect(s!.score).toBe(fresh!.score)
      })
    )
  })

  test("α = 1 gives the rewards; α = 0 keeps the old scores", () => {
    fc.assert(
      fc.property(previous, rewards, (prev, r) => {
        const now = prev.map(({ uid, hotkey }) => ({ uid, hotkey }))
        expect(updateScores({ previous: prev, neurons: now, rewards: r, alpha: 1 }).map((s) => s.score)).toEqual(prev.map((p) => r.get(p.hotkey) ?? 0))
        expect(updateScores({ previous: prev, neurons: now, rewards: r, alpha: 0 }).map((s) => s.score)).toEqual(prev.map((p) => p.score))
      })
    )
  })
})
