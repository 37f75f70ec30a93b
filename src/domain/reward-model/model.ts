/**
 * A small, real reward model: word embeddings → masked mean → tanh → linear → one logit. Over a bag of
 * words this is a one-hidden-layer network whose width is the embedding size, so `dim` is its capacity.
 * Trained pairwise (Bradley–Terry: loss = −log σ(s_chosen − s_rejected)) with Adam on plain arrays, and
 * expressed as an ONNX graph whose arithmetic is the same as `logit` below.
 */
import { OnnxDataType, type OnnxModel } from "./onnx-proto.ts"
import type { SeededRandom } from "../seeded-random.ts"
import { shuffled } from "../seeded-random.ts"

/** The parameters. `embeddings` is row-major [vocabSize, dim]. Float32, as the ONNX graph stores them. */
export interface RewardModel {
  readonly vocabSize: number
  readonly dim: number
  readonly embeddings: Float32Array
  readonly weight: Float32Array
  readonly bias: number
}

/** Initial model: small random embeddings and head, from the given random source. */
export const initRewardModel = (vocabSize: number, dim: number, random: SeededRandom): RewardModel => {
  if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new RangeError(`vocabSize must be ≥ 1, got ${vocabSize}`)
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be ≥ 1, got ${dim}`)
  const embeddings = new Float32Array(vocabSize * dim)
  for (let i = 0; i < embeddings.length; i++) embeddings[i] = 0.1 * random.normal()
  const weight = new Float32Array(dim)
  for (let i = 0; i < dim; i++) weight[i] = random.normal() / Math.sqrt(dim)
  return { vocabSize, dim, embeddings, weight, bias: 0 }
}

/** Hidden activation tanh(mean of the embeddings of the attended tokens) of one sequence. */
const hidden = (model: RewardModel, ids: ArrayLike<number>, mask?: ArrayLike<number>): Float64Array => {
  const { dim, embeddings, vocabSize } = model
  const sum = new Float64Array(dim)
  let count = 0
  for (let t = 0; t < ids.length; t++) {
    const m = mask === undefined ? 1 : (mask[t] as number)
    if (m === 0) continue
    const id = ids[t] as number
    if (!(id >= 0 && id < vocabSize)) throw new RangeError(`token id ${id} is outside the vocabulary (${vocabSize})`)
    const row = id * dim
    for (let k = 0; k < dim; k++) sum[k] = (sum[k] as number) + m * (embeddings[row + k] as number)
    count += m
  }
  // An all-padding row divides by 1, as the graph's Max(count, 1) does.
  const denom = Math.max(count, 1)
  for (let k = 0; k < dim; k++) sum[k] = Math.tanh((sum[k] as number) / denom)
  return sum
}

/** The logit of one token sequence (attention mask optional: all ones). */
export const logit = (model: RewardModel, ids: ArrayLike<number>, mask?: ArrayLike<number>): number => {
  const h = hidden(model, ids, mask)
  let s = model.bias
  for (let k = 0; k < model.dim; k++) s += (h[k] as number) * (model.weight[k] as number)
  return s
}

/** One preference pair as token sequences (already assembled with the pair template). */
export interface EncodedPreference {
  readonly chosen: ReadonlyArray<number>
  readonly rejected: ReadonlyArray<number>
}

/** Training hyper-parameters. */
export interface TrainOptions {
  readonly learningRate: number
  readonly batchSize: number
  /** L2 penalty on the parameters a batch touches (0 = none). */
  readonly weightDecay: number
}

export const defaultTrainOptions: TrainOptions = { learningRate: 0.05, batchSize: 16, weightDecay: 0 }

/** Model plus Adam state. */
export interface TrainState {
  readonly model: RewardModel
  readonly step: number
  readonly m: Float64Array
  readonly v: Float64Array
}

const paramCount = (model: RewardModel): number => model.embeddings.length + model.dim + 1

/** Fresh optimiser state for a model. */
export const initTrainState = (model: RewardModel): TrainState => ({
  model,
  step: 0,
  m: new Float64Array(paramCount(model)),
  v: new Float64Array(paramCount(model))
})

const cloneState = (s: TrainState): TrainState => ({
  model: { ...s.model, embeddings: s.model.embeddings.slice(), weight: s.model.weight.slice() },
  step: s.step,
  m: s.m.slice(),
  v: s.v.slice()
})

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)))
/** log(1 + e^x) without overflow. */
const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)))

/** Adds d(score)/d(params) · scale for one sequence into `grad` (layout: embeddings, weight, bias). */
const accumulate = (model: RewardModel, ids: ReadonlyArray<number>, h: Float64Array, scale: number, grad: Float64Array): void => {
  const { dim, weight, embeddings } = model
  const wOff = embeddings.length
  for (let k = 0; k < dim; k++) grad[wOff + k] = (grad[wOff + k] as number) + scale * (h[k] as number)
  grad[wOff + dim] = (grad[wOff + dim] as number) + scale
  const n = Math.max(ids.length, 1)
  for (let k = 0; k < dim; k++) {
    const hk = h[k] as number
    const dm = (scale * (weight[k] as number) * (1 - hk * hk)) / n
    if (dm === 0) continue
    for (const id of ids) grad[id * dim + k] = (grad[id * dim + k] as number) + dm
  }
}

/**
 * Mean Bradley–Terry loss of a batch and its gradient, laid out as [embeddings…, weight…, bias]
 * (dL/ds_chosen = −σ(−Δ), dL/ds_rejected = +σ(−Δ), Δ = s_chosen − s_rejected).
 */
export const lossGradient = (
  model: RewardModel,
  batch: ReadonlyArray<EncodedPreference>
): { readonly loss: number; readonly gradient: Float64Array } => {
  const gradient = new Float64Array(paramCount(model))
  let loss = 0
  for (const pair of batch) {
    const hc = hidden(model, pair.chosen)
    const hr = hidden(model, pair.rejected)
    let diff = 0
    for (let k = 0; k < model.dim; k++) diff += ((hc[k] as number) - (hr[k] as number)) * (model.weight[k] as number)
    loss += softplus(-diff)
    const g = sigmoid(-diff) / batch.length
    accumulate(model, pair.chosen, hc, -g, gradient)
    accumulate(model, pair.rejected, hr, g, gradient)
  }
  return { loss: batch.length === 0 ? 0 : loss / batch.length, gradient }
}

/** Applies one Adam step for a batch in place; returns the batch's mean loss. */
const stepInPlace = (s: { -readonly [K in keyof TrainState]: TrainState[K] }, batch: ReadonlyArray<EncodedPreference>, o: TrainOptions): number => {
  if (batch.length === 0) return 0
  const model = s.model
  const { loss, gradient: grad } = lossGradient(model, batch)
  const beta1 = 0.9
  const beta2 = 0.999
  const eps = 1e-8
  s.step += 1
  const c1 = 1 - beta1 ** s.step
  const c2 = 1 - beta2 ** s.step
  const { embeddings, weight } = model
  const wOff = embeddings.length
  let bias = model.bias
  for (let i = 0; i < grad.length; i++) {
    const current = i < wOff ? (embeddings[i] as number) : i < wOff + model.dim ? (weight[i - wOff] as number) : bias
    let g = grad[i] as number
    if (o.weightDecay > 0 && g !== 0) g += o.weightDecay * current
    const m = beta1 * (s.m[i] as number) + (1 - beta1) * g
    const v = beta2 * (s.v[i] as number) + (1 - beta2) * g * g
    s.m[i] = m
    s.v[i] = v
    const next = current - (o.learningRate * (m / c1)) / (Math.sqrt(v / c2) + eps)
    if (i < wOff) embeddings[i] = next
    else if (i < wOff + model.dim) weight[i - wOff] = next
    else bias = next
  }
  s.model = { ...model, bias: Math.fround(bias) }
  return loss
}

/** One optimiser step on one batch (pure: returns a new state). */
export const trainStep = (
  state: TrainState,
  batch: ReadonlyArray<EncodedPreference>,
  options: TrainOptions = defaultTrainOptions
): { readonly state: TrainState; readonly loss: number } => {
  const next = cloneState(state)
  const loss = stepInPlace(next, batch, options)
  return { state: next, loss }
}

/** One pass over the pairs in a random order, in batches (pure: returns a new state and the mean loss). */
export const trainEpoch = (
  state: TrainState,
  pairs: ReadonlyArray<EncodedPreference>,
  random: SeededRandom,
  options: TrainOptions = defaultTrainOptions
): { readonly state: TrainState; readonly loss: number } => {
  const next = cloneState(state)
  const order = shuffled(pairs, random)
  let total = 0
  for (let i = 0; i < order.length; i += options.batchSize) {
    const batch = order.slice(i, i + options.batchSize)
    total += stepInPlace(next, batch, options) * batch.length
  }
  return { state: next, loss: order.length === 0 ? 0 : total / order.length }
}

/** Mean Bradley–Terry loss of a model on pairs. */
export const pairwiseLoss = (model: RewardModel, pairs: ReadonlyArray<EncodedPreference>): number =>
  pairs.length === 0 ? 0 : pairs.reduce((sum, p) => sum + softplus(-(logit(model, p.chosen) - logit(model, p.rejected))), 0) / pairs.length

/** How many pairs the model ranks right: chosen scored strictly above rejected (ties count as wrong). */
export const pairwiseCorrect = (model: RewardModel, pairs: ReadonlyArray<EncodedPreference>): number =>
  pairs.reduce((n, p) => n + (logit(model, p.chosen) > logit(model, p.rejected) ? 1 : 0), 0)

/**
 * The model as an ONNX graph (opset 13): inputs `input_ids`, `attention_mask` (int64 [batch, sequence]),
 * output `logits` (float [batch, 1]).
 */
export const rewardModelOnnx = (model: RewardModel, producerVersion = "1"): OnnxModel => ({
  irVersion: 8,
  opsetVersion: 13,
  producerName: "dojo-reward-model",
  producerVersion,
  graphName: "reward_model",
  initializers: [
    { name: "embeddings.weight", dataType: OnnxDataType.FLOAT, dims: [model.vocabSize, model.dim], values: model.embeddings },
    { name: "classifier.weight", dataType: OnnxDataType.FLOAT, dims: [model.dim, 1], values: model.weight },
    { name: "classifier.bias", dataType: OnnxDataType.FLOAT, dims: [1], values: [model.bias] },
    { name: "axis_sequence", dataType: OnnxDataType.INT64, dims: [1], values: [1n] },
    { name: "axis_last", dataType: OnnxDataType.INT64, dims: [1], values: [2n] },
    { name: "one", dataType: OnnxDataType.FLOAT, dims: [], values: [1] }
  ],
  nodes: [
    { opType: "Gather", name: "embed", inputs: ["embeddings.weight", "input_ids"], outputs: ["token_embeddings"] },
    { opType: "Cast", name: "mask_float", inputs: ["attention_mask"], outputs: ["mask_f"], attributes: [{ name: "to", kind: "int", value: OnnxDataType.FLOAT }] },
    { opType: "Unsqueeze", name: "mask_expand", inputs: ["mask_f", "axis_last"], outputs: ["mask_3d"] },
    { opType: "Mul", name: "mask_apply", inputs: ["token_embeddings", "mask_3d"], outputs: ["masked"] },
    { opType: "ReduceSum", name: "sum_tokens", inputs: ["masked", "axis_sequence"], outputs: ["summed"], attributes: [{ name: "keepdims", kind: "int", value: 0 }] },
    { opType: "ReduceSum", name: "count_tokens", inputs: ["mask_3d", "axis_sequence"], outputs: ["count"], attributes: [{ name: "keepdims", kind: "int", value: 0 }] },
    { opType: "Max", name: "count_at_least_one", inputs: ["count", "one"], outputs: ["count_safe"] },
    { opType: "Div", name: "mean", inputs: ["summed", "count_safe"], outputs: ["pooled"] },
    { opType: "Tanh", name: "activation", inputs: ["pooled"], outputs: ["hidden"] },
    { opType: "MatMul", name: "head", inputs: ["hidden", "classifier.weight"], outputs: ["head_out"] },
    { opType: "Add", name: "head_bias", inputs: ["head_out", "classifier.bias"], outputs: ["logits"] }
  ],
  inputs: [
    { name: "input_ids", dataType: OnnxDataType.INT64, shape: ["batch_size", "sequence_length"] },
    { name: "attention_mask", dataType: OnnxDataType.INT64, shape: ["batch_size", "sequence_length"] }
  ],
  outputs: [{ name: "logits", dataType: OnnxDataType.FLOAT, shape: ["batch_size", 1] }]
})
