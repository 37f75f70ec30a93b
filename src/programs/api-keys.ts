/**
 * `bun run src/programs/api-keys.ts <create|list|revoke>`: the scoring API's keys, in the validator's
 * store. The store is found as the validator finds it, from the same flags: `--store.url` /
 * `--store.path`, else the SQLite file in the validator's data directory (`--neuron.data_dir`, default
 * ~/.bittensor/miners/<--wallet.name>/<--wallet.hotkey>/netuid<--netuid>/validator).
 *
 * - `create --name N [--rate_limit 60]`: makes a key; its last line of output is the key, shown this once
 *   (only its SHA-256 is stored).
 * - `list`: every key with id, name, limit, creation and revocation time (never the key or its hash).
 * - `revoke --id ID`: the key stops working at once (the validator looks keys up on every request).
 */
import { Command, Options } from "@effect/cli"
import { Console, Data, Effect, Logger, Option, Redacted } from "effect"
import { createApiKey, DEFAULT_RATE_LIMIT_PER_MINUTE } from "../adapters/http/api-keys.ts"
import * as ValidatorStoreSql from "../adapters/store/validator-store.ts"
import { ApiKeyStore, type ApiKey } from "../services/api-key-store.ts"
import { dataDirOf, neuronOptions } from "./options/neuron.ts"
import { runCli } from "./options/run-cli.ts"
import { requireExistingStore, resolveStoreConfig, storeOptions } from "./options/store.ts"
import { walletOptions } from "./options/wallet.ts"

/** No active key with that id. */
class NoSuchKey extends Data.TaggedError("NoSuchKey")<{ readonly id: string }> {
  override get message() {
    return `no active API key ${this.id} (see \`list\`)`
  }
}

/** The validator's flags that locate its store (the same ones, so an operator can reuse its command line). */
const location = { store: storeOptions, neuron: neuronOptions, wallet: walletOptions }

/** Where the store is, as parsed. */
type Location = {
  readonly [K in keyof typeof location]: (typeof location)[K] extends Options.Options<infer A> ? A : never
}

/**
 * Runs `effect` against the validator's store; a failure's message (never a secret) is the error line.
 * Only `create` may create the store (keys can be made before the validator's first run).
 */
const withStore = <A, E extends { readonly message: string }>(
  at: Location,
  effect: Effect.Effect<A, E, ApiKeyStore>,
  options: { readonly mayCreate: boolean }
) =>
  Effect.gen(function* () {
    const resolved = yield* resolveStoreConfig(at.store, dataDirOf(at.neuron, at.wallet, "validator"))
    // `list`/`revoke` on a store that does not exist: nothing to show, and nothing is created.
    const config = options.mayCreate ? resolved : yield* requireExistingStore(resolved)
    return yield* Effect.provide(effect, ValidatorStoreSql.layer(config))
  }).pipe(Effect.asVoid)

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString()

/** One line per key. */
export const renderKeys = (keys: ReadonlyArray<ApiKey>): string =>
  keys.length === 0
    ? "(no API keys)"
    : keys
        .map(
          (k) =>
            `${k.id}  ${JSON.stringify(k.name)}  ${k.rateLimitPerMinute}/min  created ${iso(k.createdAt)}  ` +
            (k.revokedAt === undefined ? "active" : `revoked ${iso(k.revokedAt)}`)
        )
        .join("\n")

const positive = (flag: string, max: number) =>
  Options.integer(flag).pipe(Options.filterMap((n) => (n >= 1 && n <= max ? Option.some(n) : Option.none()), `--${flag} must be between 1 and ${max}`))

const createCmd = Command.make(
  "create",
  {
    ...location,
    name: Options.text("name").pipe(
      Options.filterMap((s) => (s.trim() !== "" && s.length <= 100 ? Option.some(s.trim()) : Option.none()), "--name must be 1 to 100 characters"),
      Options.withDescription("who the key is for (shown by `list`)")
    ),
    rateLimit: positive("rate_limit", 100_000).pipe(
      Options.withDefault(DEFAULT_RATE_LIMIT_PER_MINUTE),
      Options.withDescription(`score requests per minute for this key (default ${DEFAULT_RATE_LIMIT_PER_MINUTE})`)
    )
  },
  (a) =>
    withStore(
      a,
      Effect.gen(function* () {
        const { record, key } = yield* createApiKey({ name: a.name, rateLimitPerMinute: a.rateLimit })
        yield* Console.log(`created API key ${record.id} (${JSON.stringify(record.name)}, ${record.rateLimitPerMinute} requests/minute)`)
        yield* Console.log("the key follows; it is shown only this once (the validator keeps only its hash):")
        yield* Console.log(Redacted.value(key))
      }),
      { mayCreate: true }
    )
).pipe(Command.withDescription("create a scoring-API key; the last line printed is the key, shown once"))

const listCmd = Command.make("list", location, (a) =>
  withStore(a, Effect.flatMap(ApiKeyStore, (s) => Effect.flatMap(s.listApiKeys, (keys) => Console.log(renderKeys(keys)))), {
    mayCreate: false
  })
).pipe(Command.withDescription("list every key (id, name, limit, created, revoked)"))

const revokeCmd = Command.make("revoke", { ...location, id: Options.text("id").pipe(Options.withDescription("the key id, e.g. key_0123456789abcdef")) }, (a) =>
  withStore(
    a,
    Effect.gen(function* () {
      const store = yield* ApiKeyStore
      if (!(yield* store.revokeApiKey(a.id))) return yield* new NoSuchKey({ id: a.id })
      yield* Console.log(`revoked ${a.id}`)
    }),
    { mayCreate: false }
  )
).pipe(Command.withDescription("revoke a key; it stops working at once"))

const apiKeys = Command.make("api-keys").pipe(
  Command.withDescription("manage the validator's scoring-API keys"),
  Command.withSubcommands([createCmd, listCmd, revokeCmd])
)

if (import.meta.main)
  runCli(
    "api-keys",
    // Logs go to stderr, so stdout holds only the command's output (and `create`'s last line is the key).
    apiKeys.pipe(Command.transformHandler(Effect.provide(Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger)))))
  )
