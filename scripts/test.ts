import { chromiumInstall } from "../test/support/chromium"
import { PYTHON_ENVS, type PythonEnvName, pythonEnv } from "../test/support/python-env"
/**
 * Runs the whole test suite and ends with the plain summary line CI reads:
 * `N passed, N failed` (`, N skipped` when any were skipped). Exit code is non-zero on failure.
 */
const args = process.argv.slice(2)

// The pinned Python peers (SDK, bittensor-drand, schemathesis) and the pinned Chromium are built once,
// before any test starts, so no test's time limit covers a pip install or a browser unpack. A failure
// is printed here in one line and again by every suite that needs it: those suites fail, never skip.
const started = performance.now()
const envs = await Promise.allSettled([
  ...Object.keys(PYTHON_ENVS).map((name) => pythonEnv(name as PythonEnvName)),
  chromiumInstall()
])
for (const env of envs) {
  if (env.status === "rejected") console.error(`test setup: ${env.reason instanceof Error ? env.reason.message : String(env.reason)}`)
}
const builtMs = performance.now() - started
if (builtMs > 2_000) console.log(`python envs and chromium ready in ${(builtMs / 1000).toFixed(1)} s`)
const proc = Bun.spawn(["bun", "test", "--parallel=2", "--timeout=60000", ...args], {
  stdout: "pipe",
  stderr: "pipe",
  env: { ...process.env, FORCE_COLOR: "0", LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" }
})

// Bun prints its summary to stderr; stream both through while keeping a copy to count from.
const pump = async (stream: ReadableStream<Uint8Array>, sink: NodeJS.WriteStream) => {
  let text = ""
  const decoder = new TextDecoder()
  for await (const chunk of stream) {
    const s = decoder.decode(chunk, { stream: true })
    text += s
    sink.write(s)
  }
  return text
}
const [out, err] = await Promise.all([pump(proc.stdout, process.stdout), pump(proc.stderr, process.stderr)])
const code = await proc.exited

const count = (label: string) => {
  const matches = [...(out + err).matchAll(new RegExp(`^\\s*(\\d+) ${label}$`, "gm"))]
  const last = matches.at(-1)
  return last ? Number(last[1]) : 0
}
const passed = count("pass")
let failed = count("fail")
const skipped = count("skip") + count("todo")
// A crash before the summary, or a non-zero exit with no counted failure, is still a failure.
if (code !== 0 && failed === 0) failed = 1
const ranNothing = passed + failed === 0
if (ranNothing) failed = 1
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`)
process.exit(code !== 0 || failed > 0 ? 1 : 0)
