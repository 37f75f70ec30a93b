/**
 * The dashboard page as built from `src/adapters/http/dashboard-client/`: one document with the CSS and
 * the bundled client script inline, a CSP whose hashes are those of exactly these blocks, built once per
 * process; a broken client (missing file, syntax error, missing tag) is a clear DashboardPageError.
 */
import { describe, expect, test } from "bun:test"
import { Cause, Effect, Exit, Option } from "effect"
import { createHash } from "node:crypto"
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { buildDashboardPage, dashboardClientDir, dashboardPage } from "../../../src/adapters/http/dashboard-page.ts"

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`
const blocks = (html: string, tag: "script" | "style") =>
  [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map((m) => m[1]!)

const srcDir = join(dashboardClientDir, "..", "..", "..")

/** The client folder of a copy of `src/` (so its imports of domain code resolve) with `edit` applied to one file. */
const brokenCopy = (name: string, edit: (text: string) => string): string => {
  const root = mkdtempSync(join(tmpdir(), "dojo-dashboard-src-"))
  cpSync(srcDir, root, { recursive: true })
  const dir = join(root, relative(srcDir, dashboardClientDir))
  writeFileSync(join(dir, name), edit(readFileSync(join(dir, name), "utf8")))
  return dir
}

const failure = async (dir: string): Promise<string> => {
  const exit = await Effect.runPromiseExit(buildDashboardPage(dir))
  if (Exit.isSuccess(exit)) throw new Error("expected the build to fail")
  const error = Option.getOrThrow(Cause.failureOption(exit.cause))
  expect(error._tag).toBe("DashboardPageError")
  return error.message
}

describe("dashboard page build", () => {
  test("one document: the stylesheet and the bundled script inline, the source tags gone, the CSP naming exactly these blocks", async () => {
    const page = await Effect.runPromise(dashboardPage)
    const [script, ...moreScripts] = blocks(page.html, "script")
    const [style, ...moreStyles] = blocks(page.html, "style")
    expect(moreScripts).toEqual([])
    expect(moreStyles).toEqual([])
    expect(page.html).not.toContain('src="./main.ts"')
    expect(page.html).not.toContain('href="./dashboard.css"')
    // The style is the CSS file as written; the script is bundled: no module syntax, the helpers in it.
    expect(style).toBe(readFileSync(join(dashboardClientDir, "dashboard.css"), "utf8"))
    expect(script).not.toMatch(/^\s*(import|export)\s/m)
    expect(script).toContain("/dashboard/api/")
    expect(script).toContain("__dojoDashboardTick")
    expect(page.csp).toContain(`script-src ${sha256(script!)}`)
    expect(page.csp).toContain(`style-src ${sha256(style!)}`)
    expect(page.csp).toContain("default-src 'none'")
  })

  test("built once per process: the same page every time", async () => {
    const [a, b] = await Effect.runPromise(Effect.all([dashboardPage, dashboardPage]))
    expect(b).toBe(a)
    expect(await Effect.runPromise(dashboardPage)).toBe(a)
  })

  test("a script that does not parse fails the build, naming the file and Bun.build's complaint", async () => {
    const message = await failure(brokenCopy("format.ts", (t) => `${t}\nexport const broken = (\n`))
    expect(message).toMatch(/^dashboard page: Bun\.build failed: \S+dashboard-client\/format\.ts:\d+: Unexpected end of file$/)
  })

  test("an import that does not resolve fails the build, naming it", async () => {
    const message = await failure(brokenCopy("main.ts", (t) => `import { gone } from "./gone.ts"\nconsole.log(gone)\n${t}`))
    expect(message).toMatch(/^dashboard page: Bun\.build failed: \S+main\.ts:1: Could not resolve: "\.\/gone\.ts"$/)
  })

  test("an HTML file without the script tag to replace fails the build, naming the tag", async () => {
    const message = await failure(brokenCopy("dashboard.html", (t) => t.replace('<script src="./main.ts"></script>', "")))
    expect(message).toBe('dashboard page: dashboard.html must hold <script src="./main.ts"></script> exactly once')
  })

  test("CSS that would close its <style> block early fails the build", async () => {
    const message = await failure(brokenCopy("dashboard.css", (t) => `${t}\n/* </style><script>alert(1)</script> */\n`))
    expect(message).toBe("dashboard page: the inline style contains </style")
  })

  test("a missing file fails the build, naming it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dojo-dashboard-client-"))
    expect(await failure(dir)).toStartWith(`dashboard page: cannot read ${join(dir, "dashboard.html")}: `)
  })
})
