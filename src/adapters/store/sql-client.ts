/**
 * The SQL connection behind both stores: an SQLite file (the embedded default: WAL, full sync, busy
 * timeout, foreign keys) or a PostgreSQL pool, chosen from `--store.url` / `--store.path`.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-bun"
import { Context, Effect, Layer, Redacted } from "effect"
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { storeError, type StoreError } from "../../services/store-error.ts"

/** Which database to use. */
export type StoreConfig =
  | { readonly _tag: "sqlite"; readonly filename: string }
  | { readonly _tag: "postgres"; readonly url: Redacted.Redacted<string>; readonly maxConnections?: number }

/** An in-process SQLite database that vanishes with the layer (tests, dry runs). */
export const memoryStore: StoreConfig = { _tag: "sqlite", filename: ":memory:" }

/**
 * Reads a store location: `postgres://…` / `postgresql://…` is PostgreSQL; `sqlite:PATH`, `:memory:`
 * or any other text is an SQLite file path.
 */
export const storeConfigFromUrl = (location: Redacted.Redacted<string>): StoreConfig => {
  const text = Redacted.value(location).trim()
  if (/^postgres(ql)?:\/\//i.test(text)) return { _tag: "postgres", url: Redacted.make(text) }
  const path = text.replace(/^sqlite:(\/\/)?/i, "")
  return { _tag: "sqlite", filename: path }
}

/** How long an SQLite writer waits for another process's write lock before failing. */
const busyTimeoutMs = 10_000

const sqlite = (filename: string): Layer.Layer<SqlClient.SqlClient, StoreError> =>
  Layer.scopedContext(
    Effect.gen(function* () {
      if (filename !== ":memory:") {
        yield* Effect.try({
          try: () => mkdirSync(dirname(filename), { recursive: true }),
          catch: (cause) =>
            new SqlError({ cause, message: `Cannot create the store's folder ${dirname(filename)} (pass a writable --neuron.data_dir or --store.path)` })
        })
      }
      const cannotOpen = (cause: unknown) =>
        new SqlError({
          cause,
          message: `Cannot open the SQLite store ${filename}: it must be an SQLite database this user can read and write (restore it from a backup, or pass another --store.path)`
        })
      // bun:sqlite throws from its constructor (bad path, no permission): a failure, not a defect.
      const client = yield* SqliteClient.make({ filename }).pipe(Effect.catchAllDefect((cause) => Effect.fail(cannotOpen(cause))))
      // One connection per process; these settings hold for its lifetime. `synchronous = FULL` makes each
      // commit durable against power loss, not only against a crash of this process.
      yield* client.unsafe(`PRAGMA busy_timeout = ${busyTimeoutMs}`)
      yield* client`PRAGMA foreign_keys = ON`
      yield* client`PRAGMA synchronous = FULL`
      return Context.make(SqlClient.SqlClient, client as SqlClient.SqlClient)
    }).pipe(Effect.mapError((cause) => storeError("open", cause)))
  ).pipe(Layer.provide(Reactivity.layer))

const postgres = (url: Redacted.Redacted<string>, maxConnections: number): Layer.Layer<SqlClient.SqlClient, StoreError> =>
  Layer.scopedContext(
    PgClient.make({ url, maxConnections, applicationName: "dojo" }).pipe(
      Effect.map((client) => Context.make(SqlClient.SqlClient, client as SqlClient.SqlClient)),
      Effect.mapError((cause) => storeError("connect", cause))
    )
  ).pipe(Layer.provide(Reactivity.layer))

/** The `SqlClient` for a store location (the stores run their own migrations on top of it). */
export const SqlLive = (config: StoreConfig): Layer.Layer<SqlClient.SqlClient, StoreError> =>
  config._tag === "sqlite" ? sqlite(config.filename) : postgres(config.url, config.maxConnections ?? 10)
