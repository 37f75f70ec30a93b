import { describe, expect, test } from "bun:test"
import { Command, HelpDoc, ValidationError } from "@effect/cli"
import { BunContext } from "@effect/platform-bun"
import { Effect, Either } from "effect"
import { axonConfig, axonOptions } from "../../../src/programs/options/axon.ts"
import type { AxonConfig } from "../../../src/adapters/axon/axon.ts"

/** The axon config the flags give, or the text of @effect/cli's validation error (what an operator is told). */
const parse = (argv: ReadonlyArray<string>): Promise<Either.Either<AxonConfig, string>> => {
  let config: AxonConfig | undefined
  const cmd = Command.make("neuron", { axon: axonOptions }, ({ axon }) => Effect.sync(() => (config = axonConfig(axon, "HK"))))
  const run = Command.run(cmd, { name: "neuron", version: "0" })
  return Effect.runPromise(run(["bun", "neuron", ...argv]).pipe(Effect.provide(BunContext.layer), Effect.either)).then((r) =>
    Either.mapBoth(r, {
      onLeft: (e) => (ValidationError.isValidationError(e) && "error" in e ? HelpDoc.toAnsiText(e.error).trim() : `not a validation error: ${String(e)}`),
      onRight: () => config as AxonConfig
    })
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

  test("bad values are refused, each with the flag named and the rule it broke", async () => {
    expect(await parse(["--axon.port", "70000"])).toEqual(Either.left("--axon.port must be a port (0-65535)"))
    expect(await parse(["--axon.port", "-1"])).toEqual(Either.left("--axon.port must be a port (0-65535)"))
    expect(await parse(["--axon.external_port", "65536"])).toEqual(Either.left("--axon.external_port must be a port (0-65535)"))
    expect(await parse(["--axon.max_workers", "0"])).toEqual(Either.left("--axon.max_workers must be at least 1"))
    expect(await parse(["--axon.port", "eighty"])).toEqual(Either.left("'eighty' is not a integer"))
  })

  test("the edges of each range are accepted", async () => {
    expect(Either.getOrThrow(await parse(["--axon.port", "0", "--axon.external_port", "65535", "--axon.max_workers", "1"]))).toMatchObject({
      port: 0,
      externalPort: 65535,
      maxWorkers: 1
    })
  })
})
