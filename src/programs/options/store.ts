/**
 * `--store.url` / `--store.path`: where a neuron keeps its durable state. By default an SQLite file
 * under the neuron's data directory; `--store.url postgres://…` selects PostgreSQL (the URL may hold a
 * password, so it is read as a secret and may come from DOJO_STORE_URL instead of the command line).
 */
import { Options } from "@effect/cli"
import { Config, Data, Effect, Option, type Redacted } from "effect"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { type StoreConfig, storeConfigFromUrl } from "../../adapters/store/sql-client.ts"
import type { WalletConfig } from "../../services/wallet.ts"
import { dataDirOf, type NeuronFlags } from "./neuron.ts"
import { UsageError } from "./usage-error.ts"

/** The store flags as given. */
export interface StoreFlags {
  readonly url: Option.Option<Redacted.Redacted<string>>
  readonly path: Option.Option<string>
}

/** The `--store.url` (env DOJO_STORE_URL) and `--store.path` flags. */
export const storeOptions: Options.Options<StoreFlags> = Options.all({
  url: Options.redacted("store.url").pipe(
    Options.withDescription(
      "Where the store lives: postgres://user:password@host:5432/db for PostgreSQL, or an SQLite file path " +
        "(optionally sqlite:PATH). Also read from DOJO_STORE_URL. Default: an SQLite file in the neuron's data directory."
    ),
    Options.withFallbackConfig(Config.redacted("DOJO_STORE_URL")),
    Options.optional
  ),
  path: Options.text("store.path").pipe(
    Options.withDescription("SQLite file of the store (instead of the default <data dir>/dojo.sqlite)."),
    Options.optional
  )
})

/** The store file a neuron uses when no flag says otherwise. */
export const defaultStoreFile = (dataDir: string): string => join(dataDir, "dojo.sqlite")

/** Chooses the database: `--store.url`, else `--store.path`, else the default file under `dataDir`. */
export const resolveStoreConfig = (
  flags: StoreFlags,
  dataDir: string
): Effect.Effect<StoreConfig, UsageError> => {
  if (Option.isSome(flags.url) && Option.isSome(flags.path))
    return Effect.fail(new UsageError({ message: "give either --store.url or --store.path, not both" }))
  if (Option.isSome(flags.url)) return Effect.succeed(storeConfigFromUrl(flags.url.value))
  return Effect.succeed({ _tag: "sqlite", filename: Option.getOrElse(flags.path, () => defaultStoreFile(dataDir)) })
}

/** An SQLite store that does not exist (yet), for tools that only read or edit one: nothing is created. */
export class StoreMissing extends Data.TaggedError("StoreMissing")<{ readonly filename: string }> {
  override get message() {
    return `no store at ${this.filename}: the validator creates it on its first run; check --netuid, --wallet.name, --wallet.hotkey and --neuron.data_dir, or pass --store.path/--store.url`
  }
}

/** Fails with StoreMissing when `config` names an SQLite file that is not there (PostgreSQL and :memory: pass). */
export const requireExistingStore = (config: StoreConfig): Effect.Effect<StoreConfig, StoreMissing> =>
  config._tag === "sqlite" && config.filename !== ":memory:" && !existsSync(config.filename)
    ? Effect.fail(new StoreMissing({ filename: config.filename }))
    : Effect.succeed(config)

/**
 * The validator's store as the tools beside it (api-keys, export-dataset) find it, from the validator's
 * own flags; unless `mayCreate`, a missing SQLite file is StoreMissing (nothing is created).
 */
export const validatorStoreConfig = (
  at: { readonly store: StoreFlags; readonly neuron: NeuronFlags; readonly wallet: WalletConfig },
  options: { readonly mayCreate: boolean }
): Effect.Effect<StoreConfig, UsageError | StoreMissing> =>
  resolveStoreConfig(at.store, dataDirOf(at.neuron, at.wallet, "validator")).pipe(
    Effect.flatMap((config) => (options.mayCreate ? Effect.succeed(config) : requireExistingStore(config)))
  )
