/**
 * Chromium for the browser suites (driven by playwright-core through `executablePath`). Finds
 * `DOJO_CHROMIUM` or /usr/bin/chromium; when missing and running as root with apt-get, installs the
 * Debian `chromium` package once (one process installs, others wait on a lock directory). Otherwise the
 * suites are skipped with the reason printed: a machine without Chromium never fails the tests.
 */
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Browser, chromium } from "playwright-core"

/** Where the Debian package puts the browser. */
export const DEBIAN_CHROMIUM = "/usr/bin/chromium"

/** Flags for a quiet headless run that touches no network but the page's. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

export type ChromiumLookup = { readonly path: string } | { readonly skip: string }

const LOCK = join(tmpdir(), "dojo-chromium-install.lock")
const INSTALL_WAIT_MS = 10 * 60_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const run = (cmd: ReadonlyArray<string>) => {
  const proc = Bun.spawnSync([...cmd], { stdout: "pipe", stderr: "pipe", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } })
  return { ok: proc.exitCode === 0, err: proc.stderr.toString().trim().split("\n").slice(-3).join(" | ") }
}

const install = (): string | undefined => {
  console.log(`browser tests: Chromium not found; installing the Debian package once: apt-get install -y chromium`)
  let result = run(["apt-get", "install", "-y", "-qq", "chromium"])
  // A fresh image has no package lists yet.
  if (!result.ok) result = run(["apt-get", "update", "-qq"]).ok ? run(["apt-get", "install", "-y", "-qq", "chromium"]) : result
  if (!result.ok) return `apt-get install chromium failed: ${result.err}`
  console.log(`browser tests: Chromium installed at ${DEBIAN_CHROMIUM}`)
  return undefined
}

let lookup: Promise<ChromiumLookup> | undefined

/** The browser to use, or why the browser suites are skipped (installing it first when allowed). */
export const findChromium = (): Promise<ChromiumLookup> => (lookup ??= locate())

const locate = async (): Promise<ChromiumLookup> => {
  const configured = process.env.DOJO_CHROMIUM
  if (configured !== undefined && configured !== "") {
    return existsSync(configured) ? { path: configured } : { skip: `DOJO_CHROMIUM=${configured} does not exist` }
  }
  if (existsSync(DEBIAN_CHROMIUM)) return { path: DEBIAN_CHROMIUM }
  const root = typeof process.getuid === "function" && process.getuid() === 0
  if (!root || Bun.which("apt-get") === null) {
    return { skip: `no Chromium at ${DEBIAN_CHROMIUM} (install the Debian package "chromium", or set DOJO_CHROMIUM)` }
  }
  const deadline = Date.now() + INSTALL_WAIT_MS
  for (;;) {
    try {
      mkdirSync(LOCK)
    } catch {
      // Another test process is installing; wait for it (a lock older than the wait is stale).
      if (existsSync(DEBIAN_CHROMIUM)) return { path: DEBIAN_CHROMIUM }
      const age = existsSync(LOCK) ? Date.now() - statSync(LOCK).mtimeMs : 0
      if (age > INSTALL_WAIT_MS) rmSync(LOCK, { recursive: true, force: true })
      if (Date.now() > deadline) return { skip: "timed out waiting for another process to install Chromium" }
      await sleep(1000)
      continue
    }
    try {
      if (existsSync(DEBIAN_CHROMIUM)) return { path: DEBIAN_CHROMIUM }
      const failure = install()
      return failure === undefined && existsSync(DEBIAN_CHROMIUM) ? { path: DEBIAN_CHROMIUM } : { skip: failure ?? "chromium package installed no /usr/bin/chromium" }
    } finally {
      rmSync(LOCK, { recursive: true, force: true })
    }
  }
}

/** Launches headless Chromium at `path`. */
export const launchChromium = (path: string): Promise<Browser> =>
  chromium.launch({ executablePath: path, args: CHROMIUM_ARGS })
