/** The pm2 ecosystem file runs our programs with flags they accept. */
import { expect, test } from "bun:test"
import { createRequire } from "node:module"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { repoRoot } from "../support/shared.ts"

const { apps } = createRequire(import.meta.url)(join(repoRoot, "ecosystem.config.cjs")) as {
  apps: Array<{ name: string; script: string; args: string[] }>
}

test("pm2 apps: a miner and a validator", () => {
  expect(apps.map((a) => a.name)).toEqual(["dojo-miner", "dojo-validator"])
})

for (const app of apps) {
  test(`${app.name}: its program exists and lists every flag it is given`, async () => {
    expect(app.script).toBe("bun")
    const [run, program, ...rest] = app.args
    expect(run).toBe("run")
    expect(existsSync(join(repoRoot, program!))).toBe(true)
    const p = Bun.spawn(["bun", "run", program!, "--help"], { cwd: repoRoot, stdout: "pipe", stderr: "pipe" })
    const help = (await new Response(p.stdout).text()) + (await new Response(p.stderr).text())
    for (const flag of rest.filter((a) => a.startsWith("--"))) expect(help).toContain(flag)
  }, 60_000)
}
