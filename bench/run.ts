/**
 * `bun run bench`: runs every `bench/*.bench.ts` (or those whose name contains an argument) one after
 * another, each in its own process, and lets them print their figures. Never asserts timings.
 */
import { readdirSync } from "node:fs"
import { join } from "node:path"

const filters = process.argv.slice(2)
const files = readdirSync(import.meta.dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()

let failed = 0
for (const file of files) {
  console.log(`\n=== ${file}`)
  const started = performance.now()
  const proc = Bun.spawn(["bun", "run", join(import.meta.dir, file)], { stdout: "inherit", stderr: "inherit", env: { ...process.env, LOG_LEVEL: "warn" } })
  const code = await proc.exited
  console.log(`=== ${file}: ${code === 0 ? "done" : `exit ${code}`} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  if (code !== 0) failed++
}
process.exit(failed > 0 ? 1 : 0)
