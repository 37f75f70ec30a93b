/**
 * The demo's neurons as child processes: each its own `bun run src/programs/<role>.ts`, output to its own
 * log file; stopped (SIGTERM, then SIGKILL) when the demo's scope closes, Ctrl-C included. A neuron that
 * dies early fails the demo with the end of its log.
 */
import { Data, Effect, type Scope } from "effect"
import { readFileSync } from "node:fs"
import { join, resolve } from "node:path"

/** A neuron process stopped before the demo was done with it. */
export class NeuronExited extends Data.TaggedError("NeuronExited")<{ readonly name: string; readonly code: number | null; readonly tail: string }> {
  override get message() {
    return `${this.name} exited (code ${this.code}); last log lines:\n${this.tail}`
  }
}

/** A running neuron process. */
export interface NeuronProcess {
  readonly name: string
  readonly logPath: string
  readonly process: Bun.Subprocess
  /** Fails with NeuronExited when the process ends. */
  readonly exited: Effect.Effect<never, NeuronExited>
}

const repoRoot = resolve(import.meta.dir, "../../..")

/** The last `n` lines of a log file. */
export const tailOf = (path: string, n = 25): string => {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-n).join("\n")
  } catch {
    return "(no log)"
  }
}

/** Starts `bun run src/programs/<program>.ts ...args`, logging to `<logDir>/<name>.log`. */
export const spawnNeuron = (
  name: string,
  program: string,
  args: ReadonlyArray<string>,
  logDir: string,
  env: Record<string, string> = {}
): Effect.Effect<NeuronProcess, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const logPath = join(logDir, `${name}.log`)
      const log = Bun.file(logPath)
      const process = Bun.spawn(["bun", "run", join(repoRoot, "src", "programs", `${program}.ts`), ...args], {
        cwd: repoRoot,
        stdout: log,
        stderr: log,
        stdin: "ignore",
        env: { ...Bun.env, LOG_LEVEL: "warn", ...env }
      })
      const exited = Effect.flatMap(
        Effect.promise(() => process.exited),
        (code) => Effect.fail(new NeuronExited({ name, code, tail: tailOf(logPath) }))
      )
      return { name, logPath, process, exited } satisfies NeuronProcess
    }),
    (neuron) =>
      Effect.promise(async () => {
        if (neuron.process.exitCode !== null) return
        neuron.process.kill("SIGTERM")
        const done = await Promise.race([neuron.process.exited.then(() => true), Bun.sleep(3000).then(() => false)])
        if (!done) neuron.process.kill("SIGKILL")
      })
  )

/** A free TCP port on an address (bound and released at once). */
export const freePort = (hostname: string): number => {
  const server = Bun.listen({ hostname, port: 0, socket: { data() {} } })
  const port = server.port
  server.stop(true)
  return port
}
