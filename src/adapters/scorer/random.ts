/**
 * A cheating `Scorer` for demonstrations (`--demo.random_scores`): uniform random scores from Effect's
 * Random, no model at all, reported as `hf_model` like any miner could. It exists to show that the
 * incentive rule pays a miner that does no work nothing; never run it on a real subnet.
 */
import { Effect, Layer, Random } from "effect"
import { Scorer } from "../../services/scorer.ts"

/** The random scorer. */
export const layer: Layer.Layer<Scorer> = Layer.succeed(Scorer, {
  method: "hf_model",
  modelConfig: { provider: null, model_name: "random-scores" },
  score: (request) =>
    Effect.map(
      Effect.forEach(request.completions, (c) => Effect.map(Random.next, (score) => ({ cid: c.cid, score }))),
      (ranks) => ({ ranks, unscored: [], mturkHit: null })
    )
})
