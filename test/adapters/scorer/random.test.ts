import { expect, test } from "bun:test"
import { Effect, Random } from "effect"
import * as RandomScorer from "../../../src/adapters/scorer/random.ts"
import { Scorer } from "../../../src/services/scorer.ts"

const request = {
  epoch_timestamp: 1,
  request_id: "r",
  prompt: "p",
  n_completions: 3,
  completions: ["a", "b", "c"].map((cid) => ({ cid, text: cid })),
  ranks: [],
  scoring_method: null,
  model_config: null,
  mturk_hit_id: null,
  modality: "text" as const
}

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
