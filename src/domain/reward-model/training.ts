/**
 * Training a reward model end to end, purely: hold out part of the pairs, build the vocabulary from the
 * rest, encode every pair with the exported tokenizer's own pair template and truncation, run epochs of
 * pairwise training, and measure held-out accuracy (chosen scored strictly above rejected).
 */
import { assemblePair, layoutFromPostProcessor, type PairLayout } from "./pair-encoding.ts"
import type { PreferencePair } from "../data/preference-pair.ts"
import {
  type EncodedPreference,
  initRewardModel,
  initTrainState,
  logit,
  pairwiseCorrect,
  type RewardModel,
  trainEpoch,
  type TrainState
} from "./model.ts"
import { seededRandom, shuffled } from "../seeded-random.ts"
import { buildTokenizerSpec, makeEncoder, type TokenizerSpec, tokenizerJson, vocabularySize } from "./tokenizer-spec.ts"

/** Everything that decides a training run; the same config and pairs give the same model. */
export interface TrainingConfig {
  readonly epochs: number
  /** Embedding size = hidden width: the model's capacity. */
  readonly dim: number
  readonly seed: number
  /** Fraction of the pairs held out for measuring accuracy, in [0, 1). */
  readonly holdout: number
  /** Vocabulary cap (most frequent training words); rarer words become `[UNK]`. */
  readonly maxWords: number
  readonly minCount: number
  /** Model max length in tokens (prompt truncated first). */
  readonly maxLength: number
  readonly learningRate: number
  readonly batchSize: number
  readonly weightDecay: number
  /** Shuffle the training labels (a control: such a model must stay at chance). */
  readonly shuffleLabels: boolean
}

export const defaultTrainingConfig: TrainingConfig = {
  epochs: 8,
  dim: 16,
  seed: 1,
  holdout: 0.2,
  maxWords: 8000,
  minCount: 1,
  maxLength: 256,
  learningRate: 0.05,
  batchSize: 16,
  weightDecay: 0,
  shuffleLabels: false
}

/** Pairs right out of pairs scored. */
export interface Accuracy {
  readonly correct: number
  readonly total: number
  /** correct / total (0 when there is nothing to score). */
  readonly accuracy: number
}

/** Progress after one epoch. */
export interface EpochReport {
  readonly epoch: number
  readonly loss: number
  readonly trainAccuracy: Accuracy
  readonly heldOutAccuracy: Accuracy
}

/** A trained model with its tokenizer and how well it did. */
export interface TrainedRewardModel {
  readonly model: RewardModel
  readonly tokenizer: TokenizerSpec
  readonly config: TrainingConfig
  readonly trainPairs: number
  readonly heldOut: Accuracy
  readonly epochs: ReadonlyArray<EpochReport>
}

/** Splits pairs into (train, held-out) after a seeded shuffle. */
export const splitHoldout = <A>(pairs: ReadonlyArray<A>, fraction: number, seed: number): { train: Array<A>; heldOut: Array<A> } => {
  const order = shuffled(pairs, seededRandom(seed ^ 0x5eed))
  const n = Math.min(order.length, Math.max(0, Math.round(order.length * Math.min(Math.max(fraction, 0), 1))))
  return { heldOut: order.slice(0, n), train: order.slice(n) }
}

/** The pair layout of a tokenizer spec, read from the very `tokenizer.json` that gets exported. */
export const specLayout = (spec: TokenizerSpec): PairLayout => {
  const json = tokenizerJson(spec)
  const layout = layoutFromPostProcessor(json.post_processor, (t) => json.model.vocab[t])
  if (layout === undefined) throw new Error("tokenizer.json has no readable pair template")
  return layout
}

/** Encodes preference pairs to model inputs exactly as the scorer will see them. */
export const encodePreferences = (spec: TokenizerSpec, pairs: ReadonlyArray<PreferencePair>): Array<EncodedPreference> => {
  const encode = makeEncoder(spec)
  const layout = specLayout(spec)
  return pairs.map((p) => {
    const prompt = p.prompt === undefined || p.prompt === null ? null : encode(p.prompt)
    return {
      chosen: assemblePair(layout, prompt, encode(p.chosen), spec.maxLength).inputIds,
      rejected: assemblePair(layout, prompt, encode(p.rejected), spec.maxLength).inputIds
    }
  })
}

/** Accuracy of a model on encoded pairs. */
export const accuracyOf = (model: RewardModel, pairs: ReadonlyArray<EncodedPreference>): Accuracy => {
  const correct = pairwiseCorrect(model, pairs)
  return { correct, total: pairs.length, accuracy: pairs.length === 0 ? 0 : correct / pairs.length }
}

const validate = (c: TrainingConfig): void => {
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer ≥ ${min}, got ${v}`)
  }
  int("epochs", c.epochs, 0)
  int("dim", c.dim, 1)
  int("maxWords", c.maxWords, 0)
  int("minCount", c.minCount, 1)
  int("maxLength", c.maxLength, 4)
  int("batchSize", c.batchSize, 1)
  if (!(c.holdout >= 0 && c.holdout < 1)) throw new RangeError(`holdout must be in [0, 1), got ${c.holdout}`)
  if (!(c.learningRate > 0)) throw new RangeError(`learningRate must be > 0, got ${c.learningRate}`)
}

/**
 * A training run as a generator: yields a report after each epoch and returns the trained model, so a
 * caller can show progress while the computation stays pure.
 */
export function* trainingRun(
  pairs: ReadonlyArray<PreferencePair>,
  config: TrainingConfig = defaultTrainingConfig
): Generator<EpochReport, TrainedRewardModel, void> {
  validate(config)
  const { train, heldOut } = splitHoldout(pairs, config.holdout, config.seed)
  const trainTexts = train.flatMap((p) => [p.prompt ?? "", p.chosen, p.rejected])
  const tokenizer = buildTokenizerSpec(trainTexts, config)
  const random = seededRandom(config.seed)
  let trainSet = encodePreferences(tokenizer, train)
  if (config.shuffleLabels) trainSet = trainSet.map((p) => (random.next() < 0.5 ? p : { chosen: p.rejected, rejected: p.chosen }))
  const heldOutSet = encodePreferences(tokenizer, heldOut)
  let state: TrainState = initTrainState(initRewardModel(vocabularySize(tokenizer), config.dim, random))
  const reports: Array<EpochReport> = []
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const result = trainEpoch(state, trainSet, random, config)
    state = result.state
    const report: EpochReport = {
      epoch,
      loss: result.loss,
      trainAccuracy: accuracyOf(state.model, trainSet),
      heldOutAccuracy: accuracyOf(state.model, heldOutSet)
    }
    reports.push(report)
    yield report
  }
  return {
    model: state.model,
    tokenizer,
    config,
    trainPairs: train.length,
    heldOut: accuracyOf(state.model, heldOutSet),
    epochs: reports
  }
}

/** Trains to the end (see `trainingRun`). */
export const trainRewardModel = (pairs: ReadonlyArray<PreferencePair>, config: TrainingConfig = defaultTrainingConfig): TrainedRewardModel => {
  const run = trainingRun(pairs, config)
  for (;;) {
    const next = run.next()
    if (next.done) return next.value
  }
}

/**
 * The score the exported model gives (prompt, completion), computed in process: sigmoid of the logit of
 * the pair laid out with the tokenizer's own template, as the `hf_model` scorer does with the ONNX file.
 */
export const textScorer = (trained: Pick<TrainedRewardModel, "model" | "tokenizer">): ((prompt: string, text: string) => number) => {
  const encode = makeEncoder(trained.tokenizer)
  const layout = specLayout(trained.tokenizer)
  return (prompt, text) => {
    const ids = assemblePair(layout, encode(prompt), encode(text), trained.tokenizer.maxLength).inputIds
    return 1 / (1 + Math.exp(-logit(trained.model, ids)))
  }
}
