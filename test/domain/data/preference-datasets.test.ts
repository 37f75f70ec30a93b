import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { evaluationDatasets, mapRow, mappingFor, parseMapping } from "../../../src/domain/data/preference-datasets.ts"

const map = (dataset: string, row: Record<string, unknown>) => mapRow(mappingFor(dataset)!, dataset, row)

describe("evaluation dataset mappings", () => {
  test("all five datasets of the original are known", () => {
    expect(evaluationDatasets.map((d) => d.dataset)).toEqual([
      "Anthropic/hh-rlhf",
      "yitingxie/rlhf-reward-datasets",
      "Dahoas/synthetic-instruct-gptj-pairwise",
      "stanfordnlp/SHP",
      "openai/webgpt_comparisons"
    ])
  })

  test("hh-rlhf splits the shared dialogue from the two final replies", () => {
    const prompt = "\n\nHuman: How do I boil an egg?\n\nAssistant:"
    const item = map("Anthropic/hh-rlhf", { chosen: `${prompt} Put it in boiling water for 9 minutes.`, rejected: `${prompt} No.` })
    expect(item).toEqual({
      source: "Anthropic/hh-rlhf",
      prompt: "Human: How do I boil an egg?\n\nAssistant:",
      completions: ["Put it in boiling water for 9 minutes.", "No."],
      preference: { chosen: 0, rejected: 1 }
    })
    expect(map("Anthropic/hh-rlhf", { chosen: `${prompt} a`, rejected: "\n\nHuman: other\n\nAssistant: b" })).toBeNull()
  })

  test("SHP follows labels and drops ties", () => {
    const row = { history: "q", human_ref_A: "A", human_ref_B: "B", score_A: 5, score_B: 2 }
    expect(map("stanfordnlp/SHP", { ...row, labels: 1 })?.completions).toEqual(["A", "B"])
    expect(map("stanfordnlp/SHP", { ...row, labels: 0 })?.completions).toEqual(["B", "A"])
    expect(map("stanfordnlp/SHP", { ...row, labels: 1, score_B: 5 })).toBeNull()
  })

  test("webgpt prefers the higher score and drops ties", () => {
    const row = { question: { full_text: "why?" }, answer_0: "x", answer_1: "y", score_0: -1, score_1: 1 }
    expect(map("openai/webgpt_comparisons", row)).toMatchObject({ prompt: "why?", completions: ["y", "x"] })
    expect(map("openai/webgpt_comparisons", { ...row, score_1: -1 })).toBeNull()
  })

  test("pair datasets read prompt/chosen/rejected; missing or equal texts are skipped", () => {
    const d = "Dahoas/synthetic-instruct-gptj-pairwise"
    expect(map(d, { prompt: "p", chosen: "good", rejected: "bad" })?.preference).toEqual({ chosen: 0, rejected: 1 })
    expect(map(d, { prompt: "p", chosen: "same", rejected: "same" })).toBeNull()
    expect(map(d, { prompt: "p", chosen: 3, rejected: "bad" })).toBeNull()
  })

  test("command-line mappings", () => {
    expect(parseMapping("prompt=q,chosen=a,rejected=b")).toEqual({ kind: "pair", prompt: "q", chosen: "a", rejected: "b" })
    expect(parseMapping("prompt=p,completions=c,text=t")).toEqual({ kind: "completions", prompt: "p", completions: "c", text: "t" })
    expect(parseMapping("nonsense")).toBeNull()
  })

  test("no row, however malformed, makes a mapping throw", () => {
    fc.assert(
      fc.property(fc.constantFrom(...evaluationDatasets), fc.dictionary(fc.string(), fc.jsonValue()), (d, row) => {
        const item = mapRow(d.mapping, d.dataset, row)
        if (item !== null) expect(item.completions.length).toBe(2)
      })
    )
  })
})
