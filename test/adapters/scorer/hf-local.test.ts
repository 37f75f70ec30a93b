import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { BunContext } from "@effect/platform-bun"
import { Effect } from "effect"
import fc from "fast-check"
import { rmSync, writeFileSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { trainingFacts } from "../../../src/adapters/data/reward-model-export.ts"
import * as HfLocal from "../../../src/adapters/scorer/hf-local.ts"
import { type HfLocalScorerOptions, isHubModelId, loadHfRewardModel } from "../../../src/adapters/scorer/hf-local.ts"
import { assemblePair } from "../../../src/domain/reward-model/pair-encoding.ts"
import { defaultTrainingConfig, specLayout, type TrainedRewardModel, trainRewardModel } from "../../../src/domain/reward-model/training.ts"
import { logit } from "../../../src/domain/reward-model/model.ts"
import { generateSyntheticPreferences } from "../../../src/domain/data/synthetic-preferences.ts"
import { makeEncoder, SEP_ID } from "../../../src/domain/reward-model/tokenizer-spec.ts"
import { Scorer } from "../../../src/services/scorer.ts"
import { removeTempDirs, tempDir, writeModelDir } from "../../support/reward-model-dir.ts"
import { testCompletions, testRankingRequest } from "../../support/fixtures.ts"

// Model training and ONNX sessions take seconds when the shared 2-core machine is busy.
setDefaultTimeout(30_000)

const MAX_LENGTH = 48
let trained: TrainedRewardModel
let dir: string

beforeAll(() => {
  trained = trainRewardModel(generateSyntheticPreferences({ count: 600, seed: 21 }), { ...defaultTrainingConfig, epochs: 3, maxLength: MAX_LENGTH })
  dir = writeModelDir({ model: trained.model, tokenizer: trained.tokenizer, training: trainingFacts(trained) })
})
afterAll(removeTempDirs)

const request = (prompt: string, texts: ReadonlyArray<string>, modality: "text" | "image" = "text") =>
  testRankingRequest({ prompt, completions: testCompletions(texts), modality })

/** Builds the scorer layer and runs `f` with it. */
const withScorer = <A, E>(options: Partial<HfLocalScorerOptions>, f: (s: Scorer["Type"]) => Effect.Effect<A, E>) =>
  Effect.runPromise(
    Effect.flatMap(Scorer, f).pipe(Effect.provide(HfLocal.layer({ model: dir, ...options })), Effect.provide(BunContext.layer))
  )

const scoresOf = (options: Partial<HfLocalScorerOptions>, prompt: string, texts: ReadonlyArray<string>) =>
  withScorer(options, (s) => s.score(request(prompt, texts))).then((o) => o.ranks.map((r) => r.score))

const loadError = (options: HfLocalScorerOptions) =>
  Effect.runPromise(Effect.scoped(loadHfRewardModel(options)).pipe(Effect.flip, Effect.provide(BunContext.layer)))

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))
const good = "Glad to help: first knead the dough carefully, then check the oven."
const bad = "Whatever, stupid question, dunno, google it yourself."
const text = fc.string({ unit: "grapheme", maxLength: 120 })

describe("hf_model scorer (local ONNX)", () => {
  test("one score in [0, 1] per completion, named by cid; method and model_config as declared", async () => {
    await withScorer({ batchSize: 4, modelName: "dojo/tiny-rm" }, (s) =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(text, fc.array(text, { minLength: 1, maxLength: 9 }), async (prompt, texts) => {
            expect(s.method).toBe("hf_model")
            expect(s.modelConfig).toEqual({ provider: null, model_name: "dojo/tiny-rm" })
            const out = await Effect.runPromise(s.score(request(prompt, texts)))
            expect(out.ranks.map((r) => r.cid)).toEqual(texts.map((_, i) => `c${i}`))
            for (const r of out.ranks) expect(r.score >= 0 && r.score <= 1).toBe(true)
            expect(out.unscored).toEqual([])
            expect(out.mturkHit).toBeNull()
          }),
          { numRuns: 60 }
        )
      )
    )
  })

  test("scores are sigmoid of the model's logit on [CLS] prompt [SEP] completion [SEP], and rank good above bad", async () => {
    const encode = makeEncoder(trained.tokenizer)
    const layout = specLayout(trained.tokenizer)
    const prompt = "How do I bake bread at home?"
    const scores = await scoresOf({}, prompt, [good, bad])
    ;[good, bad].forEach((c, i) => {
      const ids = assemblePair(layout, encode(prompt), encode(c), MAX_LENGTH).inputIds
      expect(scores[i]!).toBeCloseTo(sigmoid(logit(trained.model, ids)), 5)
    })
    expect(scores[0]!).toBeGreaterThan(scores[1]!)
  })

  test("batched results equal one-by-one results", async () => {
    const pairs = generateSyntheticPreferences({ count: 20, seed: 8 })
    const texts = pairs.flatMap((p) => [p.chosen, p.rejected.repeat(1 + (p.chosen.length % 3))])
    const prompt = pairs[0]!.prompt
    const one = await scoresOf({ batchSize: 1 }, prompt, texts)
    for (const batchSize of [7, 32]) {
      const batched = await scoresOf({ batchSize }, prompt, texts)
      batched.forEach((s, i) => expect(Math.abs(s - one[i]!)).toBeLessThan(1e-6))
    }
  })

  test("a long prompt never cuts the completion: past max length the scores stop changing and still depend on the completion", async () => {
    const base = "How do I bake bread at home? Tell me about the oven, the flour and the yeast."
    const lengths = [3, 6, 12, 40]
    const runs = await Promise.all(lengths.map((n) => scoresOf({}, Array(n).fill(base).join(" "), [good, bad])))
    // 3 copies fit; from 6 on the prompt alone is past max length and gets cut, the completions not
    for (const scores of runs.slice(1)) expect(scores).toEqual(runs[1]!)
    expect(runs[1]![0]!).toBeGreaterThan(runs[1]![1]! + 0.2)

    const ids = makeEncoder(trained.tokenizer)(good)
    const encoded = await Effect.runPromise(
      Effect.scoped(Effect.map(loadHfRewardModel({ model: dir }), (rm) => rm.encode({ prompt: Array(40).fill(base).join(" "), completion: good }))).pipe(
        Effect.provide(BunContext.layer)
      )
    )
    expect(encoded.inputIds.length).toBe(MAX_LENGTH)
    expect(encoded.inputIds.slice(-(ids.length + 1))).toEqual([...ids, SEP_ID])
  })

  test("an image request is refused with ScorerRejected; no completions gives no ranks", async () => {
    const refused = await withScorer({}, (s) => Effect.flip(s.score(request("p", ["x"], "image"))))
    expect(refused._tag).toBe("ScorerRejected")
    expect(await withScorer({}, (s) => Effect.succeed(s.modelConfig))).toEqual({ provider: null, model_name: dir })
    expect(await scoresOf({}, "p", [])).toEqual([])
  })
})

describe("hf_model scorer: bad models fail up front with a typed error", () => {
  test("a missing directory", async () => {
    const missing = join(tempDir(), "no-such-model")
    const e = await loadError({ model: missing })
    expect(e).toMatchObject({ _tag: "HfModelLoadError", reason: "not_found" })
    expect(e.message).toContain(`model directory ${missing} does not exist`)
    const viaLayer = await Effect.runPromise(
      Effect.flatMap(Scorer, (s) => s.score(request("p", ["x"]))).pipe(
        Effect.provide(HfLocal.layer({ model: missing })),
        Effect.flip,
        Effect.provide(BunContext.layer)
      )
    )
    expect(viaLayer._tag).toBe("HfModelLoadError")
  })

  test("a directory that is not a model, or lacks its ONNX file", async () => {
    expect(await loadError({ model: tempDir() })).toMatchObject({ reason: "not_a_model", message: expect.stringContaining("config.json is missing") })
    const noOnnx = writeModelDir({ model: trained.model, tokenizer: trained.tokenizer })
    rmSync(join(noOnnx, "onnx", "model.onnx"))
    expect(await loadError({ model: noOnnx })).toMatchObject({ reason: "not_a_model", message: expect.stringContaining("onnx/model.onnx is missing") })
    expect(await loadError({ model: dir, dtype: "q8" })).toMatchObject({ reason: "not_a_model", message: expect.stringContaining("onnx/model_quantized.onnx") })
  })

  test("a model with more than one label, or a corrupt ONNX file", async () => {
    const twoLabels = writeModelDir({ model: trained.model, tokenizer: trained.tokenizer })
    const configPath = join(twoLabels, "config.json")
    writeFileSync(configPath, JSON.stringify({ ...JSON.parse(readFileSync(configPath, "utf8")), num_labels: 2, id2label: { 0: "a", 1: "b" } }))
    expect(await loadError({ model: twoLabels })).toMatchObject({ reason: "not_a_model", message: expect.stringContaining("2 labels") })
    const corrupt = writeModelDir({ model: trained.model, tokenizer: trained.tokenizer })
    writeFileSync(join(corrupt, "onnx", "model.onnx"), "not a model")
    expect(await loadError({ model: corrupt })).toMatchObject({ reason: "load_failed", message: expect.stringContaining(corrupt) })
  })

  test("ids go to the hub, paths stay local: a missing relative path is reported as a missing directory", async () => {
    expect(isHubModelId("OpenAssistant/reward-model-deberta-v3-large-v2")).toBe(true)
    expect(isHubModelId("gpt2")).toBe(true)
    for (const p of ["/abs/model", "./model", "models/a/b", "../up", "a--b/c"]) expect(isHubModelId(p)).toBe(false)
    expect(await loadError({ model: "./no-such-model-dir" })).toMatchObject({ reason: "not_found" })
  })

  test("bad options", async () => {
    expect(await loadError({ model: dir, batchSize: 0 })).toMatchObject({ reason: "load_failed", message: expect.stringContaining("batch size") })
    expect(await loadError({ model: dir, maxLength: 3 })).toMatchObject({ reason: "load_failed", message: expect.stringContaining("max length 3") })
  })
})
