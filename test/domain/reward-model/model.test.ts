import { describe, expect, setDefaultTimeout, test } from "bun:test"
import fc from "fast-check"
import { accuracyOf, defaultTrainingConfig, encodePreferences, trainRewardModel, type TrainingConfig } from "../../../src/domain/reward-model/training.ts"
import {
  type EncodedPreference,
  initRewardModel,
  initTrainState,
  logit,
  lossGradient,
  pairwiseLoss,
  type RewardModel,
  trainStep
} from "../../../src/domain/reward-model/model.ts"
import { seededRandom } from "../../../src/domain/seeded-random.ts"
import { generateSyntheticPreferences } from "../../../src/domain/data/synthetic-preferences.ts"

// Model training and ONNX sessions take seconds when the shared 2-core machine is busy.
setDefaultTimeout(30_000)

const V = 7
const seq = fc.array(fc.integer({ min: 0, max: V - 1 }), { minLength: 1, maxLength: 8 })
const pairs = fc.array(fc.record({ chosen: seq, rejected: seq }), { minLength: 1, maxLength: 6 })

/** Loss with one parameter nudged (embeddings…, weight…, bias layout). */
const lossWith = (m: RewardModel, index: number, delta: number, batch: ReadonlyArray<EncodedPreference>): number => {
  const e = m.embeddings.slice()
  const w = m.weight.slice()
  let b = m.bias
  if (index < e.length) e[index] = (e[index] as number) + delta
  else if (index < e.length + m.dim) w[index - e.length] = (w[index - e.length] as number) + delta
  else b += delta
  return pairwiseLoss({ ...m, embeddings: e, weight: w, bias: b }, batch)
}

describe("reward model arithmetic", () => {
  test("the analytic gradient matches finite differences", () => {
    fc.assert(
      fc.property(pairs, fc.integer(), (batch, seed) => {
        const m = initRewardModel(V, 3, seededRandom(seed))
        // bigger weights than the init so the tanh is not nearly linear
        const model: RewardModel = { ...m, embeddings: m.embeddings.map((x) => x * 8), bias: 0.25 }
        const { loss, gradient } = lossGradient(model, batch)
        expect(loss).toBeCloseTo(pairwiseLoss(model, batch), 10)
        const eps = 1e-2
        for (let i = 0; i < gradient.length; i++) {
          const numeric = (lossWith(model, i, eps, batch) - lossWith(model, i, -eps, batch)) / (2 * eps)
          expect(Math.abs(numeric - (gradient[i] as number))).toBeLessThan(2e-4 + 1e-2 * Math.abs(numeric))
        }
      }),
      { numRuns: 40 }
    )
  })

  test("masked positions and padding do not change the logit; an all-masked row gives the bias", () => {
    fc.assert(
      fc.property(seq, fc.array(fc.integer({ min: 0, max: V - 1 }), { maxLength: 5 }), fc.integer(), (ids, pad, seed) => {
        const m = initRewardModel(V, 4, seededRandom(seed))
        const mask = [...ids.map(() => 1), ...pad.map(() => 0)]
        expect(logit(m, [...ids, ...pad], mask)).toBeCloseTo(logit(m, ids), 12)
        expect(logit(m, ids, ids.map(() => 0))).toBe(m.bias)
      })
    )
  })

  test("a training step is pure and, repeated, lowers the batch loss", () => {
    fc.assert(
      fc.property(pairs, fc.integer(), (batch, seed) => {
        // a pair whose two sides are the same sequence cannot be learned; skip those batches
        fc.pre(batch.some((p) => p.chosen.join() !== p.rejected.join()))
        const state = initTrainState(initRewardModel(V, 4, seededRandom(seed)))
        const before = state.model.embeddings.slice()
        let s = state
        for (let i = 0; i < 20; i++) s = trainStep(s, batch, { learningRate: 0.05, batchSize: 16, weightDecay: 0 }).state
        expect(state.model.embeddings).toEqual(before)
        expect(state.step).toBe(0)
        expect(pairwiseLoss(s.model, batch)).toBeLessThan(pairwiseLoss(state.model, batch))
      }),
      { numRuns: 30 }
    )
  })
})

describe("training on synthetic preferences (seeded, deterministic)", () => {
  const evalPairs = generateSyntheticPreferences({ count: 600, seed: 4242 })
  const config = (overrides: Partial<TrainingConfig>): TrainingConfig => ({ ...defaultTrainingConfig, dim: 8, ...overrides })
  const evalAccuracy = (n: number, overrides: Partial<TrainingConfig>, dataSeed = 11) => {
    const trained = trainRewardModel(generateSyntheticPreferences({ count: n, seed: dataSeed }), config(overrides))
    return { trained, eval: accuracyOf(trained.model, encodePreferences(trained.tokenizer, evalPairs)).accuracy }
  }

  test("a trained model is clearly better than chance on held-out pairs", () => {
    const { trained, eval: acc } = evalAccuracy(800, { epochs: 4 })
    expect(trained.heldOut.total).toBe(160)
    expect(trained.heldOut.accuracy).toBeGreaterThanOrEqual(0.9)
    expect(acc).toBeGreaterThanOrEqual(0.9)
    expect(trained.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4])
  })

  test("an untrained model and one trained on shuffled labels stay near chance", () => {
    for (const seed of [1, 2, 3]) {
      expect(Math.abs(evalAccuracy(800, { epochs: 0, seed }).eval - 0.5)).toBeLessThan(0.15)
      expect(Math.abs(evalAccuracy(800, { epochs: 4, seed, shuffleLabels: true }).eval - 0.5)).toBeLessThan(0.15)
    }
  })

  test("quality grows with training data: 10 < 40 < 400 pairs", () => {
    const a10 = evalAccuracy(10, { epochs: 3, holdout: 0 }).eval
    const a40 = evalAccuracy(40, { epochs: 3, holdout: 0 }).eval
    const a400 = evalAccuracy(400, { epochs: 3, holdout: 0 }).eval
    expect(a10).toBeLessThan(a40)
    expect(a40).toBeLessThan(a400)
    expect(a400 - a10).toBeGreaterThan(0.2)
  })

  test("the same config and data give the same model; another seed another one", () => {
    const data = generateSyntheticPreferences({ count: 200, seed: 5 })
    const a = trainRewardModel(data, config({ epochs: 2 }))
    const b = trainRewardModel(data, config({ epochs: 2 }))
    const c = trainRewardModel(data, config({ epochs: 2, seed: 2 }))
    expect(a.model.embeddings).toEqual(b.model.embeddings)
    expect(a.heldOut).toEqual(b.heldOut)
    expect(c.model.embeddings).not.toEqual(a.model.embeddings)
  })

  test("a bad config is refused with the field named", () => {
    const data = generateSyntheticPreferences({ count: 10, seed: 5 })
    expect(() => trainRewardModel(data, config({ dim: 0 }))).toThrow("dim")
    expect(() => trainRewardModel(data, config({ holdout: 1 }))).toThrow("holdout")
  })
})
