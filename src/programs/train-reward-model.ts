/**
 * `bun run src/programs/train-reward-model.ts --data pairs.jsonl|--synthetic N --out DIR [...]`:
 * trains a small reward model on preference pairs, writes an ONNX model directory the `hf_model` scorer
 * loads, and prints held-out accuracy as its last line, e.g. `held-out accuracy: 0.870 (174/200)`.
 */
import { Command, Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Clock, Console, Effect, Either, Option } from "effect"
import { exportRewardModel, trainingFacts } from "../adapters/data/reward-model-export.ts"
import { parsePreferenceJsonl, type PreferencePair } from "../domain/data/preference-pair.ts"
import { defaultTrainingConfig, type TrainedRewardModel, type TrainingConfig, trainingRun } from "../domain/reward-model/training.ts"
import { generateSyntheticPreferences } from "../domain/data/synthetic-preferences.ts"
import { exactlyOne } from "./options/checked-flags.ts"
import { runCli } from "./options/run-cli.ts"
import { UsageError } from "./options/usage-error.ts"

const d = defaultTrainingConfig
const options = {
  data: Options.file("data", { exists: "yes" }).pipe(
    Options.withDescription('JSONL preference pairs, one {"prompt"?, "chosen", "rejected"} per line'),
    Options.optional
  ),
  synthetic: Options.integer("synthetic").pipe(
    Options.withDescription("generate N synthetic pairs with known answers instead of reading --data"),
    Options.optional
  ),
  noise: Options.float("noise").pipe(Options.withDescription("label noise of --synthetic pairs, in [0, 1]"), Options.withDefault(0)),
  out: Options.directory("out").pipe(Options.withDescription("model directory to write (created if missing)")),
  epochs: Options.integer("epochs").pipe(Options.withDefault(d.epochs)),
  dim: Options.integer("dim").pipe(Options.withDescription("embedding size = hidden width (capacity)"), Options.withDefault(d.dim)),
  seed: Options.integer("seed").pipe(Options.withDefault(d.seed)),
  holdout: Options.float("holdout").pipe(Options.withDescription("fraction of pairs held out for accuracy"), Options.withDefault(d.holdout)),
  maxWords: Options.integer("max-words").pipe(Options.withDescription("vocabulary cap"), Options.withDefault(d.maxWords)),
  maxLength: Options.integer("max-length").pipe(Options.withDescription("max tokens per input"), Options.withDefault(d.maxLength)),
  learningRate: Options.float("lr").pipe(Options.withDefault(d.learningRate)),
  batchSize: Options.integer("batch-size").pipe(Options.withDefault(d.batchSize)),
  shuffleLabels: Options.boolean("shuffle-labels").pipe(
    Options.withDescription("train on randomly swapped labels (a control model that must stay at chance)")
  )
}

const readPairs = (data: Option.Option<string>, synthetic: Option.Option<number>, noise: number, seed: number) =>
  Effect.gen(function* () {
    const source = yield* exactlyOne(["--data FILE", data], ["--synthetic N", synthetic])
    if (Either.isRight(source)) {
      if (source.right < 2) return yield* new UsageError({ message: "--synthetic needs at least 2 pairs" })
      return generateSyntheticPreferences({ count: source.right, seed, noise }) as ReadonlyArray<PreferencePair>
    }
    const fs = yield* FileSystem.FileSystem
    const path = source.left
    const text = yield* fs.readFileString(path)
    const parsed = parsePreferenceJsonl(text)
    if (Either.isLeft(parsed)) return yield* new UsageError({ message: `${path}:${parsed.left.line}: ${parsed.left.message}` })
    if (parsed.right.length < 2) return yield* new UsageError({ message: `${path} holds ${parsed.right.length} pairs; need at least 2` })
    return parsed.right as ReadonlyArray<PreferencePair>
  })

const pct = (x: number) => x.toFixed(3)

const train = (pairs: ReadonlyArray<PreferencePair>, config: TrainingConfig) =>
  Effect.gen(function* () {
    const run = yield* Effect.try({ try: () => trainingRun(pairs, config), catch: (e) => new UsageError({ message: String(e) }) })
    for (;;) {
      const next = yield* Effect.try({ try: () => run.next(), catch: (e) => new UsageError({ message: e instanceof Error ? e.message : String(e) }) })
      if (next.done) return next.value as TrainedRewardModel
      const r = next.value
      yield* Console.log(
        `epoch ${r.epoch}/${config.epochs}  loss ${r.loss.toFixed(4)}  train accuracy ${pct(r.trainAccuracy.accuracy)}  held-out accuracy ${pct(r.heldOutAccuracy.accuracy)}`
      )
    }
  })

const command = Command.make("train-reward-model", options, (o) =>
  Effect.gen(function* () {
    const pairs = yield* readPairs(o.data, o.synthetic, o.noise, o.seed)
    const config: TrainingConfig = {
      ...defaultTrainingConfig,
      epochs: o.epochs,
      dim: o.dim,
      seed: o.seed,
      holdout: o.holdout,
      maxWords: o.maxWords,
      maxLength: o.maxLength,
      learningRate: o.learningRate,
      batchSize: o.batchSize,
      shuffleLabels: o.shuffleLabels
    }
    const started = yield* Clock.currentTimeMillis
    const trained = yield* train(pairs, config)
    yield* Console.log(
      `trained on ${trained.trainPairs} pairs (vocabulary ${trained.tokenizer.words.length} words, dim ${config.dim}) in ${(yield* Clock.currentTimeMillis) - started} ms`
    )
    yield* exportRewardModel(o.out, { model: trained.model, tokenizer: trained.tokenizer, training: trainingFacts(trained) })
    yield* Console.log(`model written to ${o.out}`)
    const h = trained.heldOut
    yield* Console.log(`held-out accuracy: ${h.total === 0 ? "n/a" : pct(h.accuracy)} (${h.correct}/${h.total})`)
  })
).pipe(Command.withDescription("Train a small reward model on preference pairs and write the ONNX directory the hf_model scorer loads."))

if (import.meta.main) runCli("train-reward-model", command)
