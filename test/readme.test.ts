/**
 * Keeps the README true: every `bun run` command in its shell blocks names a script that exists, and
 * every `--flag` it passes to one of our programs is one that program's `--help` lists.
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

const help = new Map<string, string>()
const helpOf = async (script: string, sub: string | undefined) => {
  const key = `${script} ${sub ?? ""}`
  if (!help.has(key)) {
    const args = ["bun", "run", script, ...(sub ? [sub] : []), "--help"]
    const p = Bun.spawn(args, { cwd: repoRoot, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } })
    help.set(key, (await new Response(p.stdout).text()) + (await new Response(p.stderr).text()))
  }
  return help.get(key)!
}

describe("README commands", () => {
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
      const text = await helpOf(script!, sub)
      for (const flag of rest.filter((a) => a.startsWith("--"))) expect(text).toContain(flag.split("=")[0]!)
    }, 60_000)
  }
})
