import { afterAll, describe, expect, test } from "bun:test"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { BunContext } from "@effect/platform-bun"
import { Effect, Either } from "effect"
import { layer } from "../../../src/adapters/data/preference-data.ts"
import { PreferenceData } from "../../../src/services/preference-data.ts"
import { startDatasetsStub } from "../../support/stubs/hf-datasets.ts"

const dir = mkdtempSync(join(tmpdir(), "dojo-pref-"))
const jsonl = join(dir, "pairs.jsonl")
writeFileSync(
  jsonl,
  [
    JSON.stringify({ prompt: "p1", chosen: "c1", rejected: "r1" }),
    "not json",
    JSON.stringify({ prompt: "p2", completions: ["a", "b", "c"] }),
    JSON.stringify({ chosen: "c3", rejected: "r3" })
  ].join("\n")
)

const rows = Array.from({ length: 250 }, (_, i) => ({ prompt: `q${i}`, chosen: `good ${i}`, rejected: i % 50 === 0 ? `good ${i}` : `bad ${i}` }))
const stub = startDatasetsStub({ "org/pairs": rows })
afterAll(() => stub.stop())

const run = <A, E>(effect: Effect.Effect<A, E, PreferenceData>, seed: string, evaluation: string[]) =>
  Effect.runPromise(
    effect.pipe(Effect.provide(layer({ seed, evaluation, datasetsServerUrl: stub.url })), Effect.provide(BunContext.layer), Effect.either)
  )

describe("PreferenceData", () => {
  test("JSONL: usable rows in order, cycling, bad lines skipped", async () => {
    const result = await run(
      Effect.gen(function* () {
        const data = yield* PreferenceData
        return yield* Effect.replicateEffect(data.seed.next, 4)
      }),
      jsonl,
      [jsonl]
    )
    const items = Either.getOrThrow(result)
    expect(items.map((i) => i.prompt)).toEqual(["p1", "p2", "", "p1"])
    expect(items[1]!.preference).toBeNull()
    expect(items[2]!.preference).toEqual({ chosen: 0, rejected: 1 })
  })

  test("HF rows API: pages of 100, ties skipped, wraps at the end, retries a failure", async () => {
    stub.failNext(503, 1)
    const result = await run(
      Effect.gen(function* () {
        const data = yield* PreferenceData
        return yield* Effect.replicateEffect(data.evaluation.next, 250)
      }),
      jsonl,
      ["hf:org/pairs?mapping=prompt=prompt,chosen=chosen,rejected=rejected"]
    )
    const items = Either.getOrThrow(result)
    // 250 rows minus the 5 with equal texts; after 245 items the source starts again from row 1.
    expect(items[0]!.prompt).toBe("q1")
    expect(items[244]!.prompt).toBe("q249")
    expect(items[245]!.prompt).toBe("q1")
    expect(items.every((i) => i.completions[0] !== i.completions[1])).toBe(true)
    const offsets = stub.requests.map((u) => u.searchParams.get("offset"))
    expect(offsets).toContain("100")
    expect(offsets).toContain("200")
  })

  test("errors say what is wrong", async () => {
    const missing = await run(PreferenceData, join(dir, "nope.jsonl"), [jsonl])
    expect(Either.isLeft(missing) && missing.left.message).toContain("nope.jsonl")
    const unmapped = await run(PreferenceData, jsonl, ["hf:org/unknown"])
    expect(Either.isLeft(unmapped) && unmapped.left.message).toContain("no row mapping for org/unknown")
    const gone = await run(
      Effect.flatMap(PreferenceData, (d) => d.evaluation.next),
      jsonl,
      ["hf:org/absent?mapping=chosen=a,rejected=b"]
    )
    expect(Either.isLeft(gone) && gone.left.message).toContain("rows API")
  })
})
