/**
 * Chromium for the browser suites (driven by playwright-core through `executablePath`): the headless
 * build shipped inside the pinned npm package `@sparticuz/chromium` (a devDependency, so `bun install`
 * brings it; no browser download from anywhere else), inflated once per machine into a cache folder
 * (`DOJO_CHROMIUM_CACHE`, else `$XDG_CACHE_HOME/dojo/chromium`, else `~/.cache/dojo/chromium`) named
 * after the package's version. `DOJO_CHROMIUM` points at another browser instead. When no browser can
 * be had, `chromiumPath` throws with one line saying why: the browser suites fail, they never skip.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { homedir } from "node:os"
import { dirname, join } from "node:path"
import { brotliDecompressSync } from "node:zlib"
import { type Browser, chromium } from "playwright-core"
import { buildOnce, readyMarker } from "./build-once"

/** Flags for a quiet headless run that touches no network but the page's. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--no-zygote",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

const PACKAGE = "@sparticuz/chromium"

const cacheRoot = (): string =>
  process.env.DOJO_CHROMIUM_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "dojo", "chromium")

/** A browser ready to launch: its binary, and the extra environment it needs (shipped libraries). */
export interface ChromiumInstall {
  readonly path: string
  readonly env: Readonly<Record<string, string>>
  /** Where it came from, for messages: `@sparticuz/chromium 153.0.0` or `DOJO_CHROMIUM`. */
  readonly source: string
}

const fail = (why: string): never => {
  throw new Error(`browser tests need Chromium: ${why}`)
}

const run = (argv: ReadonlyArray<string>, env?: Record<string, string>) => {
  const proc = Bun.spawnSync([...argv], { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } })
  const out = `${proc.stdout.toString()}${proc.stderr.toString()}`
  return { ok: proc.exitCode === 0, out, tail: out.trim().split("\n").slice(-2).join(" | ") }
}

/** Where the pinned package's compressed files are, and its version. */
const shippedPackage = (): { readonly bin: string; readonly version: string } => {
  let manifest: string
  try {
    manifest = require.resolve(`${PACKAGE}/package.json`)
  } catch {
    return fail(`the devDependency ${PACKAGE} is not installed (run \`bun install\`)`)
  }
  const version = (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version
  const bin = join(dirname(manifest), "bin")
  if (!existsSync(join(bin, "chromium.br"))) fail(`${PACKAGE} ${version} has no bin/chromium.br for this platform (${process.platform}/${process.arch})`)
  return { bin, version }
}

const inflate = (from: string): Buffer => brotliDecompressSync(readFileSync(from))

const untar = (archive: Buffer, into: string, name: string) => {
  mkdirSync(into, { recursive: true })
  const file = join(into, `${name}.tar`)
  writeFileSync(file, archive)
  const result = run(["tar", "-xf", file, "-C", into])
  rmSync(file, { force: true })
  if (!result.ok) fail(`tar could not unpack ${name}: ${result.tail}`)
}

/** Inflates the binary (and its GL and system libraries) into `dir`, then checks that it starts. */
const build = async (bin: string, version: string, dir: string): Promise<void> => {
  const started = performance.now()
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  console.log(`chromium: inflating ${PACKAGE} ${version} into ${dir} (once; reused while the pin is unchanged)`)
  const binary = join(dir, "chromium")
  writeFileSync(binary, inflate(join(bin, "chromium.br")))
  chmodSync(binary, 0o755)
  // SwiftShader's GL libraries sit beside the binary, where it looks for them.
  untar(inflate(join(bin, "swiftshader.tar.br")), dir, "swiftshader")
  // NSS, NSPR and expat as the package ships them, used only where the machine lacks its own.
  untar(inflate(join(bin, "al2023.tar.br")), dir, "al2023")
  writeFileSync(readyMarker(dir), version)
  console.log(`chromium: ready in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

/** The extra environment: the shipped libraries only when the machine's loader cannot find its own. */
const environment = (dir: string): Record<string, string> => {
  const ldd = Bun.which("ldd")
  if (ldd === null) return {}
  const missing = run([ldd, join(dir, "chromium")]).out.includes("not found")
  return missing ? { LD_LIBRARY_PATH: [join(dir, "lib"), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":") } : {}
}

const locate = async (): Promise<ChromiumInstall> => {
  const configured = process.env.DOJO_CHROMIUM
  if (configured !== undefined && configured !== "") {
    if (!existsSync(configured)) fail(`DOJO_CHROMIUM=${configured} does not exist`)
    return { path: configured, env: {}, source: "DOJO_CHROMIUM" }
  }
  if (process.platform !== "linux" || process.arch !== "x64") fail(`${PACKAGE} ships Linux x64 only; set DOJO_CHROMIUM to a Chromium on ${process.platform}/${process.arch}`)
  const { bin, version } = shippedPackage()
  const dir = join(cacheRoot(), version)
  await buildOnce(dir, "browser tests", () => build(bin, version, dir))
  const env = environment(dir)
  const missing = run([join(dir, "chromium"), "--version"], env)
  if (!missing.ok) fail(`${join(dir, "chromium")} does not start: ${missing.tail}`)
  return { path: join(dir, "chromium"), env, source: `${PACKAGE} ${version}` }
}

let lookup: Promise<ChromiumInstall> | undefined

/** The browser to use, inflated on first use (one build per machine and pin); rejects saying why when there is none. */
export const chromiumInstall = (): Promise<ChromiumInstall> => (lookup ??= locate())

/** Launches headless Chromium (the pinned one unless `DOJO_CHROMIUM` says otherwise). */
export const launchChromium = async (): Promise<Browser> => {
  const install = await chromiumInstall()
  return chromium.launch({ executablePath: install.path, args: CHROMIUM_ARGS, env: { ...process.env, ...install.env } })
}
