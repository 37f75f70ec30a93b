/**
 * Local ONNX `hf_model` scorer throughput: (prompt, completion) pairs per second at batch sizes 1, 8 and
 * 32, on a reward model trained and exported here (nothing downloaded). Prints figures; asserts nothing.
 */
import { BunContext } from "@effect/platform-bun"
import { Effect, Schema } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { exportRewardModel, trainingFacts } from "../src/adapters/data/reward-model-export.ts"
import * as HfLocal from "../src/adapters/scorer/hf-local.ts"
import { loadHfRewardModel } from "../src/adapters/scorer/hf-local.ts"
import { RankingRequest } from "../src/domain/wire/protocol.ts"
import { defaultTrainingConfig, trainRewardModel } from "../src/domain/reward-model/training.ts"
import { generateSyntheticPreferences } from "../src/domain/data/synthetic-preferences.ts"
import { Scorer } from "../src/services/scorer.ts"

const PAIRS_PER_REQUEST = 64
const MIN_SECONDS = 1.5

const dir = join(mkdtempSync(join(tmpdir(), "dojo-bench-rm-")), "model")
try {
  const t0 = performance.now()
  const trained = trainRewardModel(generateSyntheticPreferences({ count: 1000, seed: 1 }), { ...defaultTrainingConfig, epochs: 3 })
  await Effect.runPromise(
    exportRewardModel(dir, { model: trained.model, tokenizer: trained.tokenizer, training: trainingFacts(trained) }).pipe(Effect.provide(BunContext.layer))
  )
  console.log(
    `model: vocabulary ${trained.model.vocabSize}, dim ${trained.model.dim}, held-out accuracy ${trained.heldOut.accuracy.toFixed(3)}; trained and exported in ${(performance.now() - t0).toFixed(0)} ms`
  )

  const pool = generateSyntheticPreferences({ count: PAIRS_PER_REQUEST, seed: 2 })
  const request = Schema.decodeUnknownSync(RankingRequest)({
    epoch_timestamp: 1,
    request_id: "bench",
    prompt: pool[0]!.prompt,
    n_completions: PAIRS_PER_REQUEST,
    completions: pool.map((p, i) => ({ cid: `c${i}`, text: i % 2 === 0 ? p.chosen : p.rejected }))
  })

  const loadStart = performance.now()
  await Effect.runPromise(Effect.scoped(loadHfRewardModel({ model: dir })).pipe(Effect.provide(BunContext.layer)))
  console.log(`load (tokenizer + ONNX session): ${(performance.now() - loadStart).toFixed(0)} ms`)

  for (const batchSize of [1, 8, 32]) {
    const measure = Effect.gen(function* () {
      const scorer = yield* Scorer
      yield* scorer.score(request) // warm-up
      let pairs = 0
      const start = performance.now()
      while (performance.now() - start < MIN_SECONDS * 1000) {
        yield* scorer.score(request)
        pairs += PAIRS_PER_REQUEST
      }
      return { pairs, seconds: (performance.now() - start) / 1000 }
    })
    const r = await Effect.runPromise(measure.pipe(Effect.provide(HfLocal.layer({ model: dir, batchSize })), Effect.provide(BunContext.layer)))
    console.log(`batch ${String(batchSize).padStart(2)}: ${(r.pairs / r.seconds).toFixed(0).padStart(6)} pairs/s  (${r.pairs} pairs in ${r.seconds.toFixed(2)} s)`)
  }

  // How much of it is tokenisation and input assembly alone.
  const encodeOnly = await Effect.runPromise(
    Effect.scoped(
      Effect.map(loadHfRewardModel({ model: dir }), (rm) => {
        let n = 0
        const start = performance.now()
        while (performance.now() - start < 1000) for (const c of request.completions) (rm.encode({ prompt: request.prompt, completion: c.text }), n++)
        return n / ((performance.now() - start) / 1000)
      })
    ).pipe(Effect.provide(BunContext.layer))
  )
  console.log(`tokenise + assemble only: ${encodeOnly.toFixed(0)} pairs/s`)
} finally {
  rmSync(join(dir, ".."), { recursive: true, force: true })
}
