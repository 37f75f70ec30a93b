import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { generateSyntheticPreferences, syntheticQuality, syntheticVocabulary } from "../../../src/domain/data/synthetic-preferences.ts"

const words = (text: string) => text.toLowerCase().match(/[a-z]+/g) ?? []

describe("synthetic preferences", () => {
  test("the same options give the same pairs; another seed other pairs", () => {
    const a = generateSyntheticPreferences({ count: 50, seed: 3, noise: 0.2 })
    expect(generateSyntheticPreferences({ count: 50, seed: 3, noise: 0.2 })).toEqual(a)
    expect(generateSyntheticPreferences({ count: 50, seed: 4, noise: 0.2 })).not.toEqual(a)
    expect(a).toHaveLength(50)
  })

  test("known answers: the truly better completion always has strictly higher quality", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true }), (seed, count, noise) => {
        for (const p of generateSyntheticPreferences({ count, seed, noise })) {
          const [better, worse] = p.flipped ? [p.rejected, p.chosen] : [p.chosen, p.rejected]
          expect(syntheticQuality(better)).toBeGreaterThan(syntheticQuality(worse))
          expect(syntheticQuality(better)).toBeGreaterThanOrEqual(1)
          expect(syntheticQuality(worse)).toBeLessThanOrEqual(0)
        }
      }),
      { numRuns: 60 }
    )
  })

  test("noise swaps about that fraction of the labels; zero noise swaps none", () => {
    const noisy = generateSyntheticPreferences({ count: 4000, seed: 9, noise: 0.3 })
    const flipped = noisy.filter((p) => p.flipped).length / noisy.length
    expect(Math.abs(flipped - 0.3)).toBeLessThan(0.03)
    expect(generateSyntheticPreferences({ count: 500, seed: 9 }).some((p) => p.flipped)).toBe(false)
  })

  test("all three kinds of bad answer occur, and off-topic ones are about another topic", () => {
    const pairs = generateSyntheticPreferences({ count: 600, seed: 1 })
    const kinds = new Set(pairs.map((p) => p.kind))
    expect(kinds).toEqual(new Set(["rude", "unhelpful", "off_topic"]))
    const topicOf = (text: string) => syntheticVocabulary.topics.findIndex((t) => words(text).some((w) => t.includes(w)))
    for (const p of pairs) {
      const chosenTopic = topicOf(p.chosen)
      expect(chosenTopic).toBeGreaterThanOrEqual(0)
      if (p.kind === "off_topic") expect(topicOf(p.rejected)).not.toBe(chosenTopic)
      else expect(topicOf(p.rejected)).toBe(chosenTopic)
    }
  })

  test("marker, filler and topic word pools do not overlap (so quality is well defined)", () => {
    const pools = [syntheticVocabulary.good, syntheticVocabulary.bad, syntheticVocabulary.filler, ...syntheticVocabulary.topics]
    const seen = new Set<string>()
    for (const pool of pools)
      for (const w of pool) {
        expect(seen.has(w)).toBe(false)
        seen.add(w)
      }
  })

  test("rare marker words are rare: the most common good word is far more frequent than the least", () => {
    const counts = new Map<string, number>()
    for (const p of generateSyntheticPreferences({ count: 3000, seed: 2 }))
      for (const w of words(p.chosen)) if ((syntheticVocabulary.good as ReadonlyArray<string>).includes(w)) counts.set(w, (counts.get(w) ?? 0) + 1)
    const first = counts.get(syntheticVocabulary.good[0]) ?? 0
    const last = counts.get(syntheticVocabulary.good[syntheticVocabulary.good.length - 1]!) ?? 0
    expect(first).toBeGreaterThan(10 * Math.max(last, 1))
  })
})
