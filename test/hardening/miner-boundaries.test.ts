/**
 * The miner's two inbound boundaries under hostile input, over real HTTP on loopback: its axon
 * (RankingRequest and RankingResult, validly signed by a registered validator) and its MTurk callback
 * (validly HMAC-signed). Regression cases first (each answered 500 before the JSON limits: deep nesting
 * recursed in the Schema error formatter), then fast-check fuzzing with the property: a 4xx with a
 * message, every table of the store unchanged, and the next good request still served.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { BunHttpServer } from "@effect/platform-bun"
import { Effect, Exit, Layer, ManagedRuntime, Option, Redacted, Scope } from "effect"
import fc from "fast-check"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { defaultAxonConfig, layer as axonLayer } from "../../src/adapters/axon/axon.ts"
import * as ChainMemory from "../../src/adapters/chain/memory.ts"
import * as MinerStoreSql from "../../src/adapters/store/miner-store-sql.ts"
import { layerDev } from "../../src/adapters/wallet/wallet-fs.ts"
import { signCallback } from "../../src/domain/mturk/callback-auth.ts"
import type { RankingRequest, RankingResult } from "../../src/domain/wire/protocol.ts"
import { RankingRequestSynapse, RankingResultSynapse } from "../../src/domain/wire/synapses.ts"
import { CALLBACK_PATH, serveCallbackApi } from "../../src/adapters/http/human-feedback-callback.ts"
import { startMiner } from "../../src/pipeline/miner/serve.ts"
import { MinerSettings } from "../../src/pipeline/miner/settings.ts"
import { Scorer } from "../../src/services/scorer.ts"
import { MinerStore } from "../../src/services/miner-store.ts"
import { signedRequest } from "../adapters/axon/axon-fixture.ts"
import { minerHotkey, NETUID, rankingRequest, subnetNeurons, testSettings, validatorKey } from "../pipeline/miner/miner-fixture.ts"
import { assertRefusedCleanly, contentTypes, FUZZ_RUNS, hostileBodies, postRaw, storeDigest, type HostileBody, type Seen, withBytesAt } from "../support/hostile-inputs.ts"
import { crowdFormAnswerXml } from "../support/stubs/mturk.ts"

setDefaultTimeout(60_000)

const SECRET = Redacted.make("callback-secret-for-the-fuzz-test")
const HIT = "3FUZZHITAAAAAAAAAAAAAAAAAAAAAA"
const dir = mkdtempSync(join(tmpdir(), "dojo-miner-boundaries-"))
const storeFile = join(dir, "miner.sqlite")

const runtime = ManagedRuntime.make(
  Layer.mergeAll(
    ChainMemory.layer({ subnets: [{ netuid: NETUID, neurons: subnetNeurons() }] }),
    layerDev("//Bob"),
    axonLayer({ ...defaultAxonConfig, hotkey: minerHotkey.ss58Address, ip: "127.0.0.2", port: 0 }),
    Layer.succeed(Scorer, {
      method: "llm_api",
      modelConfig: { provider: "togetherai", model_name: "m" },
      score: (r: RankingRequest) => Effect.succeed({ ranks: r.completions.map((c, i) => ({ cid: c.cid, score: i / 10 })), unscored: [], mturkHit: null })
    }),
    MinerStoreSql.layer({ _tag: "sqlite", filename: storeFile }),
    Layer.succeed(MinerSettings, testSettings({ callbackSecret: Option.some(SECRET) })),
    BunHttpServer.layer({ hostname: "127.0.0.3", port: 0 })
  )
)
const scope = Effect.runSync(Scope.make())
let axonUrl = ""
let callbackUrl = ""

beforeAll(async () => {
  const miner = await runtime.runPromise(Scope.extend(startMiner, scope))
  axonUrl = `http://${miner.axon.bound.ip}:${miner.axon.bound.port}`
  const address = await runtime.runPromise(Scope.extend(serveCallbackApi, scope))
  if (address._tag !== "TcpAddress") throw new Error("expected a TCP address")
  callbackUrl = `http://127.0.0.3:${address.port}${CALLBACK_PATH}`
  await runtime.runPromise(
    Effect.flatMap(MinerStore, (s) =>
      s.recordHit({
        hitId: HIT,
        requestId: "req-fuzz",
        validatorHotkey: validatorKey.ss58Address,
        validatorIp: "127.0.0.9",
        validatorPort: 9,
        cids: ["cid-0", "cid-1"],
        expectedAssignments: 3,
        createdAt: 1_000,
        expiresAt: 2_000_000_000
      })
    )
  )
})
afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
  await runtime.dispose()
  rmSync(dir, { recursive: true, force: true })
})

/** A signed axon request whose body is then replaced by `bytes` (the signature covers the headers' hash). */
const axonPost = async (name: "RankingRequest" | "RankingResult", base: RankingRequest | RankingResult, bytes: Uint8Array | string, contentType: string | undefined = "application/json"): Promise<Seen> => {
  const signed =
    name === "RankingRequest"
      ? signedRequest({ definition: RankingRequestSynapse, body: base as RankingRequest, signer: validatorKey, axonHotkey: minerHotkey.ss58Address })
      : signedRequest({ definition: RankingResultSynapse, body: base as RankingResult, signer: validatorKey, axonHotkey: minerHotkey.ss58Address })
  return postRaw(`${axonUrl}/${name}`, signed.headers, bytes, contentType)
}

const callbackPost = (bytes: Uint8Array | string, contentType: string | undefined = "application/json"): Promise<Seen> =>
  postRaw(callbackUrl, { ...signCallback(SECRET, bytes, Date.now() / 1000) }, bytes, contentType)

const request = rankingRequest({ id: "req-good", texts: ["first answer", "second answer"] })
const requestWire = JSON.parse(signedRequest({ definition: RankingRequestSynapse, body: request, signer: validatorKey, axonHotkey: minerHotkey.ss58Address }).body)
const result: RankingResult = { request_id: "req-good", cid_to_consensus: { "cid-0": 0.25, "cid-1": 0.75 }, hotkey_to_score: { [minerHotkey.ss58Address]: 1 } }
const resultWire = JSON.parse(signedRequest({ definition: RankingResultSynapse, body: result, signer: validatorKey, axonHotkey: minerHotkey.ss58Address }).body)
const callbackBody = {
  HITId: HIT,
  assignments: [{ AssignmentId: "3ASSIGNFUZZ", WorkerId: "WFUZZ", HITId: HIT, SubmitTime: "2026-11-25T00:00:00.000Z", Answer: crowdFormAnswerXml({ "cid-0": 3, "cid-1": 8 }) }]
}

const axonMessage = (s: Seen) => (s.json as { message?: unknown } | undefined)?.message
const callbackMessage = (s: Seen) => (s.json as { error?: unknown } | undefined)?.error

const refusedCleanly = (s: Seen, message: unknown, before: string, what: string) => assertRefusedCleanly(s, message, storeFile, before, what)

describe("miner axon: regressions (500 before the JSON limits)", () => {
  test("a validly signed RankingRequest nesting 10k levels inside an object is a 400 naming the field", async () => {
    const before = storeDigest(storeFile)
    const deep = JSON.stringify(requestWire).replace(/"prompt":"[^"]*",/, `"prompt": ${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)},`)
    const r = await axonPost("RankingRequest", request, deep)
    expect(r.status).toBe(400)
    expect(axonMessage(r)).toBe("Improperly formatted request body for RankingRequest: prompt.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a nests deeper than 16 levels")
    expect(storeDigest(storeFile)).toBe(before)
  })

  test("non-UTF-8 bytes and lone surrogates in a string are a 400 naming the field", async () => {
    const text = JSON.stringify(requestWire)
    const r = await axonPost("RankingRequest", request, withBytesAt(text, text.indexOf('"first answer"') + 1, [0xff]))
    expect(r.status).toBe(400)
    expect(axonMessage(r)).toBe("Improperly formatted request body for RankingRequest: completions[0].text is not valid UTF-8")
    const lone = await axonPost("RankingRequest", request, text.replace("first answer", "first \\ud800 answer"))
    expect(lone.status).toBe(400)
    expect(axonMessage(lone)).toContain("completions[0].text has a lone UTF-16 surrogate")
  })
})

describe("MTurk callback: regressions", () => {
  test("a validly signed body whose HITId nests deeply is a 400 naming the field; nothing stored", async () => {
    const before = storeDigest(storeFile)
    const body = JSON.stringify(callbackBody).replace(`"HITId":"${HIT}",`, `"HITId":${"[".repeat(50_000)}${"]".repeat(50_000)},`)
    const r = await callbackPost(body)
    expect(r.status).toBe(400)
    expect(callbackMessage(r)).toBe("HITId[0][0][0][0][0][0][0] nests deeper than 8 levels")
    expect(storeDigest(storeFile)).toBe(before)
  })

  test("non-UTF-8 bytes in an Answer are a 400 naming it", async () => {
    const text = JSON.stringify(callbackBody)
    const r = await callbackPost(withBytesAt(text, text.indexOf("<?xml") + 2, [0xc0, 0xaf]))
    expect(r.status).toBe(400)
    expect(callbackMessage(r)).toBe("assignments[0].Answer is not valid UTF-8")
  })
})

describe("fuzzing the miner's boundaries (property: 4xx with a message, store unchanged, still serving)", () => {
  const goodRankingRequest = async () => {
    const r = await axonPost("RankingRequest", request, signedRequest({ definition: RankingRequestSynapse, body: request, signer: validatorKey, axonHotkey: minerHotkey.ss58Address }).body)
    if (r.status !== 200 || (r.json as any)?.ranks?.length !== 2) throw new Error(`good RankingRequest answered ${r.status} ${r.text.slice(0, 200)}`)
  }

  test("RankingRequest at the axon", async () => {
    const checked = ["epoch_timestamp", "request_id", "prompt", "n_completions", "completions", "ranks", "scoring_method", "model_config", "modality", ["completions", 0, "cid"], ["completions", 1, "text"]].map((p) => (Array.isArray(p) ? p : [p]))
    const strings = [["prompt"], ["request_id"], ["completions", 0, "text"], ["completions", 1, "cid"]]
    await fc.assert(
      fc.asyncProperty(hostileBodies(requestWire, checked, strings), contentTypes, async (hostile: HostileBody, contentType) => {
        const before = storeDigest(storeFile)
        const r = await axonPost("RankingRequest", request, hostile.bytes, contentType)
        refusedCleanly(r, axonMessage(r), before, hostile.describe)
        await goodRankingRequest()
      }),
      { numRuns: FUZZ_RUNS }
    )
  })

  test("RankingResult at the axon", async () => {
    const checked = [["request_id"], ["cid_to_consensus"], ["hotkey_to_score"], ["cid_to_consensus", "cid-0"], ["hotkey_to_score", minerHotkey.ss58Address]]
    const strings = [["request_id"]]
    await fc.assert(
      fc.asyncProperty(hostileBodies(resultWire, checked, strings), contentTypes, async (hostile: HostileBody, contentType) => {
        const before = storeDigest(storeFile)
        const r = await axonPost("RankingResult", result, hostile.bytes, contentType)
        refusedCleanly(r, axonMessage(r), before, hostile.describe)
      }),
      { numRuns: FUZZ_RUNS }
    )
    await goodRankingRequest()
  })

  test("the MTurk callback", async () => {
    const checked = [["HITId"], ["assignments"], ["assignments", 0], ["assignments", 0, "AssignmentId"], ["assignments", 0, "HITId"], ["assignments", 0, "SubmitTime"], ["assignments", 0, "Answer"]]
    const strings = [["HITId"], ["assignments", 0, "Answer"], ["assignments", 0, "WorkerId"], ["assignments", 0, "SubmitTime"]]
    await fc.assert(
      fc.asyncProperty(hostileBodies(callbackBody, checked, strings), contentTypes, async (hostile: HostileBody, contentType) => {
        const before = storeDigest(storeFile)
        const r = await callbackPost(hostile.bytes, contentType)
        refusedCleanly(r, callbackMessage(r), before, hostile.describe)
      }),
      { numRuns: FUZZ_RUNS }
    )
    // The next good callback is served and stored.
    const before = storeDigest(storeFile)
    const good = await callbackPost(JSON.stringify(callbackBody))
    expect(good.status).toBe(200)
    expect((good.json as any).added).toBe(1)
    expect(storeDigest(storeFile)).not.toBe(before)
  })
})
