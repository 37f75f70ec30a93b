/**
 * What the axon benchmarks share: the RankingRequest they send, requests signed as the SDK dendrite
 * signs them (//Alice to //Bob), the Worker load generator, and the CPU time of a thread or process.
 */
import { readFileSync } from "node:fs"
import { Either } from "effect"
import { keypairFromUri, signHex } from "../src/adapters/wallet/sr25519.ts"
import type { RankingRequest } from "../src/domain/wire/protocol.ts"
import { dendriteMessage, encodeBody, terminal, toHeaders, toJson, wireBodyHash } from "../src/domain/wire/synapse.ts"
import { RankingRequestSynapse } from "../src/domain/wire/synapses.ts"
import type { LoadJob, LoadResult } from "./http-load.worker.ts"

export const miner = keypairFromUri("//Bob")
export const validator = keypairFromUri("//Alice")

export const body: RankingRequest = {
  epoch_timestamp: 1718000000.25,
  request_id: "bench-request",
  prompt: "Write a haiku about consensus. ".repeat(4),
  n_completions: 4,
  completions: ["a", "b", "c", "d"].map((cid) => ({ cid, text: `Completion ${cid}: ${"lorem ipsum dolor sit amet ".repeat(8)}` })),
  ranks: [],
  scoring_method: null,
  model_config: null,
  mturk_hit_id: null,
  modality: "text"
}
export const wire = Either.getOrThrow(encodeBody(RankingRequestSynapse, body))
export const bodyHash = wireBodyHash(RankingRequestSynapse, wire)

/** `lanes` × `perLane` requests signed as the SDK dendrite signs them, one uuid per lane, nonces increasing. */
export const prepare = (lanes: number, perLane: number, host: string) => {
  let nonce = BigInt(Date.now()) * 1_000_000n
  return Array.from({ length: lanes }, () => {
    const uuid = crypto.randomUUID()
    return Array.from({ length: perLane }, () => {
      nonce += 1n
      const signature = signHex(validator, dendriteMessage({ nonce, dendriteHotkey: validator.ss58Address, axonHotkey: miner.ss58Address, uuid, bodyHash }))
      const envelope = {
        timeout: 60,
        dendrite: terminal({ ip: "203.0.113.7", version: 9012002, nonce, uuid, hotkey: validator.ss58Address, signature }),
        axon: terminal({ ip: host, port: 8091, hotkey: miner.ss58Address })
      }
      return { headers: { ...toHeaders(RankingRequestSynapse, envelope, wire, bodyHash), "content-type": "application/json" }, body: toJson(RankingRequestSynapse, envelope, wire) }
    })
  })
}

/** Sends the lanes from a Worker thread (so the load never shares the serving thread). */
export const load = (url: string, lanes: LoadJob["lanes"], durationMs?: number) =>
  new Promise<LoadResult>((resolve, reject) => {
    const worker = new Worker(new URL("./http-load.worker.ts", import.meta.url))
    worker.onmessage = (e: MessageEvent<LoadResult>) => {
      worker.terminate()
      resolve(e.data)
    }
    worker.onerror = (e) => reject(e)
    worker.postMessage({ url, lanes, ...(durationMs === undefined ? {} : { durationMs }) } satisfies LoadJob)
  })

/** CPU seconds (utime + stime, Linux /proc) used so far by a thread of this process or by a whole process. */
export const cpuSeconds = (statPath: string): number => {
  const stat = readFileSync(statPath, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** CPU seconds used so far by this (the main) thread. */
export const mainThreadCpu = (): number => cpuSeconds(`/proc/self/task/${process.pid}/stat`)
