/**
 * Side by side with the real Python SDK (bittensor 10.5.0, in the pinned sdk10 venv), on this machine:
 * 1. Verified RankingRequests per second of our axon and of the SDK's Axon (FastAPI/uvicorn) serving
 *    the same handler (a rank per completion), under the same load generator (ours, a Worker thread
 *    sending requests signed as the SDK dendrite signs them), at 1 and 64 connections, a few seconds
 *    each: requests/s, CPU seconds per request of the serving side (our main thread; the whole Python
 *    process), p50/p99 latency.
 * 2. Dendrite fan-out of one RankingRequest to 256 local axons (echo stubs, then our real axons): our
 *    `callMany` and the SDK's `Dendrite.forward` over the same 256: wall time and first→last arrival
 *    spread per round.
 * Prints the figures and the ratios; asserts nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, ManagedRuntime, Scope } from "effect"
import * as AxonLive from "../src/adapters/axon/axon.ts"
import * as DendriteLive from "../src/adapters/dendrite/dendrite.ts"
import { keypairFromSeed } from "../src/adapters/wallet/sr25519.ts"
import { RankingRequestSynapse } from "../src/domain/wire/synapses.ts"
import { axonRoute } from "../src/services/axon.ts"
import { Dendrite } from "../src/services/dendrite.ts"
import { type PythonEnv, pythonEnv, peerResult, runPython, spawnPython } from "../test/support/python-env.ts"
import type { FleetMessage } from "./axon-fleet.worker.ts"
import type { LoadResult } from "./http-load.worker.ts"
import { body, cpuSeconds, load, mainThreadCpu, miner, prepare, validator } from "./signed-requests.ts"

const HOST = "127.0.0.2"
const SECONDS = Number(process.env.PY_BENCH_SECONDS ?? 3)
const AXONS = 256
const ROUNDS = 3

let py: PythonEnv
try {
  py = await pythonEnv("sdk10")
} catch (e) {
  console.log(`python-sdk bench: cannot run without the pinned Python SDK: ${(e as Error).message}`)
  process.exit(1)
}

const percentile = (xs: ReadonlyArray<number>, p: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}
const median = (xs: ReadonlyArray<number>) => percentile(xs, 50)

interface AxonFigures {
  readonly rps: number
  readonly cpuPerRequestMs: number
  readonly p50: number
  readonly p99: number
  readonly statuses: LoadResult["statuses"]
}

/** One timed load against a server; `cpu` reads the serving side's CPU seconds. */
const measure = async (url: string, lanes: number, cpu: () => number): Promise<AxonFigures> => {
  // Enough pre-signed requests for SECONDS at a rate no axon here reaches; the deadline ends the run.
  const perLane = lanes === 1 ? 2_500 * SECONDS : 60 * SECONDS
  // Warm up first (JIT, wasm, connection pool): a cold first case otherwise pays the one-off costs.
  await load(url, prepare(lanes, lanes === 1 ? 200 : 4, HOST))
  const requests = prepare(lanes, perLane, HOST)
  const cpu0 = cpu()
  const r = await load(url, requests, SECONDS * 1000)
  const ok = r.statuses[200] ?? 0
  return {
    rps: (ok / r.elapsedMs) * 1000,
    cpuPerRequestMs: ((cpu() - cpu0) / ok) * 1000,
    p50: percentile(r.latenciesMs, 50),
    p99: percentile(r.latenciesMs, 99),
    statuses: r.statuses
  }
}

// ---- 1. axons ----------------------------------------------------------------------------------
const axonScope = Effect.runSync(Scope.make())
const ours = await Effect.runPromise(
  AxonLive.make({ ...AxonLive.defaultAxonConfig, hotkey: miner.ss58Address, ip: HOST, port: 0, maxWorkers: 64, maxQueue: 1024 }, [
    axonRoute(RankingRequestSynapse, {
      forward: (_, b) => Effect.succeed({ ...b, ranks: b.completions.map((c, i) => ({ cid: c.cid, score: i })), scoring_method: "hf_model" as const })
    })
  ]).pipe(Scope.extend(axonScope))
)
const walletDir = mkdtempSync(join(tmpdir(), "dojo-bench-py-axon-"))
const pyPort = 20_000 + Math.floor(Math.random() * 20_000)
const pyAxon = await spawnPython<{ port: number; pid: number; hotkey: string }>(py, ["sdk_axon_peer.py", walletDir, String(pyPort)], { readyMs: 60_000 })
if (pyAxon.ready.hotkey !== miner.ss58Address) throw new Error("the Python axon's hotkey is not //Bob")

const axonRows: Array<{ conns: number; ours: AxonFigures; sdk: AxonFigures }> = []
try {
  for (const conns of [1, 64]) {
    const o = await measure(`http://${HOST}:${ours.bound.port}/RankingRequest`, conns, mainThreadCpu)
    const s = await measure(`http://${HOST}:${pyAxon.ready.port}/RankingRequest`, conns, () => cpuSeconds(`/proc/${pyAxon.ready.pid}/stat`))
    axonRows.push({ conns, ours: o, sdk: s })
  }
} finally {
  await pyAxon.stop()
  await Effect.runPromise(Scope.close(axonScope, Exit.void))
  rmSync(walletDir, { recursive: true, force: true })
}

const f = (n: number, d = 0, w = 7) => n.toFixed(d).padStart(w)
console.log(`axons side by side: our axon vs the Python SDK ${py.sdkVersion} Axon, same RankingRequest handler, ${SECONDS} s per case, load from our TS Worker (signed //Alice → //Bob)`)
console.log(`  (load average ${readFileSync("/proc/loadavg", "utf8").split(" ")[0]}; CPU = our axon's main thread, the whole Python process)`)
for (const row of axonRows) {
  for (const [label, x] of [["ours", row.ours], ["python sdk", row.sdk]] as const) {
    console.log(
      `  ${String(row.conns).padStart(2)} conn  ${label.padEnd(10)} ${f(x.rps)} verified req/s   ${f(x.cpuPerRequestMs, 3)} CPU-ms/req   ` +
        `p50 ${f(x.p50, 2)} ms   p99 ${f(x.p99, 2)} ms   statuses ${JSON.stringify(x.statuses)}`
    )
  }
  console.log(
    `  ${String(row.conns).padStart(2)} conn  ratio ours/python: ${(row.ours.rps / row.sdk.rps).toFixed(1)}× req/s, ` +
      `${(row.sdk.cpuPerRequestMs / row.ours.cpuPerRequestMs).toFixed(1)}× less CPU per request, p50 ${(row.sdk.p50 / row.ours.p50).toFixed(1)}× lower, p99 ${(row.sdk.p99 / row.ours.p99).toFixed(1)}× lower`
  )
}

// ---- 2. dendrite fan-out -----------------------------------------------------------------------
const hotkeys = Array.from({ length: AXONS }, (_, i) => {
  const seed = new Uint8Array(32)
  new DataView(seed.buffer).setUint32(0, i + 1)
  return keypairFromSeed(seed).ss58Address
})
const ask = <A>(worker: Worker, message: FleetMessage) =>
  new Promise<A>((resolve) => {
    worker.onmessage = (e: MessageEvent<A>) => resolve(e.data)
    worker.postMessage(message)
  })
const epochMs = () => performance.timeOrigin + performance.now()
interface Round {
  readonly wall: number
  readonly spread: number
  readonly statuses: string
}
const spreadOf = (arrivals: ReadonlyArray<number>) => (arrivals.length === 0 ? NaN : Math.max(...arrivals) - Math.min(...arrivals))

const fmtRound = (r: Round) => `wall ${f(r.wall, 1)} ms   first→last arrival ${f(r.spread, 1)} ms   statuses ${r.statuses}`
const warm = (rs: ReadonlyArray<Round>, k: "wall" | "spread") => median(rs.slice(1).map((r) => r[k]))

/** Both dendrites against one fleet: echo stubs (the dendrite's own cost) or our real axons (full verification). */
const fanOut = async (mode: "echo" | "axon") => {
  const fleet = new Worker(new URL("./axon-fleet.worker.ts", import.meta.url))
  const { ports } = await ask<{ ports: number[] }>(fleet, { type: "start", mode, hotkeys })
  const targets = ports.map((port, i) => ({ ip: HOST, port, hotkey: hotkeys[i]! }))
  const runtime = ManagedRuntime.make(DendriteLive.layer({ hotkey: validator }))
  const ourRounds: Round[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = epochMs()
    const responses = await runtime.runPromise(Effect.flatMap(Dendrite, (d) => d.callMany(targets, RankingRequestSynapse, body, { timeout: 30 })))
    const wall = epochMs() - t0
    const { arrivals } = await ask<{ arrivals: number[] }>(fleet, { type: "arrivals" })
    const counts: Record<number, number> = {}
    for (const r of responses) counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1
    ourRounds.push({ wall, spread: spreadOf(arrivals), statuses: JSON.stringify(counts) })
  }
  await runtime.dispose()

  // The SDK dendrite runs its rounds in one process; arrivals are split by each round's start time.
  const pyRun = await runPython(py, ["sdk_dendrite_fanout.py"], { stdin: JSON.stringify({ targets, rounds: ROUNDS, pause_s: 0.5 }) })
  const { arrivals: pyArrivals } = await ask<{ arrivals: number[] }>(fleet, { type: "arrivals" })
  await ask(fleet, { type: "stop" })
  fleet.terminate()
  const pyJob = peerResult<{
    rounds: Array<{ start: number; wall: number; statuses: Record<string, number>; errors: string[] }>
  }>(pyRun, "sdk_dendrite_fanout.py")
  const pyRounds: Round[] = pyJob.rounds.map((r, i) => {
    const end = pyJob.rounds[i + 1]?.start ?? Infinity
    return {
      wall: r.wall,
      spread: spreadOf(pyArrivals.filter((a) => a >= r.start && a < end)),
      statuses: JSON.stringify(r.statuses) + (r.errors.length > 0 ? ` ${JSON.stringify(r.errors)}` : "")
    }
  })

  console.log(
    `\ndendrite fan-out: one RankingRequest to ${AXONS} local ${mode === "echo" ? "echo stubs (the dendrite's own cost; they send no axon status headers, so the SDK reports None)" : "axons (ours, full verification, all 256 in one shared thread)"}, ${ROUNDS} rounds (round 1 opens the connections)`
  )
  for (const [label, rounds] of [["ours", ourRounds], ["python sdk", pyRounds]] as const) {
    rounds.forEach((r, i) => console.log(`  ${label.padEnd(10)} round ${i + 1}: ${fmtRound(r)}`))
  }
  console.log(
    `  warm rounds, median: ours wall ${warm(ourRounds, "wall").toFixed(1)} ms, spread ${warm(ourRounds, "spread").toFixed(1)} ms; ` +
      `python wall ${warm(pyRounds, "wall").toFixed(1)} ms, spread ${warm(pyRounds, "spread").toFixed(1)} ms; ` +
      `ratio python/ours: wall ${(warm(pyRounds, "wall") / warm(ourRounds, "wall")).toFixed(1)}×, spread ${(warm(pyRounds, "spread") / warm(ourRounds, "spread")).toFixed(1)}×`
  )
}

await fanOut("echo")
await fanOut("axon")
