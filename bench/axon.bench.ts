/**
 * Axon throughput with full verification (headers, nonce, sr25519 signature, body decode and hash) at
 * concurrency 64 on loopback, printed beside, in the same run, the sr25519 verifications per second one
 * thread can do (the ceiling: every request costs one verification) and what raw Bun.serve and a no-op
 * Effect HttpServer route sustain under the same load. The load comes from a Worker thread with
 * pre-signed requests. The machine is shared, so besides wall-clock rates every figure is also given per
 * CPU-second of the serving thread (from /proc, Linux): that ratio does not move with other load.
 * Prints figures; asserts nothing.
 */
import { readFileSync } from "node:fs"
import { HttpMiddleware, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { BunHttpServer } from "@effect/platform-bun"
import { Effect, Exit, Scope } from "effect"
import * as AxonLive from "../src/adapters/axon/axon.ts"
import { signHex, verify } from "../src/adapters/wallet/sr25519.ts"
import { dendriteMessage } from "../src/domain/wire/synapse.ts"
import { RankingRequestSynapse } from "../src/domain/wire/synapses.ts"
import { axonRoute } from "../src/services/axon.ts"
import type { LoadJob, LoadResult } from "./http-load.worker.ts"
import { bodyHash, load as loadFrom, mainThreadCpu, miner, prepare as prepareFor, validator } from "./signed-requests.ts"

const CONCURRENCY = 64
const REQUESTS = Number(process.env.AXON_BENCH_REQUESTS ?? 5_120)
const HOST = "127.0.0.2"
const prepare = (lanes: number, perLane: number) => prepareFor(lanes, perLane, HOST)
const load = (url: string, lanes: LoadJob["lanes"]) => loadFrom(url, lanes)

const perSecond = (r: LoadResult) => ((r.statuses[200] ?? 0) / r.elapsedMs) * 1000
const fmt = (n: number) => n.toFixed(0).padStart(7)

/** Runs a load and returns the wall-clock result and the serving thread's CPU seconds. */
const measure = async (url: string, lanes: LoadJob["lanes"]) => {
  const cpu0 = mainThreadCpu()
  const result = await load(url, lanes)
  return { result, cpu: mainThreadCpu() - cpu0 }
}
const perCpuSecond = (m: { result: LoadResult; cpu: number }) => (m.result.statuses[200] ?? 0) / m.cpu

// 1. The ceiling: sr25519 verifications per second on this thread.
const message = dendriteMessage({ nonce: 1n, dendriteHotkey: validator.ss58Address, axonHotkey: miner.ss58Address, uuid: "u", bodyHash })
const signature = signHex(validator, message)
for (let i = 0; i < 300; i++) verify(message, signature, validator.ss58Address)
const VERIFICATIONS = 4000
let t = performance.now()
const verifyCpu0 = mainThreadCpu()
for (let i = 0; i < VERIFICATIONS; i++) verify(message, signature, validator.ss58Address)
const verifyRate = (VERIFICATIONS / (performance.now() - t)) * 1000
const verifyPerCpu = VERIFICATIONS / (mainThreadCpu() - verifyCpu0)

const perLane = Math.ceil(REQUESTS / CONCURRENCY)
t = performance.now()
const warmLanes = prepare(CONCURRENCY, 10)
const lanes = prepare(CONCURRENCY, perLane)
const prepMs = performance.now() - t

// 2. Raw Bun.serve: read the body, answer with a body of the same size.
const replyText = lanes[0]![0]!.body
const raw = Bun.serve({
  hostname: HOST,
  port: 0,
  fetch: async (req) => {
    await req.text()
    return new Response(replyText, { headers: { "content-type": "application/json" } })
  }
})
await load(`http://${HOST}:${raw.port}/RankingRequest`, warmLanes)
const rawRun = await measure(`http://${HOST}:${raw.port}/RankingRequest`, lanes)
raw.stop(true)

// 3. A no-op app on @effect/platform's HttpServer, served the way the axon serves (no router, no span).
const effectScope = Effect.runSync(Scope.make())
const effectPort = await Effect.runPromise(
  Effect.gen(function* () {
    const server = yield* BunHttpServer.make({ hostname: HOST, port: 0 })
    const app = Effect.flatMap(HttpServerRequest.HttpServerRequest, (req) => req.text).pipe(
      Effect.map(() => HttpServerResponse.text(replyText, { contentType: "application/json" })),
      Effect.orDie
    )
    yield* HttpServer.serveEffect(app).pipe(
      Effect.provideService(HttpServer.HttpServer, server),
      Effect.locally(HttpMiddleware.currentTracerDisabledWhen, () => true)
    )
    return server.address._tag === "TcpAddress" ? server.address.port : 0
  }).pipe(Scope.extend(effectScope))
)
await load(`http://${HOST}:${effectPort}/RankingRequest`, warmLanes)
const effectRun = await measure(`http://${HOST}:${effectPort}/RankingRequest`, lanes)
await Effect.runPromise(Scope.close(effectScope, Exit.void))

// 4. The axon, full verification, trivial handler.
const axonScope = Effect.runSync(Scope.make())
const axon = await Effect.runPromise(
  AxonLive.make({ ...AxonLive.defaultAxonConfig, hotkey: miner.ss58Address, ip: HOST, port: 0, maxWorkers: CONCURRENCY, maxQueue: 1024 }, [
    axonRoute(RankingRequestSynapse, {
      forward: (_, b) => Effect.succeed({ ...b, ranks: b.completions.map((c, i) => ({ cid: c.cid, score: i })), scoring_method: "hf_model" as const })
    })
  ]).pipe(Scope.extend(axonScope))
)
const axonUrl = `http://${HOST}:${axon.bound.port}/RankingRequest`
const axonLanes = prepare(CONCURRENCY, perLane)
await load(axonUrl, prepare(CONCURRENCY, 10))
const axonRun = await measure(axonUrl, axonLanes)
await Effect.runPromise(Scope.close(axonScope, Exit.void))

const line = (label: string, wall: number, perCpu: number, unit: string, statuses?: LoadResult) =>
  console.log(
    `  ${label.padEnd(36)} ${fmt(wall)} ${unit}/s wall   ${fmt(perCpu)} ${unit}/CPU-s` + (statuses ? `   statuses ${JSON.stringify(statuses.statuses)}` : "")
  )
console.log(`axon benchmark: ${CONCURRENCY} concurrent lanes, ${CONCURRENCY * perLane} requests of ${replyText.length} B, loopback ${HOST}`)
console.log(`  (requests pre-signed in ${prepMs.toFixed(0)} ms; load from a Worker thread; load average ${readFileSync("/proc/loadavg", "utf8").split(" ")[0]})`)
line("sr25519 verify ceiling, 1 thread", verifyRate, verifyPerCpu, "verifications")
line("raw Bun.serve", perSecond(rawRun.result), perCpuSecond(rawRun), "requests", rawRun.result)
line("Effect HttpServer, no-op app", perSecond(effectRun.result), perCpuSecond(effectRun), "requests", effectRun.result)
line("axon, full verification", perSecond(axonRun.result), perCpuSecond(axonRun), "synapses", axonRun.result)
console.log(
  `  axon / verify ceiling: ${((perCpuSecond(axonRun) / verifyPerCpu) * 100).toFixed(0)} % per CPU-second ` +
    `(${((perSecond(axonRun.result) / verifyRate) * 100).toFixed(0)} % wall-clock)   target ≥ 80 %`
)
