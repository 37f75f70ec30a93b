import { expect, test } from "bun:test"
import { Effect, Random } from "effect"
import * as RandomScorer from "../../../src/adapters/scorer/random.ts"
import { Scorer } from "../../../src/services/scorer.ts"
import { testCompletions, testRankingRequest } from "../../support/fixtures.ts"

const request = testRankingRequest({ completions: testCompletions(["a", "b", "c"], (i) => "abc"[i]!) })

test("--demo.random_scores: a uniform random score in [0, 1) per completion, whatever the text, reported as hf_model", async () => {
  const run = (seed: string) =>
    Effect.runPromise(Effect.flatMap(Scorer, (s) => s.score(request)).pipe(Effect.withRandom(Random.make(seed)), Effect.provide(RandomScorer.layer)))
  const a = await run("1")
  expect(a.ranks.map((r) => r.cid)).toEqual(["a", "b", "c"])
  for (const r of a.ranks) expect(r.score >= 0 && r.score < 1).toBe(true)
  expect(a.unscored).toEqual([])
  expect((await run("2")).ranks).not.toEqual(a.ranks)
  const method = await Effect.runPromise(Effect.map(Scorer, (s) => s.method).pipe(Effect.provide(RandomScorer.layer)))
  expect(method).toBe("hf_model")
})
