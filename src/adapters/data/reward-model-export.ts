/**
 * Writes a reward model as the directory `@huggingface/transformers` loads: `config.json`,
 * `tokenizer.json`, `tokenizer_config.json` and `onnx/model.onnx` (the fp32 file name it looks for).
 */
import { FileSystem, Path } from "@effect/platform"
import { Data, Effect } from "effect"
import { encodeOnnxModel } from "../../domain/reward-model/onnx-proto.ts"
import type { TrainedRewardModel } from "../../domain/reward-model/training.ts"
import { type RewardModel, rewardModelOnnx } from "../../domain/reward-model/model.ts"
import { modelConfigJson, type TokenizerSpec, tokenizerConfigJson, tokenizerJson, vocabularySize } from "../../domain/reward-model/tokenizer-spec.ts"

/** What goes into a model directory. */
export interface ExportableRewardModel {
  readonly model: RewardModel
  readonly tokenizer: TokenizerSpec
  /** Facts recorded under `dojo` in config.json (training settings, held-out accuracy, ...). */
  readonly training?: Readonly<Record<string, unknown>>
}

/** The directory could not be written. */
export class RewardModelExportError extends Data.TaggedError("RewardModelExportError")<{
  readonly dir: string
  readonly message: string
}> {}

/** Where the model file lives inside the directory (transformers.js: subfolder `onnx`, fp32 → no suffix). */
export const ONNX_MODEL_PATH = ["onnx", "model.onnx"] as const

/** The files of a model directory, as relative path → bytes. */
export const rewardModelFiles = (m: ExportableRewardModel): ReadonlyArray<readonly [ReadonlyArray<string>, Uint8Array]> => {
  if (m.model.vocabSize !== vocabularySize(m.tokenizer))
    throw new RangeError(`model embeds ${m.model.vocabSize} ids but the tokenizer has ${vocabularySize(m.tokenizer)}`)
  const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value, null, 2) + "\n")
  return [
    [["config.json"], json(modelConfigJson(m.tokenizer, { hiddenSize: m.model.dim, vocabSize: m.model.vocabSize, training: m.training ?? {} }))],
    [["tokenizer.json"], json(tokenizerJson(m.tokenizer))],
    [["tokenizer_config.json"], json(tokenizerConfigJson(m.tokenizer))],
    [ONNX_MODEL_PATH, encodeOnnxModel(rewardModelOnnx(m.model))]
  ]
}

/** The training facts worth recording in config.json. */
export const trainingFacts = (t: TrainedRewardModel): Record<string, unknown> => ({
  epochs: t.config.epochs,
  embedding_dim: t.config.dim,
  seed: t.config.seed,
  train_pairs: t.trainPairs,
  held_out_pairs: t.heldOut.total,
  held_out_accuracy: t.heldOut.accuracy,
  shuffled_labels: t.config.shuffleLabels
})

/** Writes the model directory (created if missing; existing files are replaced). */
export const exportRewardModel = Effect.fn("exportRewardModel")(function* (dir: string, m: ExportableRewardModel) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const files = yield* Effect.try({
    try: () => rewardModelFiles(m),
    catch: (e) => new RewardModelExportError({ dir, message: e instanceof Error ? e.message : String(e) })
  })
  const fail = (e: { readonly message: string }) => new RewardModelExportError({ dir, message: e.message })
  yield* fs.makeDirectory(path.join(dir, "onnx"), { recursive: true }).pipe(Effect.mapError(fail))
  for (const [parts, bytes] of files) yield* fs.writeFile(path.join(dir, ...parts), bytes).pipe(Effect.mapError(fail))
  yield* Effect.logDebug(`reward model written to ${dir}`)
})
