/**
 * Soak: the real `runValidator` (all loops, real dendrite, SQLite file store, in-memory chain) plus its
 * scoring API, for a bounded time against 64 miners on loopback (a child process, so this process's RSS
 * is the validator's alone): 56 real axons and 8 hostile ones (a 3 MiB reply, 100k-deep JSON, bad UTF-8,
 * an overflowing number, a reply slower than the timeout, garbage, a 500, an empty body). Meanwhile a
 * client sends a stream of mixed traffic: good score requests, hostile score requests (deep, bad UTF-8,
 * over 1 MiB, wrong types, truncated) and hostile signed MTurkResponses to the validator's axon.
 *
 * Every few seconds a full GC runs and RSS, JS heap, open file descriptors and sockets are sampled;
 * after a warm-up a least-squares line gives the growth per minute. Prints figures; asserts nothing.
 * Run: `bun bench/soak.bench.ts [seconds=60] [sampleSeconds=4]`.
 */
import { Effect, Exit, Fiber, ManagedRuntime, Redacted, Scope } from "effect"
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as AxonLive from "../src/adapters/axon/axon.ts"
import { createApiKey } from "../src/adapters/http/api-keys.ts"
import { serveValidatorHttp } from "../src/adapters/http/validator-server.ts"
import { keypairFromUri } from "../src/adapters/wallet/sr25519.ts"
import type { MTurkResponse } from "../src/domain/wire/protocol.ts"
import { MTurkResponseSynapse } from "../src/domain/wire/synapses.ts"
import { runValidator } from "../src/pipeline/validator/run.ts"
import { fleetRoutes, fleetValidatorLayers, mb, readPorts, rssOf, slope } from "./bench-support.ts"
import { Chain } from "../src/services/chain.ts"
import { DashboardReadModel } from "../src/services/dashboard-read-model.ts"
import { signedRequest } from "../test/adapters/axon/axon-fixture.ts"
import { NETUID, validatorKey } from "../test/support/validator-world.ts"

const GOOD = 56
const HOSTILE = ["oversized", "deep", "utf8", "overflow", "slow", "garbage", "error", "empty"] as const
const FLEET_IP = "127.0.0.2"
const minerKey = (i: number) => keypairFromUri(`//SoakMiner${i}`)
const enc = (s: string) => new TextEncoder().encode(s)

/** Child mode: the 64 miners. */
const fleet = async () => {
  const scope = Effect.runSync(Scope.make())
  const routes = fleetRoutes("soak")
  const ports: number[] = []
  for (let i = 0; i < GOOD; i++) {
    const axon = await Effect.runPromise(AxonLive.make({ ...AxonLive.defaultAxonConfig, hotkey: minerKey(i).ss58Address, ip: FLEET_IP, port: 0 }, routes).pipe(Scope.extend(scope)))
    ports.push(axon.bound.port)
  }
  const big = new Uint8Array(3 * 1024 * 1024).fill(0x61)
  const replies: Record<(typeof HOSTILE)[number], () => Response | Promise<Response>> = {
    oversized: () => new Response(new Blob([enc('{"prompt": "'), big, enc('"}')])),
    deep: () => new Response(`{"ranks": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`),
    utf8: () => new Response(new Blob([enc('{"ranks": [{"cid": "'), new Uint8Array([0xff, 0xfe]), enc('"}]}')])),
    overflow: () => new Response('{"ranks": [{"cid": "x", "score": 1e999}]}'),
    slow: () => Bun.sleep(3_000).then(() => new Response("{}")),
    garbage: () => new Response("<html>not json</html>"),
    error: () => new Response('{"message": "boom"}', { status: 500 }),
    empty: () => new Response("")
  }
  for (const mode of HOSTILE) {
    const server = Bun.serve({ hostname: FLEET_IP, port: 0, fetch: async (req) => (await req.arrayBuffer(), replies[mode]()) })
    ports.push(server.port!)
  }
  console.log(`PORTS ${JSON.stringify(ports)}`)
  for await (const _ of Bun.stdin.stream()) void _
  await Effect.runPromise(Scope.close(scope, Exit.void))
  process.exit(0)
}

const fds = () => {
  const all = readdirSync("/proc/self/fd")
  let sockets = 0
  for (const fd of all) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:")) sockets++
    } catch {
      // closed between the listing and the read
    }
  }
  return { fds: all.length, sockets }
}


const main = async () => {
  const seconds = Number(process.argv[2] ?? 60)
  const sampleSeconds = Number(process.argv[3] ?? 4)
  const warmup = Math.min(15, seconds / 4)

  const child = Bun.spawn([process.execPath, import.meta.path, "fleet"], { stdin: "pipe", stdout: "pipe", stderr: "inherit" })
  const ports = await readPorts(child.stdout)

  const dir = mkdtempSync(join(tmpdir(), "dojo-bench-soak-"))
  const runtime = ManagedRuntime.make(
    fleetValidatorLayers({
      fleet: ports.map((port, i) => ({ hotkey: minerKey(i).ss58Address, ip: FLEET_IP, port })),
      maxAllowedUids: ports.length + 1,
      settings: { stepSeconds: 0.25, deadlineSeconds: 0.5, queryTimeoutSeconds: 1, epochLength: 1, sampleSize: 16, evaluationRate: 0.25 },
      dir
    })
  )
  const scope = Effect.runSync(Scope.make())
  const http = await runtime.runPromise(serveValidatorHttp({ ip: "127.0.0.5", port: 0 }).pipe(Scope.extend(scope)))
  const api = `http://127.0.0.5:${http.port}`
  const key = Redacted.value((await runtime.runPromise(createApiKey({ name: "soak", rateLimitPerMinute: 1_000_000 }))).key)
  const fiber = runtime.runFork(Effect.scoped(runValidator))

  // The validator's axon, once it is served on chain.
  let axonUrl = ""
  while (axonUrl === "") {
    const metagraph = await runtime.runPromise(Effect.flatMap(Chain, (c) => c.metagraph(NETUID)))
    const me = metagraph.neurons.find((n) => n.hotkey === validatorKey.ss58Address)
    if (me !== undefined && me.axon.port !== 0) axonUrl = `http://127.0.0.3:${me.axon.port}`
    else await Bun.sleep(50)
  }

  const statuses = new Map<string, number>()
  const count = (what: string, status: number | string) => statuses.set(`${what} ${status}`, (statuses.get(`${what} ${status}`) ?? 0) + 1)
  const good = JSON.stringify({ prompt: "Which is clearer?", completions: ["the first answer", "the second, longer answer"] })
  const hostileScores: ReadonlyArray<string | Uint8Array> = [
    `{"prompt": ${"[".repeat(200_000)}${"]".repeat(200_000)}, "completions": ["a", "b"]}`,
    new Uint8Array([...enc('{"prompt": "'), 0xff, ...enc('", "completions": ["a", "b"]}')]),
    '{"prompt": "\\ud800", "completions": ["a", "b"]}',
    '{"prompt": 1e999, "completions": ["a", "b"]}',
    JSON.stringify({ prompt: "x".repeat(1_100_000), completions: ["a", "b"] }),
    '{"prompt": "p", "completions": "ab"}',
    good.slice(0, 20)
  ]
  const mturk: MTurkResponse = { mturk_hit_id: "3SOAKHIT", aws_credentials: null, completion_id_to_score: { c: 0.5 }, request_id: "nope" }
  const hostileAxon = [`{"mturk_hit_id": ${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}}`, '{"mturk_hit_id": "\\udfff"}', "{", "[]"]
  let stop = false
  let sent = 0
  const client = async (lane: number) => {
    while (!stop) {
      const pick = (sent++ + lane) % 8
      try {
        if (pick === 0) {
          const r = await fetch(`${api}/api/v1/score`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: good })
          await r.arrayBuffer()
          count("score good", r.status)
        } else if (pick <= 4) {
          const body = hostileScores[sent % hostileScores.length]!
          const r = await fetch(`${api}/api/v1/score`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body })
          await r.arrayBuffer()
          count("score hostile", r.status)
        } else {
          const signed = signedRequest({ definition: MTurkResponseSynapse, body: mturk, signer: minerKey(sent % GOOD), axonHotkey: validatorKey.ss58Address })
          const r = await fetch(`${axonUrl}/MTurkResponse`, { method: "POST", headers: signed.headers, body: hostileAxon[sent % hostileAxon.length]! })
          await r.arrayBuffer()
          count("axon hostile", r.status)
        }
      } catch (e) {
        count("client error", e instanceof Error ? e.name : "unknown")
      }
      await Bun.sleep(5)
    }
  }

  console.log(`soak: validator + ${ports.length} miners (${GOOD} real axons, ${HOSTILE.length} hostile: ${HOSTILE.join(", ")}) for ${seconds} s, 8 client lanes of mixed traffic`)
  const lanes = [0, 1, 2, 3, 4, 5, 6, 7].map(client)
  const started = performance.now()
  const rss: Array<readonly [number, number]> = []
  const heap: Array<readonly [number, number]> = []
  const fdSamples: Array<readonly [number, number]> = []
  const sockSamples: Array<readonly [number, number]> = []
  while ((performance.now() - started) / 1000 < seconds) {
    await Bun.sleep(sampleSeconds * 1000)
    const exit = fiber.unsafePoll()
    if (exit !== null) throw new Error(`the validator stopped: ${String(exit)}`)
    Bun.gc(true)
    const t = (performance.now() - started) / 1000
    const mem = process.memoryUsage()
    const handles = fds()
    const s = await runtime.runPromise(Effect.flatMap(DashboardReadModel, (x) => x.stats))
    rss.push([t, mem.rss])
    heap.push([t, mem.heapUsed])
    fdSamples.push([t, handles.fds])
    sockSamples.push([t, handles.sockets])
    console.log(
      `  t=${t.toFixed(0).padStart(4)} s  rss ${mb(mem.rss).padStart(9)}  heap ${mb(mem.heapUsed).padStart(8)}  fds ${String(handles.fds).padStart(4)}  sockets ${String(handles.sockets).padStart(4)}  requests ${s.requests}  sent ${sent}`
    )
  }
  stop = true
  await Promise.all(lanes)
  const fleetRss = rssOf(child.pid)
  await runtime.runPromise(Fiber.interrupt(fiber))
  await Effect.runPromise(Scope.close(scope, Exit.void))
  child.stdin.end()
  await child.exited
  await runtime.dispose()
  rmSync(dir, { recursive: true, force: true })

  const after = <T extends readonly [number, number]>(xs: ReadonlyArray<T>) => xs.filter(([t]) => t >= warmup)
  const perMin = (xs: ReadonlyArray<readonly [number, number]>) => slope(after(xs)) * 60
  console.log(`\nresults after a ${warmup} s warm-up (${after(rss).length} post-GC samples, least squares):`)
  const median = (xs: ReadonlyArray<readonly [number, number]>) => [...xs].map(([, y]) => y).sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
  const steady = after(rss)
  const third = Math.max(1, Math.floor(steady.length / 3))
  console.log(`  rss     ${mb(rss.at(-1)![1])} at the end; slope ${(perMin(rss) / 1048576).toFixed(2)} MB/min; median ${mb(median(steady.slice(0, third)))} in the first third, ${mb(median(steady.slice(-third)))} in the last`)
  console.log(`  heap    ${mb(heap.at(-1)![1])} at the end; slope ${(perMin(heap) / 1048576).toFixed(2)} MB/min`)
  console.log(`  fds     ${fdSamples.at(-1)![1]} at the end; slope ${perMin(fdSamples).toFixed(2)} per min (sockets ${sockSamples.at(-1)![1]}, slope ${perMin(sockSamples).toFixed(2)} per min)`)
  console.log(`  traffic ${sent} client requests: ${[...statuses.entries()].sort().map(([k, v]) => `${k}×${v}`).join(", ")}`)
  console.log(`  miner fleet (child) ${mb(fleetRss)} (not counted above)`)
}

if (process.argv[2] === "fleet") await fleet()
else await main()
