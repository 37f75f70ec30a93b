/** The store flags: which database each combination of `--store.url`, `--store.path` and DOJO_STORE_URL selects. */
import { CliConfig, Options } from "@effect/cli"
import { BunContext } from "@effect/platform-bun"
import { describe, expect, test } from "bun:test"
import { ConfigProvider, Effect, Redacted } from "effect"
import { resolveStoreConfig, storeOptions } from "../../../src/programs/options/store.ts"

const select = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.runPromise(
    Options.processCommandLine(storeOptions, args, CliConfig.defaultConfig).pipe(
      Effect.flatMap(([, , flags]) => resolveStoreConfig(flags, "/data/neuron")),
      Effect.map((c) => (c._tag === "sqlite" ? c : { _tag: c._tag, url: Redacted.value(c.url) })),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.provide(BunContext.layer)
    )
  )

describe("store options", () => {
  test("default: an SQLite file in the neuron's data directory", async () => {
    expect(await select([])).toEqual({ _tag: "sqlite", filename: "/data/neuron/dojo.sqlite" })
  })
  test("--store.path picks the SQLite file", async () => {
    expect(await select(["--store.path", "/tmp/x.db"])).toEqual({ _tag: "sqlite", filename: "/tmp/x.db" })
  })
  test("--store.url postgres://… selects PostgreSQL; a path or sqlite:PATH selects SQLite", async () => {
    expect(await select(["--store.url", "postgres://u:secret@db:5432/dojo"])).toEqual({
      _tag: "postgres",
      url: "postgres://u:secret@db:5432/dojo"
    })
    expect(await select(["--store.url", "postgresql://db/dojo"])).toEqual({ _tag: "postgres", url: "postgresql://db/dojo" })
    expect(await select(["--store.url", "sqlite:/var/dojo.sqlite"])).toEqual({ _tag: "sqlite", filename: "/var/dojo.sqlite" })
    expect(await select(["--store.url", "./rel.sqlite"])).toEqual({ _tag: "sqlite", filename: "./rel.sqlite" })
  })
  test("DOJO_STORE_URL stands in for --store.url", async () => {
    expect(await select([], { DOJO_STORE_URL: "postgres://env/dojo" })).toEqual({ _tag: "postgres", url: "postgres://env/dojo" })
  })
  test("both flags at once are refused", async () => {
    await expect(select(["--store.url", "postgres://a/b", "--store.path", "/x"])).rejects.toThrow("not both")
  })
})
