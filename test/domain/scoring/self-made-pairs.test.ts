import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import type { PreferenceItem } from "../../../src/domain/data/preference-item.ts"
import { makeRng } from "../../../src/domain/prng.ts"
import { buildRequest } from "../../../src/domain/scoring/request-builder.ts"
import { applicableCorruptions, defaultCorruptions, selfMadePair, type Corruption } from "../../../src/domain/scoring/self-made-pairs.ts"

const all: ReadonlyArray<Corruption> = ["truncated", "shuffled_sentences", "other_prompt", "altered_numbers", "spliced"]
const word = fc.stringMatching(/^[a-z]{1,8}$/)
const sentence = fc.array(word, { minLength: 2, maxLength: 8 }).map((ws) => `${ws.join(" ")}.`)
const text = fc.oneof(
  fc.array(sentence, { minLength: 1, maxLength: 4 }).map((ss) => ss.join(" ")),
  fc.tuple(sentence, fc.integer({ min: 0, max: 99_999 }), sentence).map(([a, n, b]) => `${a} It costs ${n} dollars. ${b}`)
)
const item: fc.Arbitrary<PreferenceItem> = fc
  .record({ prompt: fc.stringMatching(/^[a-z ]{3,30}\?$/), chosen: text, rejected: text, paired: fc.boolean() })
  .map(({ prompt, chosen, rejected, paired }) => ({
    source: "seed#1",
    prompt,
    completions: paired ? [rejected, chosen] : [chosen],
    preference: paired ? { chosen: 1, rejected: 0 } : null
  }))

const words = (s: string) => s.split(/\s+/).filter((w) => w !== "")
const sentencesOf = (s: string) => (s.match(/[^.!?]+[.!?]+/g) ?? []).map((x) => x.trim()).sort()

describe("self-made evaluation pairs", () => {
  test("a two-completion item, the untouched good completion preferred over a different, corrupted one", () => {
    fc.assert(
      fc.property(item, item, fc.integer(), fc.subarray([...all], { minLength: 1 }), (a, b, seed, allowed) => {
        const pair = selfMadePair(a, b, makeRng(seed), allowed)
        if (pair === null) return
        const good = a.preference === null ? a.completions[0]! : a.completions[a.preference.chosen]!
        expect(allowed).toContain(pair.corruption)
        expect(pair.prompt).toBe(a.prompt)
        expect(pair.completions).toHaveLength(2)
        expect(pair.completions[0]).toBe(good)
        expect(pair.completions[1]).not.toBe(good)
        expect(pair.preference).toEqual({ chosen: 0, rejected: 1 })
        expect(pair.source).toBe(`self-made:${pair.corruption}:${a.source}`)
        const corrupted = pair.completions[1]!
        switch (pair.corruption) {
          case "truncated":
            expect(words(good).join(" ").startsWith(corrupted)).toBe(true)
            expect(words(corrupted).length).toBeLessThan(words(good).length)
            break
          case "shuffled_sentences":
            expect(sentencesOf(corrupted)).toEqual(sentencesOf(good))
            break
          case "other_prompt":
            expect(b.completions).toContain(corrupted)
            break
          case "altered_numbers":
            expect(corrupted.replace(/\d/g, "#")).toBe(good.replace(/\d/g, "#"))
            break
          case "spliced":
            expect(words(corrupted)[0]).toBe(words(good)[0])
            expect(words(corrupted)).toHaveLength(words(good).length)
            break
        }
      })
    )
  })

  test("the same seed gives the same pair", () => {
    fc.assert(fc.property(item, item, fc.integer(), (a, b, seed) => expect(selfMadePair(a, b, makeRng(seed))).toEqual(selfMadePair(a, b, makeRng(seed)))))
  })

  test("by default neither truncation nor another prompt's answer is used", () => {
    expect(defaultCorruptions).not.toContain("truncated")
    expect(defaultCorruptions).not.toContain("other_prompt")
    fc.assert(fc.property(item, item, (a, b) => expect(applicableCorruptions(a, b).every((k) => defaultCorruptions.includes(k))).toBe(true)))
  })

  test("built into a request it has the shape of any other request", () => {
    fc.assert(
      fc.property(item, item, fc.integer(), (a, b, seed) => {
        const pair = selfMadePair(a, b, makeRng(seed))
        if (pair === null) return
        const rng = makeRng(seed + 1)
        const built = buildRequest(pair, { requestId: "r", epochTimestamp: 1, evaluate: true }, rng)
        const plain = buildRequest({ ...a, completions: [a.completions[0]!, "x"], preference: null }, { requestId: "r", epochTimestamp: 1, evaluate: false }, rng)
        expect(Object.keys(built.request).sort()).toEqual(Object.keys(plain.request).sort())
        expect(built.request.n_completions).toBe(2)
        expect(JSON.stringify(built.request)).not.toContain("self-made")
        const byCid = new Map(built.request.completions.map((c) => [c.cid, c.text]))
        expect(byCid.get(built.evaluation!.chosenCid)).toBe(pair.completions[0])
      })
    )
  })
})
