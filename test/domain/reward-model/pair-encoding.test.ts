import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { assemblePair, bertLayout, layoutFromPostProcessor, specialCount } from "../../../src/domain/reward-model/pair-encoding.ts"

const CLS = 101
const SEP = 102
const layout = bertLayout(CLS, SEP)
const ids = (max: number) => fc.array(fc.integer({ min: 1000, max: 2000 }), { maxLength: max })

describe("assemblePair", () => {
  test("when everything fits it is exactly [CLS] prompt [SEP] completion [SEP]", () => {
    fc.assert(
      fc.property(ids(20), ids(20), (p, c) => {
        const out = assemblePair(layout, p, c, 100)
        expect(out.inputIds).toEqual([CLS, ...p, SEP, ...c, SEP])
        expect(out.tokenTypeIds).toEqual([0, ...p.map(() => 0), 0, ...c.map(() => 1), 1])
      })
    )
  })

  test("never longer than max length; the completion stays whole whenever it fits alone", () => {
    fc.assert(
      fc.property(ids(300), ids(60), fc.integer({ min: 4, max: 120 }), fc.constantFrom("left" as const, "right" as const), (p, c, max, side) => {
        const out = assemblePair(layout, p, c, max, side).inputIds
        expect(out.length).toBeLessThanOrEqual(max)
        expect(out[out.length - 1]).toBe(SEP)
        const sep = out.indexOf(SEP)
        const keptPrompt = out.slice(1, sep)
        const keptCompletion = out.slice(sep + 1, -1)
        if (c.length <= max - 3) {
          expect(keptCompletion).toEqual(c)
          // the prompt gets whatever room is left, cut from `side`
          const room = max - 3 - c.length
          expect(keptPrompt).toEqual(p.length <= room ? p : side === "right" ? p.slice(0, room) : p.slice(p.length - room))
        } else {
          expect(keptPrompt).toEqual([])
          expect(keptCompletion).toEqual(side === "right" ? c.slice(0, max - 3) : c.slice(c.length - (max - 3)))
        }
      })
    )
  })

  test("a prompt longer than the room changes nothing once it is cut (right side keeps its head)", () => {
    const longPrompt = fc.array(fc.integer({ min: 1000, max: 2000 }), { minLength: 61, maxLength: 200 })
    fc.assert(
      fc.property(longPrompt, ids(200), ids(30), (p, extra, c) => {
        expect(assemblePair(layout, [...p, ...extra], c, 64)).toEqual(assemblePair(layout, p, c, 64))
      })
    )
  })

  test("a null prompt uses the single template", () => {
    expect(assemblePair(layout, null, [7, 8], 10).inputIds).toEqual([CLS, 7, 8, SEP])
    expect(assemblePair(layout, null, [7, 8, 9, 10], 4).inputIds).toEqual([CLS, 7, 8, SEP])
  })
})

describe("layoutFromPostProcessor", () => {
  const vocab: Record<string, number> = { "<s>": 0, "</s>": 2, "[CLS]": CLS, "[SEP]": SEP }
  const idOf = (t: string) => vocab[t]

  test("TemplateProcessing with special-token id lists", () => {
    const l = layoutFromPostProcessor(
      {
        type: "TemplateProcessing",
        single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }],
        pair: [
          { SpecialToken: { id: "[CLS]", type_id: 0 } },
          { Sequence: { id: "A", type_id: 0 } },
          { SpecialToken: { id: "[SEP]", type_id: 0 } },
          { Sequence: { id: "B", type_id: 1 } },
          { SpecialToken: { id: "[SEP]", type_id: 1 } }
        ],
        special_tokens: { "[CLS]": { id: "[CLS]", ids: [CLS], tokens: ["[CLS]"] }, "[SEP]": { id: "[SEP]", ids: [SEP], tokens: ["[SEP]"] } }
      },
      idOf
    )
    expect(l).toEqual(layout)
  })

  test("BertProcessing, RobertaProcessing and Sequence", () => {
    expect(layoutFromPostProcessor({ type: "BertProcessing", cls: ["[CLS]", CLS], sep: ["[SEP]", SEP] }, idOf)).toEqual(layout)
    const roberta = layoutFromPostProcessor({ type: "RobertaProcessing", cls: ["<s>", 0], sep: ["</s>", 2] }, idOf)!
    expect(assemblePair(roberta, [5], [6], 100).inputIds).toEqual([0, 5, 2, 2, 6, 2])
    expect(specialCount(roberta.pair)).toBe(4)
    const seq = layoutFromPostProcessor({ type: "Sequence", processors: [{ type: "ByteLevel" }, { type: "RobertaProcessing", cls: ["<s>", 0], sep: ["</s>", 2] }] }, idOf)
    expect(seq).toEqual(roberta)
  })

  test("nothing readable gives undefined (the caller falls back to cls/sep)", () => {
    expect(layoutFromPostProcessor(null, idOf)).toBeUndefined()
    expect(layoutFromPostProcessor({ type: "ByteLevel" }, idOf)).toBeUndefined()
    expect(layoutFromPostProcessor({ type: "TemplateProcessing", single: [{ Bogus: 1 }], pair: [] }, idOf)).toBeUndefined()
  })
})
