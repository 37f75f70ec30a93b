/**
 * The pinned Python environments the interop, chain and hardening suites run real Python code in
 * (the Bittensor SDK's Axon/Dendrite/wallet/weight utilities, `bittensor-drand`, schemathesis).
 *
 * Each environment is a venv under a cache folder (`DOJO_PYTHON_CACHE`, else
 * `$XDG_CACHE_HOME/dojo/python`, else `~/.cache/dojo/python`), named after the hash of its fully
 * pinned requirements file in `test/python/`, so a changed pin makes a new venv and an unchanged one
 * is reused. One process builds it while the others wait on a lock directory; a half-built venv never
 * counts (a `.ready` marker is written last). Where Python or PyPI is missing the suites fail with one
 * line saying what is missing: they never skip silently.
 */
import { createHash } from "node:crypto"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { homedir, tmpdir } from "node:os"
import { join } from "node:path"
import { buildOnce, readyMarker } from "./build-once"
import { repoRoot } from "./shared"

/** The environments the suites use: the newest SDK with a networking layer, and the last 9.x. */
export const PYTHON_ENVS = {
  /** bittensor 10.5.0 (Axon, Dendrite, Synapse), bittensor-wallet, bittensor-drand 2.x, schemathesis. */
  sdk10: "requirements-sdk10.txt",
  /** bittensor 9.12.2 with the async-substrate-interface it was released against. */
  sdk9: "requirements-sdk9.txt"
} as const

export type PythonEnvName = keyof typeof PYTHON_ENVS

/** A ready environment: run `python` (or `bin/<tool>`) from it. */
export interface PythonEnv {
  readonly name: PythonEnvName
  readonly dir: string
  readonly python: string
  readonly bin: (tool: string) => string
  /** The `bittensor` version installed, e.g. "10.5.0". */
  readonly sdkVersion: string
}

/** The folder holding the Python files the suites run (the Dojo synapses, the peers). */
export const pythonDir = join(repoRoot, "test", "python")

const cacheRoot = (): string =>
  process.env.DOJO_PYTHON_CACHE ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "dojo", "python")

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs a command, returning its exit code and the tail of its output (for the one-line failure). */
const run = async (argv: ReadonlyArray<string>, env?: Record<string, string>) => {
  const proc = Bun.spawn([...argv], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1", PYTHONDONTWRITEBYTECODE: "1", ...env }
  })
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited
  ])
  const tail = (err.trim() || out.trim()).split("\n").filter((l) => l.trim() !== "").slice(-2).join(" | ")
  return { code, out, tail }
}

/** The system interpreter to build venvs with: `DOJO_PYTHON`, else python3 on PATH, checked to be ≥ 3.10. */
const systemPython = async (): Promise<string> => {
  const candidate = process.env.DOJO_PYTHON ?? Bun.which("python3") ?? Bun.which("python")
  if (candidate === null || candidate === undefined)
    throw new Error("Python interop suites need python3 (3.10 or newer, with venv and pip) on PATH, or DOJO_PYTHON: none found")
  const probe = await run([candidate, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"])
  if (probe.code !== 0) throw new Error(`Python interop suites need python3 with the venv module: ${candidate} failed: ${probe.tail}`)
  const [major, minor] = probe.out.trim().split(".").map(Number)
  if (major !== 3 || (minor ?? 0) < 10)
    throw new Error(`Python interop suites need python 3.10 or newer: ${candidate} is ${probe.out.trim()}`)
  return candidate
}

const build = async (name: PythonEnvName, dir: string, requirements: string): Promise<void> => {
  const python = await systemPython()
  rmSync(dir, { recursive: true, force: true })
  console.log(`python env ${name}: creating a venv at ${dir} (once; reused while ${PYTHON_ENVS[name]} is unchanged)`)
  const venv = await run([python, "-m", "venv", dir])
  if (venv.code !== 0) throw new Error(`Python interop suites: 'python3 -m venv' failed: ${venv.tail}`)
  const pip = join(dir, "bin", "pip")
  console.log(`python env ${name}: pip install -r test/python/${PYTHON_ENVS[name]} (PyPI)`)
  const install = await run([pip, "install", "--quiet", "--no-input", "-r", requirements])
  if (install.code !== 0) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`Python interop suites: pip could not install the pinned SDK from PyPI (is PyPI reachable?): ${install.tail}`)
  }
  const check = await run([join(dir, "bin", "python"), "-c", "import bittensor, bittensor_wallet; print(bittensor.__version__)"])
  if (check.code !== 0) throw new Error(`Python interop suites: the installed SDK does not import: ${check.tail}`)
  writeFileSync(readyMarker(dir), check.out.trim())
  console.log(`python env ${name}: ready (bittensor ${check.out.trim()})`)
}

const prepare = async (name: PythonEnvName): Promise<PythonEnv> => {
  const requirements = join(pythonDir, PYTHON_ENVS[name])
  const pins = readFileSync(requirements)
  const hash = createHash("sha256").update(pins).digest("hex").slice(0, 12)
  const dir = join(cacheRoot(), `${name}-${hash}`)
  const ready = readyMarker(dir)
  await buildOnce(dir, "Python interop suites", () => build(name, dir, requirements))
  return {
    name,
    dir,
    python: join(dir, "bin", "python"),
    bin: (tool) => join(dir, "bin", tool),
    sdkVersion: readFileSync(ready, "utf8").trim()
  }
}

const cache = new Map<PythonEnvName, Promise<PythonEnv>>()

/** The named environment, built on first use and reused after (one build per machine and pin set). */
export const pythonEnv = (name: PythonEnvName = "sdk10"): Promise<PythonEnv> => {
  let env = cache.get(name)
  if (env === undefined) {
    env = prepare(name)
    cache.set(name, env)
  }
  return env
}

/** A finished Python run: its output, and what the script handed back through `peer_result.emit`. */
export interface PythonRun {
  readonly stdout: string
  readonly stderr: string
  readonly code: number
  /** The script's `emit(...)` value; undefined when it emitted nothing. */
  readonly result: unknown
}

/**
 * Runs a Python script from `test/python/` (or inline code with `-c`) in an environment. The script's
 * result travels through a file (`DOJO_PEER_RESULT`, written by `peer_result.emit`), never stdout,
 * where SDK logging threads can interleave their lines with ours.
 */
export const runPython = async (
  env: PythonEnv,
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly stdin?: string; readonly cwd?: string } = {}
): Promise<PythonRun> => {
  const dir = mkdtempSync(join(tmpdir(), "dojo-peer-"))
  const resultFile = join(dir, "result.json")
  try {
    const proc = Bun.spawn([env.python, ...args], {
      cwd: options.cwd ?? pythonDir,
      stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, PYTHONPATH: pythonDir, PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1", ...options.env, DOJO_PEER_RESULT: resultFile }
    })
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    const result: unknown = existsSync(resultFile) ? JSON.parse(readFileSync(resultFile, "utf8")) : undefined
    return { stdout, stderr, code, result }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The result a script emitted; throws with its exit code and stderr's tail when it failed or emitted nothing. */
export const peerResult = <A>(run: PythonRun, script: string): A => {
  if (run.code !== 0 || run.result === undefined)
    throw new Error(`${script} exited ${run.code} without its result: ${(run.stderr.trim() || run.stdout.trim()).split("\n").slice(-6).join(" | ")}`)
  return run.result as A
}

/** A long-running Python peer (an SDK Axon, a load generator): its first `READY <json>` stdout line, and a stop that kills it. */
export interface PythonPeer<A> {
  readonly ready: A
  readonly proc: ReturnType<typeof Bun.spawn>
  /** Everything the peer wrote to stderr so far (for failure messages). */
  readonly stderr: () => string
  readonly stop: () => Promise<void>
}

/** Starts a script from `test/python/` and waits (up to `readyMs`) for it to print `READY <json>`; throws with its stderr if it exits first. */
export const spawnPython = async <A = unknown>(
  env: PythonEnv,
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly readyMs?: number } = {}
): Promise<PythonPeer<A>> => {
  const proc = Bun.spawn([env.python, ...args], {
    cwd: pythonDir,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, PYTHONPATH: pythonDir, PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1", ...options.env }
  })
  let err = ""
  void (async () => {
    const decoder = new TextDecoder()
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) err = (err + decoder.decode(chunk)).slice(-20_000)
  })()
  const stop = async () => {
    proc.kill("SIGTERM")
    const done = await Promise.race([proc.exited.then(() => true), sleep(3_000).then(() => false)])
    if (!done) proc.kill("SIGKILL")
    await proc.exited
  }
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let buffered = ""
  const deadline = sleep(options.readyMs ?? 30_000).then(() => "timeout" as const)
  for (;;) {
    const next = await Promise.race([reader.read(), deadline, proc.exited.then(() => "exited" as const)])
    if (next === "timeout" || next === "exited" || next.done) {
      await stop()
      const why = next === "timeout" ? "did not print READY in time" : `exited (code ${proc.exitCode})`
      throw new Error(`python peer ${args.join(" ")} ${why}: ${err.trim().split("\n").slice(-5).join(" | ")}`)
    }
    buffered += decoder.decode(next.value, { stream: true })
    const line = buffered.split("\n").find((l) => l.startsWith("READY "))
    if (line !== undefined) {
      // Keep draining stdout so a chatty peer never blocks on a full pipe.
      void (async () => {
        for (;;) if ((await reader.read()).done) break
      })()
      return { ready: JSON.parse(line.slice(6)) as A, proc, stderr: () => err, stop }
    }
  }
}
