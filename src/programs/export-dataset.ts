/**
 * `bun run src/programs/export-dataset.ts --out DIR [--store.url URL | --store.path FILE] [--since 7d]
 * [--format jsonl,parquet] [--kinds seed] [--hf.repo org/name [--hf.hub_url URL] [--hf.private]]` —
 * exports the validator's scored requests as an open preference dataset: `data/train.jsonl`,
 * `data/train.parquet`, `pairs.jsonl` (the reward-model command's format) and the card `README.md`,
 * then, with `--hf.repo` and `HF_TOKEN`, uploads them to a Hugging Face dataset repo.
 */
import { Command, Options } from "@effect/cli"
import { Config, Console, Data, Effect, Either, Layer, Option } from "effect"
import { DatasetSinkFs } from "../adapters/data/dataset-writers.ts"
import { uploadDatasetToHub } from "../adapters/data/hf-hub-upload.ts"
import * as ValidatorStoreSql from "../adapters/store/validator-store.ts"
import { parseSince } from "../domain/since.ts"
import { nowSeconds } from "../pipeline/clock.ts"
import { exportDataset } from "../pipeline/dataset-export.ts"
import type { RequestKind } from "../services/request-ledger.ts"
import { dataDirOf, neuronOptions } from "./options/neuron.ts"
import { runCli } from "./options/run-cli.ts"
import { requireExistingStore, resolveStoreConfig, storeOptions } from "./options/store.ts"
import { walletOptions } from "./options/wallet.ts"

class ExportUsageError extends Data.TaggedError("ExportUsageError")<{ readonly message: string }> {}

const FORMATS = ["jsonl", "parquet"] as const
const KINDS: ReadonlyArray<RequestKind> = ["seed", "api", "evaluation"]

/** Parses a comma-separated list against the allowed words. */
const listOf = <A extends string>(flag: string, allowed: ReadonlyArray<A>, text: string): Either.Either<ReadonlyArray<A>, string> => {
  const items = text.split(",").map((s) => s.trim()).filter((s) => s !== "")
  const bad = items.find((s) => !allowed.includes(s as A))
  if (bad !== undefined || items.length === 0)
    return Either.left(`--${flag} ${JSON.stringify(text)}: give a comma-separated list of ${allowed.join(", ")}`)
  return Either.right([...new Set(items as Array<A>)])
}

const options = {
  out: Options.directory("out").pipe(Options.withDescription("dataset folder to write (created if missing; files replaced)")),
  store: storeOptions,
  wallet: walletOptions,
  neuron: neuronOptions,
  since: Options.text("since").pipe(
    Options.withDescription("only requests created since: unix seconds, an ISO date/time, or an age (24h, 7d)"),
    Options.optional
  ),
  format: Options.text("format").pipe(Options.withDescription("files to write: jsonl, parquet or both"), Options.withDefault("jsonl,parquet")),
  kinds: Options.text("kinds").pipe(
    Options.withDescription(
      "request kinds to export: seed, api, evaluation (default seed: hidden evaluation pairs must stay hidden, API requests belong to their senders)"
    ),
    Options.withDefault("seed")
  ),
  license: Options.text("license").pipe(Options.withDescription("license id for the card"), Options.withDefault("other")),
  name: Options.text("name").pipe(Options.withDescription("the dataset's display name"), Options.withDefault("Dojo consensus preferences")),
  hfRepo: Options.text("hf.repo").pipe(
    Options.withDescription("upload to this Hugging Face dataset repo (org/name); needs HF_TOKEN"),
    Options.optional
  ),
  hfHubUrl: Options.text("hf.hub_url").pipe(
    Options.withDescription("the hub's address (env HF_ENDPOINT, default https://huggingface.co)"),
    Options.withFallbackConfig(Config.string("HF_ENDPOINT")),
    Options.withDefault("https://huggingface.co")
  ),
  hfPrivate: Options.boolean("hf.private").pipe(Options.withDescription("create the repo private (if it does not exist)"))
}

const kib = (bytes: number) => (bytes < 1024 ? `${bytes} B` : bytes < 1 << 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`)

const usage = (message: string) => new ExportUsageError({ message })

const command = Command.make("export-dataset", options, (o) =>
  Effect.gen(function* () {
    const formats = yield* Either.mapLeft(listOf("format", FORMATS, o.format), usage)
    const kinds = yield* Either.mapLeft(listOf("kinds", KINDS, o.kinds), usage)
    const now = yield* nowSeconds
    const since = Option.isSome(o.since) ? yield* Either.mapLeft(parseSince(o.since.value, now), usage) : undefined
    if (Option.isSome(o.hfRepo) && !/^[\w.-]+\/[\w.-]+$/.test(o.hfRepo.value))
      return yield* usage(`--hf.repo ${JSON.stringify(o.hfRepo.value)}: give org/name`)
    const token = yield* Config.option(Config.redacted("HF_TOKEN"))
    if (Option.isSome(o.hfRepo) && Option.isNone(token)) return yield* usage("--hf.repo needs a write token in HF_TOKEN")
    const store = yield* resolveStoreConfig(o.store, dataDirOf(o.neuron, o.wallet, "validator")).pipe(
      Effect.mapError((e) => usage(e.message)),
      // Exporting reads the store: a missing one is a wrong path, not an empty dataset (nothing is created).
      Effect.flatMap(requireExistingStore)
    )

    const summary = yield* exportDataset({
      since,
      kinds,
      formats: { jsonl: formats.includes("jsonl"), parquet: formats.includes("parquet") },
      license: o.license,
      prettyName: o.name,
      netuid: o.neuron.netuid,
      onProgress: (done, total) => Console.error(`read ${done}/${total} scored requests`)
    }).pipe(Effect.provide(Layer.merge(ValidatorStoreSql.layer(store), DatasetSinkFs(o.out))))

    const s = summary.skipped
    yield* Console.log(
      `scanned ${summary.scanned} requests: exported ${summary.rows.length} rows (${summary.completions} completions, ${summary.pairs} pairs); ` +
        `skipped ${s.pending} pending, ${s.kind} of other kinds, ${s.beforeSince} before --since, ` +
        `${s.fewerThanTwoScored} with fewer than two scored completions, ${s.allTied} all tied`
    )
    for (const f of summary.files) yield* Console.log(`wrote ${f.path} (${kib(f.bytes)})`)
    if (Option.isSome(o.hfRepo) && Option.isSome(token)) {
      const uploaded = yield* uploadDatasetToHub(
        o.out,
        summary.files.map((f) => f.path),
        { repo: o.hfRepo.value, token: token.value, hubUrl: o.hfHubUrl, private: o.hfPrivate }
      )
      yield* Console.log(`uploaded to ${uploaded.repoUrl}${uploaded.created ? " (created)" : ""}${uploaded.commitOid ? ` commit ${uploaded.commitOid}` : ""}`)
    }
  })
)

if (import.meta.main) runCli("export-dataset", command)
