import { describe, expect, test } from "bun:test"
import { Command } from "@effect/cli"
import { BunContext } from "@effect/platform-bun"
import { Effect, Either } from "effect"
import { axonConfig, axonOptions } from "../../../src/programs/options/axon.ts"
import type { AxonConfig } from "../../../src/adapters/axon/axon.ts"

const parse = (argv: ReadonlyArray<string>) => {
  let config: AxonConfig | undefined
  const cmd = Command.make("neuron", { axon: axonOptions }, ({ axon }) => Effect.sync(() => (config = axonConfig(axon, "HK"))))
  const run = Command.run(cmd, { name: "neuron", version: "0" })
  return Effect.runPromise(run(["bun", "neuron", ...argv]).pipe(Effect.provide(BunContext.layer), Effect.either)).then((r) =>
    Either.map(r, () => config as AxonConfig)
  )
}

describe("--axon.* options", () => {
  test("dotted names parse, with the SDK's defaults", async () => {
    const given = Either.getOrThrow(
      await parse(["--axon.port", "9000", "--axon.ip=127.0.0.2", "--axon.external_ip", "198.51.100.20", "--axon.external_port", "443", "--axon.max_workers", "4"])
    )
    expect(given).toMatchObject({ hotkey: "HK", port: 9000, ip: "127.0.0.2", externalIp: "198.51.100.20", externalPort: 443, maxWorkers: 4 })
    const defaults = Either.getOrThrow(await parse([]))
    expect(defaults).toMatchObject({ port: 8091, ip: "0.0.0.0", externalIp: undefined, externalPort: undefined, maxWorkers: 10 })
  })

  test("bad values are refused", async () => {
    expect(Either.isLeft(await parse(["--axon.port", "70000"]))).toBe(true)
    expect(Either.isLeft(await parse(["--axon.max_workers", "0"]))).toBe(true)
  })
})
