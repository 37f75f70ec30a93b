import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { BunContext } from "@effect/platform-bun"
import { AutoModelForSequenceClassification, env, Tensor } from "@huggingface/transformers"
import { Effect } from "effect"
import fc from "fast-check"
import { readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { exportRewardModel, type ExportableRewardModel, trainingFacts } from "../../../src/adapters/data/reward-model-export.ts"
import { defaultTrainingConfig, trainRewardModel } from "../../../src/domain/reward-model/training.ts"
import { initRewardModel, logit, type RewardModel } from "../../../src/domain/reward-model/model.ts"
import { seededRandom } from "../../../src/domain/seeded-random.ts"
import { generateSyntheticPreferences } from "../../../src/domain/data/synthetic-preferences.ts"
import type { TokenizerSpec } from "../../../src/domain/reward-model/tokenizer-spec.ts"
import { removeTempDirs, tempDir } from "../../support/reward-model-dir.ts"

// Model training and ONNX sessions take seconds when the shared 2-core machine is busy.
setDefaultTimeout(30_000)

afterAll(removeTempDirs)
env.allowRemoteModels = false

const run = <A, E>(effect: Effect.Effect<A, E, BunContext.BunContext>) => Effect.runPromise(Effect.provide(effect, BunContext.layer))

const exportToTemp = async (m: ExportableRewardModel) => {
  const dir = join(tempDir(), "model")
  await run(exportRewardModel(dir, m))
  return dir
}

const specOfSize = (words: number): TokenizerSpec => ({ words: Array.from({ length: words }, (_, i) => `w${i}`), maxLength: 128 })

/** Runs the exported ONNX model through transformers.js on a padded batch and returns its logits. */
const hfLogits = async (dir: string, rows: ReadonlyArray<ReadonlyArray<number>>, masks: ReadonlyArray<ReadonlyArray<number>>) => {
  const model = await AutoModelForSequenceClassification.from_pretrained(dir, { dtype: "fp32", local_files_only: true })
  try {
    const width = rows[0]!.length
    const t = (xs: ReadonlyArray<ReadonlyArray<number>>) => new Tensor("int64", BigInt64Array.from(xs.flat(), (x) => BigInt(x)), [xs.length, width])
    const out = (await model({ input_ids: t(rows), attention_mask: t(masks) })) as { logits: Tensor }
    expect(out.logits.dims).toEqual([rows.length, 1])
    return Array.from(out.logits.data as Float32Array)
  } finally {
    await model.dispose()
  }
}

const expectSameLogits = (model: RewardModel, rows: ReadonlyArray<ReadonlyArray<number>>, masks: ReadonlyArray<ReadonlyArray<number>>, got: ReadonlyArray<number>) =>
  rows.forEach((ids, i) => {
    const want = logit(model, ids, masks[i]!)
    expect(Math.abs((got[i] as number) - want)).toBeLessThan(1e-5 * (1 + Math.abs(want)))
  })

describe("exported reward model, loaded by @huggingface/transformers", () => {
  test("gives the same logits as the TypeScript forward pass, for random models and padded batches", async () => {
    const batchArb = fc.integer({ min: 2, max: 60 }).chain((vocab) =>
      fc.record({
        vocab: fc.constant(vocab),
        dim: fc.integer({ min: 1, max: 16 }),
        seed: fc.integer(),
        scale: fc.double({ min: 0.1, max: 30, noNaN: true }),
        rows: fc.array(fc.array(fc.integer({ min: 0, max: vocab + 4 }), { minLength: 0, maxLength: 12 }), { minLength: 1, maxLength: 5 })
      })
    )
    await fc.assert(
      fc.asyncProperty(batchArb, async ({ vocab, dim, seed, scale, rows }) => {
        const spec = specOfSize(vocab)
        const init = initRewardModel(vocab + 5, dim, seededRandom(seed))
        // scale the weights so the tanh saturates sometimes and logits are not all tiny
        const model: RewardModel = { ...init, embeddings: init.embeddings.map((x) => x * scale), weight: init.weight.map((x) => x * scale), bias: Math.fround(0.3 * scale) }
        const dir = await exportToTemp({ model, tokenizer: spec })
        const width = Math.max(1, ...rows.map((r) => r.length))
        const padded = rows.map((r) => [...r, ...Array<number>(width - r.length).fill(0)])
        const masks = rows.map((r) => [...r.map(() => 1), ...Array<number>(width - r.length).fill(0)])
        expectSameLogits(model, padded, masks, await hfLogits(dir, padded, masks))
      }),
      { numRuns: 12 }
    )
  })

  test("a trained model: same logits, files small, config says one-logit deberta-v2 regression", async () => {
    const trained = trainRewardModel(generateSyntheticPreferences({ count: 400, seed: 3 }), { ...defaultTrainingConfig, epochs: 3 })
    const dir = await exportToTemp({ model: trained.model, tokenizer: trained.tokenizer, training: trainingFacts(trained) })
    const random = seededRandom(77)
    const rows = Array.from({ length: 6 }, () => Array.from({ length: 20 }, () => random.int(trained.model.vocabSize)))
    const masks = rows.map((_, i) => Array.from({ length: 20 }, (_, t) => (t < 20 - 3 * i ? 1 : 0)))
    expectSameLogits(trained.model, rows, masks, await hfLogits(dir, rows, masks))

    for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"]) expect(statSync(join(dir, f)).size).toBeLessThan(1 << 20)
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"))
    expect(config).toMatchObject({ model_type: "deberta-v2", num_labels: 1, problem_type: "regression", architectures: ["DebertaV2ForSequenceClassification"] })
    expect(config.dojo.held_out_accuracy).toBe(trained.heldOut.accuracy)
    expect(JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8")).tokenizer_class).toBe("DebertaV2Tokenizer")
  })

  test("a model whose vocabulary does not match its tokenizer is refused", async () => {
    const model = initRewardModel(9, 2, seededRandom(1))
    const error = await run(Effect.flip(exportRewardModel(join(tempDir(), "m"), { model, tokenizer: specOfSize(3) })))
    expect(error._tag).toBe("RewardModelExportError")
    expect(error.message).toContain("9 ids but the tokenizer has 8")
  })
})
