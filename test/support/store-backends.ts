/**
 * The databases the store suites run against — an SQLite file and a real PostgreSQL (see postgres.ts) —
 * each giving a fresh empty database per test, plus a way to make the database itself fail half-way
 * through a transaction (a trigger that raises), to prove all-or-nothing commits.
 */
import { SqlClient } from "@effect/sql"
import { Effect, type Layer, ManagedRuntime, Redacted } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqlLive, type StoreConfig } from "../../src/adapters/store/sql-client.ts"
import { startPostgres, type TestPostgres } from "./postgres.ts"

/** One database engine for the store suites. */
export interface StoreBackend {
  readonly name: string
  readonly setup: () => Promise<void>
  readonly teardown: () => Promise<void>
  /** A fresh, empty database for one test. */
  readonly fresh: () => Promise<StoreConfig>
}

const sqliteFile = (): StoreBackend => {
  let dir = ""
  let n = 0
  return {
    name: "sqlite file",
    setup: async () => {
      dir = mkdtempSync(join(tmpdir(), "dojo-store-"))
    },
    teardown: async () => rmSync(dir, { recursive: true, force: true }),
    fresh: async () => ({ _tag: "sqlite", filename: join(dir, `store-${++n}.sqlite`) })
  }
}

const postgres = (): StoreBackend => {
  let server: TestPostgres | undefined
  let admin: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown> | undefined
  let config: StoreConfig | undefined
  return {
    get name() {
      return `postgres (${server?.kind ?? process.env.DOJO_TEST_PG ?? "system"})`
    },
    setup: async () => {
      server = await startPostgres()
      config = { _tag: "postgres", url: Redacted.make(server.url), maxConnections: 4 }
      admin = ManagedRuntime.make(SqlLive(config))
    },
    teardown: async () => {
      await admin?.dispose()
      await server?.stop()
    },
    fresh: async () => {
      if (admin === undefined || config === undefined) throw new Error("postgres backend not set up")
      await admin.runPromise(
        Effect.flatMap(SqlClient.SqlClient, (sql) =>
          Effect.zipRight(sql`DROP SCHEMA public CASCADE`, sql`CREATE SCHEMA public`)
        )
      )
      return config
    }
  }
}

/** Both engines; DOJO_TEST_STORE=sqlite or =postgres keeps one. */
export const storeBackends = (): ReadonlyArray<StoreBackend> => {
  const only = process.env.DOJO_TEST_STORE
  return [sqliteFile(), postgres()].filter((b) => only === undefined || b.name.startsWith(only))
}

/** A store URL a child process can open (for multi-process tests). */
export const storeUrl = (config: StoreConfig): string =>
  config._tag === "sqlite" ? config.filename : Redacted.value(config.url)

/** Runs `body` with a runtime built from `layer`, disposing it (closing the database) afterwards. */
export const withRuntime = async <R, A>(
  layer: Layer.Layer<R, unknown>,
  body: (run: <X, E>(effect: Effect.Effect<X, E, R>) => Promise<X>) => Promise<A>
): Promise<A> => {
  const runtime = ManagedRuntime.make(layer)
  try {
    return await body((effect) => runtime.runPromise(effect))
  } finally {
    await runtime.dispose()
  }
}

/**
 * Installs a trigger that makes the database raise "injected failure" on `event` of `table` rows
 * matching `when` (SQL over NEW/OLD), so a transaction fails after its earlier statements ran.
 */
export const injectFailure = (name: string, table: string, event: "INSERT" | "UPDATE", when: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.onDialectOrElse({
      pg: () =>
        Effect.zipRight(
          sql.unsafe(`CREATE OR REPLACE FUNCTION dojo_injected_failure() RETURNS trigger LANGUAGE plpgsql
            AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`),
          sql.unsafe(`CREATE TRIGGER ${name} BEFORE ${event} ON ${table} FOR EACH ROW WHEN (${when})
            EXECUTE FUNCTION dojo_injected_failure()`)
        ),
      orElse: () =>
        sql.unsafe(`CREATE TRIGGER ${name} BEFORE ${event} ON ${table} FOR EACH ROW WHEN ${when}
          BEGIN SELECT RAISE(ABORT, 'injected failure'); END`)
    })
  )

/** Removes a trigger made by `injectFailure`. */
export const removeFailure = (name: string, table: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.onDialectOrElse({
      pg: () => sql.unsafe(`DROP TRIGGER ${name} ON ${table}`),
      orElse: () => sql.unsafe(`DROP TRIGGER ${name}`)
    })
  )
