import { expect, test } from "bun:test"

// Runs a tiny program with the logging layer in a child process and reads what it printed.
const run = async (flags: { debug: boolean; json: boolean }) => {
  const code = `
    import { Effect } from "effect"
    import { loggingLayer } from "./src/programs/options/logging.ts"
    Effect.runSync(Effect.gen(function* () {
      yield* Effect.logDebug("debug line")
      yield* Effect.logInfo("info line").pipe(Effect.annotateLogs({ uid: 3 }))
    }).pipe(Effect.provide(loggingLayer(${JSON.stringify({ ...flags, trace: false })}))))`
  const p = Bun.spawn(["bun", "-e", code], { cwd: `${import.meta.dir}/../..`, stdout: "pipe", stderr: "pipe" })
  return (await new Response(p.stdout).text()) + (await new Response(p.stderr).text())
}

test("logfmt at info by default: info printed with its annotations, debug not", async () => {
  const out = await run({ debug: false, json: false })
  expect(out).toMatch(/level=INFO .*message="info line".* uid=3/)
  expect(out).not.toContain("debug line")
})

test("--logging.debug and --logging.json: JSON lines including debug", async () => {
  const lines = (await run({ debug: true, json: true })).trim().split("\n").map((l) => JSON.parse(l))
  expect(lines.map((l) => l.message)).toEqual(["debug line", "info line"])
  expect(lines[1].annotations.uid).toBe(3)
})
