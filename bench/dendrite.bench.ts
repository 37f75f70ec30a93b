/**
 * Dendrite fan-out: one RankingRequest to 256 local axons with `callMany`, several rounds (the first pays
 * for connections; later rounds reuse keep-alive ones). Per round: wall time, the first→last spread of
 * arrivals at the axons (target ≤ 50 ms), and the time spent signing before the first arrival. Run twice:
 * against echo stubs (the dendrite's own cost) and against real axons (full verification, all 256 sharing
 * one other thread). Prints figures; asserts nothing.
 */
import { Effect, ManagedRuntime } from "effect"
import * as DendriteLive from "../src/adapters/dendrite/dendrite.ts"
import { keypairFromSeed, keypairFromUri } from "../src/adapters/wallet/sr25519.ts"
import { RankingRequestSynapse } from "../src/domain/wire/synapses.ts"
import { Dendrite, type DendriteResponse } from "../src/services/dendrite.ts"
import type { FleetMessage } from "./axon-fleet.worker.ts"
import { body } from "./signed-requests.ts"

const AXONS = Number(process.env.DENDRITE_BENCH_AXONS ?? 256)
const ROUNDS = 4

const hotkeys = Array.from({ length: AXONS }, (_, i) => {
  const seed = new Uint8Array(32)
  new DataView(seed.buffer).setUint32(0, i + 1)
  return keypairFromSeed(seed).ss58Address
})

const epochMs = () => performance.timeOrigin + performance.now()
const runtime = ManagedRuntime.make(DendriteLive.layer({ hotkey: keypairFromUri("//Alice") }))

const ask = <A>(worker: Worker, message: FleetMessage) =>
  new Promise<A>((resolve) => {
    worker.onmessage = (e: MessageEvent<A>) => resolve(e.data)
    worker.postMessage(message)
  })

const statusCounts = (rs: ReadonlyArray<DendriteResponse<unknown>>) => {
  const counts: Record<number, number> = {}
  for (const r of rs) counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1
  return JSON.stringify(counts)
}

const run = async (mode: "echo" | "axon") => {
  const worker = new Worker(new URL("./axon-fleet.worker.ts", import.meta.url))
  const { ports } = await ask<{ ports: number[] }>(worker, { type: "start", mode, hotkeys })
  const targets = ports.map((port, i) => ({ ip: "127.0.0.2", port, hotkey: hotkeys[i]! }))
  console.log(`\n${mode === "echo" ? "echo stubs (dendrite cost only)" : "real axons (full verification, one shared thread)"}: ${AXONS} targets`)
  for (let round = 1; round <= ROUNDS; round++) {
    const t0 = epochMs()
    const responses = await runtime.runPromise(Effect.flatMap(Dendrite, (d) => d.callMany(targets, RankingRequestSynapse, body, { timeout: 30 })))
    const wall = epochMs() - t0
    const { arrivals } = await ask<{ arrivals: number[] }>(worker, { type: "arrivals" })
    const first = Math.min(...arrivals)
    const spread = Math.max(...arrivals) - first
    console.log(
      `  round ${round}: wall ${wall.toFixed(1).padStart(7)} ms   arrival spread ${spread.toFixed(1).padStart(6)} ms (target ≤ 50)   ` +
        `signing before first arrival ${(first - t0).toFixed(1).padStart(6)} ms   statuses ${statusCounts(responses)}`
    )
  }
  await ask(worker, { type: "stop" })
  worker.terminate()
}

await run("echo")
await run("axon")
await runtime.dispose()
