/**
 * The `hf_model` scorer, local: an ONNX sequence-classification reward model run by
 * `@huggingface/transformers` (onnxruntime-node). Score = sigmoid(logit) of (prompt, completion) laid out
 * with the tokenizer's own pair template, in batches.
 *
 * Inputs are built by hand: transformers.js truncates the assembled `[CLS] p [SEP] c [SEP]` from the end,
 * which drops the completion behind a long prompt, and its text-classification pipeline softmaxes a
 * one-logit model to 1.0. So both texts are encoded without special tokens, the prompt is shortened first,
 * and `input_ids` / `attention_mask` / `token_type_ids` are assembled as int64 tensors here.
 */
import { FileSystem, Path } from "@effect/platform"
import { AutoModelForSequenceClassification, AutoTokenizer, env, type PreTrainedModel, type PreTrainedTokenizer, Tensor } from "@huggingface/transformers"
import { Data, Effect, Layer } from "effect"
import { assemblePair, bertLayout, type EncodedInput, layoutFromPostProcessor, type PairLayout, specialCount, type TruncationSide } from "../../domain/reward-model/pair-encoding.ts"
import type { ModelConfig, RankingRequest, Rank } from "../../domain/wire/protocol.ts"
import { Scorer, ScorerRejected, ScorerUnavailable } from "../../services/scorer.ts"

/** Model file suffix per dtype, as transformers.js names them under `onnx/`. */
const DTYPE_SUFFIX = { fp32: "", fp16: "_fp16", q8: "_quantized", int8: "_int8", uint8: "_uint8", q4: "_q4" } as const
export type HfModelDtype = keyof typeof DTYPE_SUFFIX

/** Settings of the local reward-model scorer. */
export interface HfLocalScorerOptions {
  /** A local model directory, or a Hugging Face model id (`owner/name`, downloaded when online). */
  readonly model: string
  /** Pairs per forward pass (default 16). */
  readonly batchSize?: number
  /** Max tokens per input (default: the tokenizer's `model_max_length`, at most 512). */
  readonly maxLength?: number
  /** Which ONNX file to run (default fp32: `onnx/model.onnx`). */
  readonly dtype?: HfModelDtype
  /** Name reported in `model_config.model_name` (default: the hub id, or the directory as an absolute path). */
  readonly modelName?: string
  /** Where hub downloads are cached (default: transformers.js's own cache). */
  readonly cacheDir?: string
}

/** The model could not be loaded: missing directory, not a model directory, or a load/download failure. */
export class HfModelLoadError extends Data.TaggedError("HfModelLoadError")<{
  readonly model: string
  readonly reason: "not_found" | "not_a_model" | "load_failed"
  readonly message: string
}> {}

/** One input: a prompt (or `null` to score the completion alone) and the completion. */
export interface ScoringPair {
  readonly prompt: string | null
  readonly completion: string
}

/** A loaded reward model. */
export interface HfRewardModel {
  /** Absolute directory, or the hub id. */
  readonly source: string
  readonly maxLength: number
  readonly batchSize: number
  /** The model input for one pair (exposed so callers and tests can see the truncation). */
  readonly encode: (pair: ScoringPair) => EncodedInput
  /** Raw logits, one per pair, in order. */
  readonly logits: (pairs: ReadonlyArray<ScoringPair>) => Effect.Effect<ReadonlyArray<number>, ScorerUnavailable>
}

const DEFAULT_BATCH = 16
const DEFAULT_MAX_LENGTH = 512
const HUB_ID = /^(\b[\w\-.]+\b\/)?\b[\w\-.]{1,96}\b$/

/** Whether a string can be a Hugging Face model id (the rule transformers.js applies). */
export const isHubModelId = (s: string): boolean =>
  HUB_ID.test(s) && !s.includes("..") && !s.includes("--") && !s.endsWith(".git")

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** Checks a local directory holds the files transformers.js needs, so a mistake reads clearly. */
const checkDirectory = Effect.fn("checkModelDirectory")(function* (model: string, dir: string, dtype: HfModelDtype) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const info = yield* fs.stat(dir).pipe(Effect.orElseSucceed(() => null))
  if (info === null) return yield* new HfModelLoadError({ model, reason: "not_found", message: `model directory ${dir} does not exist` })
  if (info.type !== "Directory")
    return yield* new HfModelLoadError({ model, reason: "not_a_model", message: `${dir} is not a directory` })
  const required = ["config.json", "tokenizer.json", "tokenizer_config.json", path.join("onnx", `model${DTYPE_SUFFIX[dtype]}.onnx`)]
  for (const file of required) {
    const present = yield* fs.exists(path.join(dir, file)).pipe(Effect.orElseSucceed(() => false))
    if (!present)
      return yield* new HfModelLoadError({ model, reason: "not_a_model", message: `${dir} is not a reward model directory: ${file} is missing` })
  }
})

const pairLayoutOf = (tokenizer: PreTrainedTokenizer): PairLayout => {
  const idOf = (token: unknown): number | undefined => {
    if (typeof token !== "string") return undefined
    const id = tokenizer.convert_tokens_to_ids(token)
    return typeof id === "number" ? id : undefined
  }
  const fromJson = layoutFromPostProcessor((tokenizer._tokenizerJSON as { post_processor?: unknown } | undefined)?.post_processor, idOf)
  if (fromJson) return fromJson
  const config = tokenizer.config as Record<string, unknown>
  return bertLayout(idOf(config.cls_token), idOf(config.sep_token))
}

const toInt64 = (rows: ReadonlyArray<ReadonlyArray<number>>, width: number, pad: number, left: boolean): Tensor => {
  const data = new BigInt64Array(rows.length * width)
  rows.forEach((row, r) => {
    const offset = r * width + (left ? width - row.length : 0)
    for (let i = 0; i < width; i++) data[r * width + i] = BigInt(pad)
    row.forEach((v, i) => (data[offset + i] = BigInt(v)))
  })
  return new Tensor("int64", data, [rows.length, width])
}

/** Loads a reward model (local directory or hub id) and returns its batched, hand-truncating runner. */
export const loadHfRewardModel = Effect.fn("loadHfRewardModel")(function* (options: HfLocalScorerOptions) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const dtype = options.dtype ?? "fp32"
  const batchSize = options.batchSize ?? DEFAULT_BATCH
  if (!Number.isInteger(batchSize) || batchSize < 1)
    return yield* new HfModelLoadError({ model: options.model, reason: "load_failed", message: `batch size must be ≥ 1, got ${batchSize}` })
  const absolute = path.resolve(options.model)
  const onDisk = yield* fs.exists(absolute).pipe(Effect.orElseSucceed(() => false))
  const local = onDisk || !isHubModelId(options.model) || options.model.startsWith(".")
  if (local) yield* checkDirectory(options.model, absolute, dtype)
  const source = local ? absolute : options.model

  const loaded = yield* Effect.tryPromise({
    try: async () => {
      // A local path must never fall back to the hub; an id may download (when online).
      env.allowRemoteModels = !local
      const common = { local_files_only: local, ...(options.cacheDir ? { cache_dir: options.cacheDir } : {}) }
      const tokenizer = await AutoTokenizer.from_pretrained(source, common)
      const model = await AutoModelForSequenceClassification.from_pretrained(source, { ...common, dtype })
      return { tokenizer, model }
    },
    catch: (e) =>
      new HfModelLoadError({
        model: options.model,
        reason: "load_failed",
        message: local ? `could not load the model in ${source}: ${message(e)}` : `could not load ${source} from the Hugging Face hub (there is no local directory ${absolute} either): ${message(e)}`
      })
  })
  const { tokenizer, model } = loaded as { tokenizer: PreTrainedTokenizer; model: PreTrainedModel }
  const config = model.config as unknown as Record<string, unknown>
  const labels = typeof config.num_labels === "number" ? config.num_labels : Object.keys((config.id2label as object | undefined) ?? { 0: "" }).length
  if (labels !== 1) {
    yield* Effect.promise(() => model.dispose())
    return yield* new HfModelLoadError({ model: options.model, reason: "not_a_model", message: `${source} has ${labels} labels; a reward model has one logit` })
  }

  const layout = pairLayoutOf(tokenizer)
  const tokenizerMax = Number(tokenizer.model_max_length)
  const maxLength = options.maxLength ?? Math.min(Number.isFinite(tokenizerMax) && tokenizerMax > 0 ? tokenizerMax : DEFAULT_MAX_LENGTH, DEFAULT_MAX_LENGTH)
  if (!Number.isInteger(maxLength) || maxLength <= specialCount(layout.pair)) {
    yield* Effect.promise(() => model.dispose())
    return yield* new HfModelLoadError({ model: options.model, reason: "load_failed", message: `max length ${maxLength} leaves no room for text` })
  }
  const side: TruncationSide = (tokenizer.config as { truncation_side?: string }).truncation_side === "left" ? "left" : "right"
  const padLeft = tokenizer.padding_side === "left"
  const padId = tokenizer.pad_token_id ?? 0
  const ids = (text: string): Array<number> => tokenizer.encode(text, { add_special_tokens: false })
  const encode = (pair: ScoringPair): EncodedInput =>
    assemblePair(layout, pair.prompt === null ? null : ids(pair.prompt), ids(pair.completion), maxLength, side)

  const forward = (batch: ReadonlyArray<ScoringPair>) =>
    Effect.tryPromise({
      try: async () => {
        const inputs = batch.map(encode)
        const width = Math.max(1, ...inputs.map((x) => x.inputIds.length))
        const feeds = {
          input_ids: toInt64(inputs.map((x) => x.inputIds), width, padId, padLeft),
          attention_mask: toInt64(inputs.map((x) => x.inputIds.map(() => 1)), width, 0, padLeft),
          token_type_ids: toInt64(inputs.map((x) => x.tokenTypeIds), width, 0, padLeft)
        }
        const out = (await model(feeds)) as { logits: Tensor }
        const dims = out.logits.dims
        if (dims.length !== 2 || dims[0] !== batch.length || dims[1] !== 1) throw new Error(`unexpected logits shape [${dims.join(", ")}]`)
        return Array.from(out.logits.data as Float32Array, Number)
      },
      catch: (e) => new ScorerUnavailable({ method: "hf_model", message: `reward model ${source} failed: ${message(e)}` })
    })

  // One forward pass at a time: the ONNX session is shared.
  const lock = yield* Effect.makeSemaphore(1)
  const logits = (pairs: ReadonlyArray<ScoringPair>) =>
    Effect.gen(function* () {
      const out: Array<number> = []
      for (let i = 0; i < pairs.length; i += batchSize) out.push(...(yield* lock.withPermits(1)(forward(pairs.slice(i, i + batchSize)))))
      return out as ReadonlyArray<number>
    })

  yield* Effect.addFinalizer(() => Effect.promise(() => model.dispose()).pipe(Effect.ignore))
  const runner: HfRewardModel = { source, maxLength, batchSize, encode, logits }
  return runner
})

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)))

/** Scores a request's completions with a loaded model: sigmoid(logit) in [0, 1]; non-finite → unscored. */
export const scoreWithModel = (rm: HfRewardModel, request: RankingRequest) =>
  Effect.gen(function* () {
    if (request.modality !== "text")
      return yield* new ScorerRejected({ method: "hf_model", message: `hf_model scores text; this request is ${request.modality}` })
    const logits = yield* rm.logits(request.completions.map((c) => ({ prompt: request.prompt, completion: c.text })))
    const ranks: Array<Rank> = []
    const unscored: Array<string> = []
    request.completions.forEach((c, i) => {
      const score = sigmoid(logits[i] ?? Number.NaN)
      if (Number.isFinite(score)) ranks.push({ cid: c.cid, score })
      else unscored.push(c.cid)
    })
    return { ranks, unscored, mturkHit: null }
  })

/** The `Scorer` layer for `--scoring_method hf_model` with a local (or downloaded) ONNX model. */
export const layer = (options: HfLocalScorerOptions) =>
  Layer.scoped(
    Scorer,
    Effect.gen(function* () {
      const rm = yield* loadHfRewardModel(options)
      const modelConfig: ModelConfig = { provider: null, model_name: options.modelName ?? rm.source }
      yield* Effect.logInfo(`hf_model scorer ready: ${rm.source} (max length ${rm.maxLength}, batch ${rm.batchSize})`)
      return Scorer.of({ method: "hf_model", modelConfig, score: (request) => scoreWithModel(rm, request) })
    })
  )
