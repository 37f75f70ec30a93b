/**
 * Runs one of the real programs (`bun run src/programs/<name>.ts …`) as an operator would, and checks
 * how it ends on an error: one line on stderr that names the problem, a non-zero exit, no stack trace,
 * no ERROR log line. Also a digest of a folder tree, to show a refused command changed nothing on disk.
 */
import { createHash } from "node:crypto"
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { repoRoot } from "./shared.ts"

/** How a program run ended. */
export interface ProgramRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** The environment without the operator's own Bittensor/Dojo/AWS/HF settings. */
export const cleanEnv = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[1] !== undefined && !/^(BT_|DOJO_|AWS_|HF_|OPENAI_|TOGETHER_)/.test(e[0])
    )
  )

/** Runs `src/programs/<program>.ts args…` to the end (killed after `timeoutMs`). */
export const runProgram = async (
  program: string,
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly timeoutMs?: number } = {}
): Promise<ProgramRun> => {
  const proc = Bun.spawn(["bun", "run", join("src", "programs", `${program}.ts`), ...args], {
    cwd: repoRoot,
    env: { ...cleanEnv(), NO_COLOR: "1", ...options.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe"
  })
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 55_000)
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  clearTimeout(timer)
  return { code, stdout, stderr }
}

/** What is wrong with how a failed run ended, or undefined when it ended as it should. */
export const oneLineFailure = (run: ProgramRun, program: string, expected: RegExp): string | undefined => {
  const lines = run.stderr.split("\n").filter((l) => l.trim() !== "")
  const all = `${run.stdout}\n${run.stderr}`
  if (run.code === 0) return `exit 0 (expected non-zero)`
  if (lines.length !== 1) return `${lines.length} lines on stderr (expected one):\n${run.stderr}`
  if (!lines[0]!.startsWith(`${program}: error: `)) return `stderr does not start with "${program}: error: ": ${lines[0]}`
  if (!expected.test(lines[0]!)) return `stderr does not match ${expected}: ${lines[0]}`
  if (/^\s+at .+[:(]/m.test(all)) return `a stack trace:\n${all}`
  if (/level=ERROR|"level":"ERROR"/.test(all)) return `an ERROR log line:\n${all}`
  return undefined
}

/** SHA-256 over every path (and file's bytes) under `root`; "absent" when it does not exist. */
export const treeDigest = (root: string): string => {
  if (!existsSync(root)) return "absent"
  const hash = createHash("sha256")
  const walk = (path: string, name: string): void => {
    const stat = statSync(path)
    hash.update(`${name}\0${stat.isDirectory() ? "d" : "f"}\0`)
    if (stat.isDirectory()) for (const entry of readdirSync(path).sort()) walk(join(path, entry), `${name}/${entry}`)
    else hash.update(readFileSync(path))
  }
  walk(root, ".")
  return hash.digest("hex")
}
