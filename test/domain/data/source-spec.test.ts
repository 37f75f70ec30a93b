/** Source specs as given to `--data.seed` / `--evaluation.datasets`: what each names, and the refusals the validator reports at start-up. */
import { describe, expect, test } from "bun:test"
import { Either } from "effect"
import { parseSourceSpec } from "../../../src/domain/data/source-spec.ts"

describe("parseSourceSpec", () => {
  test("a path or jsonl:PATH is a JSONL file", () => {
    expect(parseSourceSpec("data/pairs.jsonl")).toEqual(Either.right({ _tag: "Jsonl", path: "data/pairs.jsonl" }))
    expect(parseSourceSpec("jsonl:/tmp/p.jsonl")).toEqual(Either.right({ _tag: "Jsonl", path: "/tmp/p.jsonl" }))
  })

  test("hf:<known dataset> takes its mapping; config, split and mapping come from the query", () => {
    expect(parseSourceSpec("hf:Anthropic/hh-rlhf")).toEqual(Either.right({ _tag: "HfRows", dataset: "Anthropic/hh-rlhf", mapping: { kind: "hh-rlhf" } }))
    expect(parseSourceSpec("hf:org/name?config=c&split=test&mapping=prompt=q,chosen=a,rejected=b")).toEqual(
      Either.right({ _tag: "HfRows", dataset: "org/name", mapping: { kind: "pair", prompt: "q", chosen: "a", rejected: "b" }, config: "c", split: "test" })
    )
  })

  test("refused: a name that is not a URL path, a dataset with no mapping, a mapping that names no fields", () => {
    expect(parseSourceSpec("hf:a b")).toEqual(Either.left(`"hf:a b" is not a dataset name: give hf:org/name[?config=…&split=…&mapping=…]`))
    expect(parseSourceSpec("hf:someone/unknown")).toEqual(
      Either.left("no row mapping for someone/unknown: add ?mapping=prompt=FIELD,chosen=FIELD,rejected=FIELD (or prompt=FIELD,completions=FIELD)")
    )
    expect(Either.isLeft(parseSourceSpec("hf:someone/unknown?mapping=prompt=q"))).toBe(true)
  })
})
