/**
 * Keeps the README true: every `bun run` command in its shell blocks names a script that exists, and
 * every `--flag` it passes to one of our programs is one that program's `--help` (which exits 0) lists,
 * as a whole flag (not a prefix of a longer one).
 */
import { describe, expect, test } from "bun:test"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { repoRoot } from "./support/shared.ts"

const readme = readFileSync(join(repoRoot, "README.md"), "utf8")
const shellBlocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!)
const commands = shellBlocks
  .flatMap((block) => block.replace(/\\\n\s*/g, " ").split("\n"))
  .map((line) => line.replace(/#.*$/, "").trim())
  .filter((line) => line.startsWith("bun run "))

/** What `--help` printed and how it exited. */
interface Help {
  readonly code: number
  readonly text: string
  /** Every flag the help names, whole (`--wallet.name`, never a piece of it). */
  readonly flags: ReadonlySet<string>
}

/** The flags a help text names: `--` and a name, without the sentence's trailing full stop. */
const flagsNamed = (text: string): ReadonlySet<string> =>
  new Set([...text.matchAll(/(?<![\w-])--[A-Za-z0-9][\w.-]*/g)].map((m) => m[0].replace(/[.-]+$/, "")))

const help = new Map<string, Promise<Help>>()
const helpOf = (script: string, sub: string | undefined): Promise<Help> => {
  const key = `${script} ${sub ?? ""}`
  if (!help.has(key)) {
    const args = ["bun", "run", script, ...(sub ? [sub] : []), "--help"]
    const p = Bun.spawn(args, { cwd: repoRoot, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } })
    help.set(
      key,
      Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]).then(([out, err, code]) => ({
        code,
        text: out + err,
        flags: flagsNamed(out + err)
      }))
    )
  }
  return help.get(key)!
}

describe("README commands", () => {
  test("a flag is found in a help text only whole", () => {
    const flags = flagsNamed("  --wallet.name_x <text>  Port (see --axon.port).  x--bogus --netuid-ish")
    expect([...flags].sort()).toEqual(["--axon.port", "--netuid-ish", "--wallet.name_x"])
    expect(flags.has("--wallet.name")).toBe(false)
    expect(flags.has("--netuid")).toBe(false)
  })

  test("the quick start is the two commands", () => {
    expect(commands.slice(0, 2)).toEqual(["bun run demo", "bun run test"])
    const scripts = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).scripts
    expect(Object.keys(scripts)).toEqual(expect.arrayContaining(["demo", "test", "bench"]))
  })

  for (const command of commands.slice(2)) {
    test(command, async () => {
      const [, , script, ...rest] = command.split(/\s+/)
      expect(existsSync(join(repoRoot, script!))).toBe(true)
      if (!script!.startsWith("src/programs/")) return
      const sub = rest[0] !== undefined && !rest[0].startsWith("-") ? rest[0] : undefined
      const { code, text, flags } = await helpOf(script!, sub)
      expect({ code, help: text.length > 0 }).toEqual({ code: 0, help: true })
      const missing = rest.filter((a) => a.startsWith("--")).map((a) => a.split("=")[0]!).filter((flag) => !flags.has(flag))
      expect(missing).toEqual([])
    }, 60_000)
  }
})
