/**
 * `bun run demo` — a whole local Dojo subnet in one command (see src/programs/demo/run.ts). Exits 0 when incentive
 * follows the miners' accuracy, 1 when it does not or something failed. `--keep` leaves it running.
 */
import { Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { rmSync } from "node:fs"
import { runDemo } from "./demo/run.ts"
import { runCli } from "./options/run-cli.ts"

const command = Command.make(
  "demo",
  {
    short: Options.boolean("short").pipe(Options.withDescription("Fewer scored requests (for tests).")),
    keep: Options.boolean("keep").pipe(Options.withDescription("Leave the subnet running after the table, until Ctrl-C.")),
    validators: Options.integer("validators").pipe(Options.withDescription("Validators (1 or 2)."), Options.withDefault(1)),
    seed: Options.integer("seed").pipe(Options.withDescription("Seed of the models and data."), Options.withDefault(1)),
    timeout: Options.integer("timeout").pipe(Options.withDescription("Seconds the scoring phase may take."), Options.withDefault(150))
  },
  (flags) =>
    Effect.scoped(
      runDemo({ short: flags.short, keep: flags.keep, validators: Math.min(2, Math.max(1, flags.validators)), seed: flags.seed, timeoutSeconds: flags.timeout })
    ).pipe(
      // After the scope closed (every process stopped): a successful run leaves nothing behind; a failed
      // one keeps its folder for the logs. A failure is runCli's one error line (exit 1).
      Effect.flatMap((result) =>
        Effect.sync(() => {
          if (result.ordered) rmSync(result.workDir, { recursive: true, force: true })
          else process.exitCode = 1
        })
      )
    )
).pipe(Command.withDescription("A whole local Dojo subnet: chain, miners and validators; exits 0 when incentive follows the miners' accuracy."))

if (import.meta.main) runCli("demo", command)
