/**
 * Validator memory under load: the real `runValidator` (all four loops, real dendrite, SQLite file store,
 * in-memory chain) against 256 real miner axons served by a child process (so this process's RSS is the
 * validator's alone), with time compressed: one step every `--step` seconds instead of 24 s, so an hour of
 * the subnet's work (3600 / 24 = 150 query steps of 10 miners each) runs in well under a minute.
 * It is harsher than a real first hour: the deadline is 0.5 s instead of 8 h, so every request is also
 * scored and its RankingResults delivered within the run, and weights are set every pass instead of once
 * an epoch (72 min).
 *
 * Every 10 steps a full GC runs and RSS and the JS heap are sampled (so garbage not yet collected does
 * not pass for growth); after a warm-up, a least-squares line through those samples gives the retained
 * growth per step, and the figure for one hour (150 steps) and one day (3600 steps) is the last
 * post-GC RSS plus that slope times the missing steps (a scaled-down run, `[steps] < 150`, is
 * extrapolated the same way). The peak RSS without forced GC is printed too. Run: `bun bench/validator-memory.bench.ts [steps=150] [stepSeconds=0.05]`. Prints figures;
 * asserts nothing.
 */
import { Effect, Exit, Fiber, Logger, LogLevel, ManagedRuntime, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as AxonLive from "../src/adapters/axon/axon.ts"
import { keypairFromUri } from "../src/adapters/wallet/sr25519.ts"
import { runValidator } from "../src/pipeline/validator/run.ts"
import { fleetRoutes, fleetValidatorLayers, mb, readPorts, rssOf, slope } from "./bench-support.ts"
import { DashboardReadModel } from "../src/services/dashboard-read-model.ts"

const MINERS = 256
const FLEET_IP = "127.0.0.2"
const minerKey = (i: number) => keypairFromUri(`//BenchMiner${i}`)

/** Child mode: 256 real axons answering RankingRequest (ranks by text length) and RankingResult. */
const fleet = async () => {
  const scope = Effect.runSync(Scope.make())
  const routes = fleetRoutes("bench")
  const ports: number[] = []
  for (let i = 0; i < MINERS; i++) {
    const axon = await Effect.runPromise(
      AxonLive.make({ ...AxonLive.defaultAxonConfig, hotkey: minerKey(i).ss58Address, ip: FLEET_IP, port: 0 }, routes).pipe(
        Scope.extend(scope),
        Effect.provide(Logger.minimumLogLevel(LogLevel.Warning))
      )
    )
    ports.push(axon.bound.port)
  }
  console.log(`PORTS ${JSON.stringify(ports)}`)
  // Serve until the parent closes our stdin.
  for await (const _ of Bun.stdin.stream()) void _
  await Effect.runPromise(Scope.close(scope, Exit.void))
  process.exit(0)
}

const main = async () => {
  const steps = Number(process.argv[2] ?? 150)
  const stepSeconds = Number(process.argv[3] ?? 0.05)
  const warmup = Math.min(20, Math.floor(steps / 5))
  const baseline = process.memoryUsage().rss

  const child = Bun.spawn([process.execPath, import.meta.path, "fleet"], { stdin: "pipe", stdout: "pipe", stderr: "inherit" })
  const ports = await readPorts(child.stdout)

  const dir = mkdtempSync(join(tmpdir(), "dojo-bench-memory-"))
  const runtime = ManagedRuntime.make(
    fleetValidatorLayers({
      fleet: ports.map((port, i) => ({ hotkey: minerKey(i).ss58Address, ip: FLEET_IP, port })),
      maxAllowedUids: MINERS + 1,
      settings: { stepSeconds, deadlineSeconds: 0.5, epochLength: 1, sampleSize: 10, evaluationRate: 0.25 },
      dir
    })
  )
  const stats = () => runtime.runPromise(Effect.flatMap(DashboardReadModel, (s) => s.stats))
  console.log(`validator memory: ${MINERS} miner axons (child pid ${child.pid}), ${steps} steps of ${stepSeconds} s (= ${(steps * 24) / 3600} h at 24 s), sample size 10`)
  console.log(`  before starting: rss ${mb(baseline)}`)

  const fiber = runtime.runFork(Effect.scoped(runValidator))
  const samples: Array<readonly [number, number]> = []
  const heapSamples: Array<readonly [number, number]> = []
  const started = performance.now()
  let next = 0
  let peak = 0
  for (;;) {
    const s = await stats()
    peak = Math.max(peak, process.memoryUsage().rss)
    if (s.requests >= next) {
      next = s.requests - (s.requests % 10) + 10
      Bun.gc(true)
      const { rss, heapUsed } = process.memoryUsage()
      samples.push([s.requests, rss])
      heapSamples.push([s.requests, heapUsed])
      console.log(`  step ${String(s.requests).padStart(5)}: after GC rss ${mb(rss)}, heap ${mb(heapUsed)}; scored ${s.scored}`)
    }
    if (s.requests >= steps) break
    const exit = fiber.unsafePoll()
    if (exit !== null) throw new Error(`the validator stopped: ${String(exit)}`)
    await Bun.sleep(20)
  }
  const elapsed = (performance.now() - started) / 1000
  const final = await stats()
  Bun.gc(true)
  const rssEnd = process.memoryUsage().rss
  const heapEnd = process.memoryUsage().heapUsed
  await runtime.runPromise(Fiber.interrupt(fiber))
  const fleetRss = rssOf(child.pid)
  child.stdin.end()
  await child.exited
  await runtime.dispose()
  rmSync(dir, { recursive: true, force: true })

  const steady = samples.filter(([x]) => x >= warmup)
  const perStep = steady.length >= 2 ? slope(steady) : 0
  const heapPerStep = slope(heapSamples.filter(([x]) => x >= warmup))
  const at = (n: number) => rssEnd + perStep * Math.max(0, n - final.requests)
  console.log(`\nresults (${final.requests} requests in ${elapsed.toFixed(1)} s; ${final.scored} scored; ${final.deliveriesPending} deliveries pending):`)
  console.log(`  validator rss at the end   ${mb(rssEnd)} after a full GC (JS heap ${mb(heapEnd)}); peak without forced GC ${mb(peak)}`)
  console.log(`  growth after step ${warmup}      ${(perStep / 1024).toFixed(1)} KB rss, ${(heapPerStep / 1024).toFixed(1)} KB heap per step (least squares, ${steady.length} post-GC samples)`)
  console.log(`  1 h  (150 steps)           ${mb(at(150))}${final.requests >= 150 ? " (measured)" : " (extrapolated)"}`)
  console.log(`  24 h (3600 steps)          ${mb(at(3600))} (extrapolated: end rss + slope × remaining steps)`)
  console.log(`  miner fleet (child)        ${mb(fleetRss)} for ${MINERS} axons (not counted above)`)
}

if (process.argv[2] === "fleet") await fleet()
else await main()
