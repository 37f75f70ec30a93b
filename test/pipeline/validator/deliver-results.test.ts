/**
 * RankingResult delivery when the network reorders requests. An axon (ours and the SDK's) refuses a
 * nonce that is not above the last one it accepted from the same dendrite session (401 "Nonce is too
 * old"). `deliverResults` sends up to 16 results at once from the validator's single dendrite session,
 * several of them to the same miner when the miner took part in several scored requests; if the first
 * one signed reaches the miner last, the miner refuses it and it waits for a retry (5 s, 20 s, then
 * given up after 3 attempts).
 *
 * Here a TCP proxy in front of the miner holds the first connection for 150 ms, so the first-signed
 * result arrives last, deterministically. The dendrite leases a separate session per call in flight to
 * one axon, so all three arrive (with one shared session only 2 of 3 did).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { Effect, ManagedRuntime } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, connect, type Server } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { deliverResults } from "../../../src/pipeline/validator/deliver-results.ts"
import { scoreDueRequests } from "../../../src/pipeline/validator/score-due-requests.ts"
import { RequestLedger } from "../../../src/services/request-ledger.ts"
import { testRankingRequest } from "../../support/fixtures.ts"
import { startTestMinerNode, type TestMinerNode } from "../../support/validator-miners.ts"
import { minerKeys, testValidatorSettings, worldChain, worldLayers, writeSyntheticJsonl } from "../../support/validator-world.ts"

setDefaultTimeout(30_000)

const dir = mkdtempSync(join(tmpdir(), "dojo-validator-deliver-"))
const pairs = writeSyntheticJsonl(dir, "pairs.jsonl", 4, 9)
let miner: TestMinerNode
let proxy: Server
let holdFirstMs = 0

/** A TCP proxy on 127.0.0.8 to the miner's axon that holds its first connection `holdFirstMs`. */
const startProxy = (target: { ip: string; port: number }) =>
  new Promise<Server>((resolve) => {
    let connections = 0
    const server = createServer((client) => {
      const delay = connections++ === 0 ? holdFirstMs : 0
      client.pause()
      const upstream = connect(target.port, target.ip)
      upstream.on("error", () => client.destroy())
      client.on("error", () => upstream.destroy())
      setTimeout(() => {
        client.pipe(upstream)
        upstream.pipe(client)
        client.resume()
      }, delay)
    })
    server.listen(0, "127.0.0.8", () => resolve(server))
  })

beforeAll(async () => {
  miner = await startTestMinerNode({ key: minerKeys.good, behaviour: "good", ip: "127.0.0.2" })
  proxy = await startProxy({ ip: miner.axon.bound.ip, port: miner.axon.bound.port })
})
afterAll(async () => {
  await miner.stop()
  proxy.close()
  rmSync(dir, { recursive: true, force: true })
})

const request = (id: string): RankingRequest =>
  testRankingRequest({
    request_id: id,
    prompt: "How do I tune a violin?",
    completions: [
      { cid: "a", text: "First check each string carefully, then tune it gently." },
      { cid: "b", text: "Whatever, google it." }
    ]
  })

describe("deliverResults when requests reach a miner out of order", () => {
  test("every RankingResult for one miner in one pass arrives, whatever order the network delivers them in", async () => {
    const address = proxy.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    const world = ManagedRuntime.make(
      worldLayers({
        chain: worldChain([{ hotkey: minerKeys.good.ss58Address, axon: { ip: "127.0.0.8", port } }]),
        settings: testValidatorSettings({ deadlineSeconds: 0 }),
        seedPath: pairs
      })
    )
    try {
      const now = Date.now() / 1000
      for (const id of ["r1", "r2", "r3"])
        await world.runPromise(
          Effect.flatMap(RequestLedger, (s) =>
            s.saveRequest({
              request: request(id),
              kind: "seed",
              createdAt: now,
              deadlineAt: now,
              responses: [
                {
                  hotkey: minerKeys.good.ss58Address,
                  uid: 1,
                  scoringMethod: "hf_model",
                  modelConfig: null,
                  ranks: [
                    { cid: "a", score: 0.9 },
                    { cid: "b", score: 0.1 }
                  ],
                  mturkHitId: null,
                  humanVerified: false,
                  source: "axon",
                  receivedAt: now
                }
              ]
            })
          )
        )
      expect(await world.runPromise(scoreDueRequests())).toBe(3)
      holdFirstMs = 150
      const delivered = await world.runPromise(deliverResults())
      expect(miner.results.map((r) => r.request_id).sort()).toEqual(["r1", "r2", "r3"])
      expect(delivered).toBe(3)
    } finally {
      await world.dispose()
    }
  })
})
