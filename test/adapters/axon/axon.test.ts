import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Deferred, Effect, ManagedRuntime, Option } from "effect"
import * as DendriteLive from "../../../src/adapters/dendrite/dendrite.ts"
import { keypairFromUri } from "../../../src/adapters/wallet/sr25519.ts"
import type { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { RankingRequestSynapse, RankingResultSynapse } from "../../../src/domain/wire/synapses.ts"
import { Refusal } from "../../../src/domain/refusal.ts"
import { axonRoute, type ServingAxon } from "../../../src/services/axon.ts"
import { Dendrite, isSuccess, type DendriteResponse, type DendriteTarget } from "../../../src/services/dendrite.ts"
import { freshNonce, post, signedRequest, startAxon, until } from "./axon-fixture.ts"
import { testRankingRequest } from "../../support/fixtures.ts"

const miner = keypairFromUri("//Bob")
const validator = keypairFromUri("//Alice")
const eve = keypairFromUri("//Eve")

// epoch_timestamp is spelled out: a test rewrites it on the wire to NaN.
const request = (prompt: string, extra: Partial<RankingRequest> = {}): RankingRequest =>
  testRankingRequest({ epoch_timestamp: 1718000000.25, prompt, ...extra })

/** The miner's handler: behaviour chosen by the prompt. */
const forward = (_: unknown, body: RankingRequest) => {
  switch (body.prompt) {
    case "slow":
      // Never finishes: only the axon interrupting it at the caller's deadline produces a reply.
      return Effect.never
    case "boom":
      return Effect.fail(new Error("scorer exploded with a secret stack"))
    case "refuse":
      return Effect.fail(new Refusal({ status: 503, message: "scorer upstream unavailable" }))
    default:
      return Effect.succeed({
        ...body,
        prompt: "a miner may not change this",
        ranks: body.completions.map((c, i) => ({ cid: c.cid, score: i + 0.5 })),
        scoring_method: "hf_model" as const,
        model_config: { provider: null, model_name: "tiny" }
      })
  }
}

let main: { axon: ServingAxon; stop: () => Promise<void> }
const runtime = ManagedRuntime.make(DendriteLive.layer({ hotkey: validator }))
const dendrite = (f: (d: Dendrite["Type"]) => Effect.Effect<any>) => runtime.runPromise(Effect.flatMap(Dendrite, f))
let target: DendriteTarget

beforeAll(async () => {
  main = await startAxon({ hotkey: miner.ss58Address, maxBodyBytes: 64 * 1024 }, [
    axonRoute(RankingRequestSynapse, {
      forward,
      blacklist: (ctx) => Effect.succeed(ctx.dendrite.hotkey === eve.ss58Address ? Option.some("unknown hotkey") : Option.none())
    }),
    axonRoute(RankingResultSynapse, { forward: (_, body) => Effect.succeed(body) })
  ])
  target = { ip: main.axon.bound.ip, port: main.axon.bound.port, hotkey: miner.ss58Address }
})
afterAll(async () => {
  await main.stop()
  await runtime.dispose()
})

describe("handler outcomes", () => {
  test("a handler's Refusal keeps its status and message", async () => {
    const r = await dendrite((d) => d.call(target, RankingRequestSynapse, request("refuse")))
    expect(r.statusCode).toBe(503)
    expect(r.statusMessage).toBe("scorer upstream unavailable")
  })
})

describe("axon + dendrite over loopback", () => {
  test("200: the reply is merged as the SDK does and carries the axon's status headers", async () => {
    const r = await dendrite((d) => d.call(target, RankingRequestSynapse, request("ok")))
    expect(r.statusCode).toBe(200)
    expect(isSuccess(r)).toBe(true)
    expect(r.statusMessage).toBe("Success")
    const body = Option.getOrThrow(r.body) as RankingRequest
    expect(body.prompt).toBe("ok")
    expect(body.ranks).toEqual([
      { cid: "a", score: 0.5 },
      { cid: "b", score: 1.5 }
    ])
    expect(body.scoring_method).toBe("hf_model")
    expect(body.model_config).toEqual({ provider: null, model_name: "tiny" })
    expect(r.axon.status_code).toBe(200)
    expect(r.axon.hotkey).toBe(miner.ss58Address)
    expect(r.axon.process_time).toBeGreaterThanOrEqual(0)
    expect(r.processTime).toBeGreaterThan(0)
  })

  test("200 on the raw wire: application/json, the complete synapse, lowercase bt_header_axon_status_*", async () => {
    const res = await post(main.axon, "RankingRequest", signedRequest({ definition: RankingRequestSynapse, body: request("ok"), signer: validator, axonHotkey: miner.ss58Address }))
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("application/json")
    expect(res.headers.get("bt_header_axon_status_code")).toBe("200")
    expect(res.headers.get("bt_header_axon_status_message")).toBe("Success")
    expect(res.headers.get("bt_header_dendrite_hotkey")).toBe(validator.ss58Address)
    expect(res.headers.get("bt_header_input_obj_completions")).toBe("W10=")
    expect(Object.keys(res.json).slice(0, 7)).toEqual(["name", "timeout", "total_size", "header_size", "dendrite", "axon", "computed_body_hash"])
    expect(res.json.name).toBe("RankingRequest")
    expect(res.json.axon.status_code).toBe(200)
    expect(res.json.dendrite.hotkey).toBe(validator.ss58Address)
    expect(res.json.ranks).toHaveLength(2)
  })

  test("callMany never fails the batch: one response per target, in order, dead ones 503", async () => {
    const dead = { ip: "127.0.0.2", port: 1, hotkey: miner.ss58Address }
    const rs = await dendrite((d) => d.callMany([target, dead, target], RankingRequestSynapse, request("ok"), { timeout: 5 }))
    expect(rs.map((r: DendriteResponse<RankingRequest>) => r.statusCode)).toEqual([200, 503, 200])
    expect(rs[1]!.statusMessage).toBe(`Service unavailable at 127.0.0.2:1/RankingRequest`)
    expect(rs[1]!.target).toEqual(dead)
  })

  test("400: unparseable headers, malformed body naming the field, NaN tokens", async () => {
    const good = signedRequest({ definition: RankingRequestSynapse, body: request("ok"), signer: validator, axonHotkey: miner.ss58Address })
    const badHeader = await post(main.axon, "RankingRequest", { ...good, headers: { ...good.headers, bt_header_dendrite_nonce: "12x" } })
    expect(badHeader.status).toBe(400)
    expect(badHeader.json.message).toContain("bt_header_dendrite_nonce")

    const mismatched = signedRequest({ definition: RankingRequestSynapse, body: request("ok"), signer: validator, axonHotkey: miner.ss58Address })
    const malformed = await post(main.axon, "RankingRequest", { ...mismatched, body: mismatched.body.replace('"n_completions": 2', '"n_completions": "two"') })
    expect(malformed.status).toBe(400)
    expect(malformed.json.message).toContain("n_completions")
    expect(malformed.headers.get("bt_header_axon_status_code")).toBe("400")

    const nan = signedRequest({ definition: RankingRequestSynapse, body: request("ok"), signer: validator, axonHotkey: miner.ss58Address })
    const withNaN = await post(main.axon, "RankingRequest", { ...nan, body: nan.body.replace('"epoch_timestamp": 1718000000.25', '"epoch_timestamp": NaN') })
    expect(withNaN.status).toBe(400)
    expect(withNaN.json.message).toContain("not valid JSON")
  })

  test("401: wrong signer, wrong body hash, replayed nonce, stale nonce, missing signature", async () => {
    const forged = signedRequest({ definition: RankingRequestSynapse, body: request("ok"), signer: eve, axonHotkey: miner.ss58Address })
    const asAlice = { ...forged.headers, bt_header_dendrite_hotkey: validator.ss58Address }
    const wrongSigner = await post(main.axon, "RankingRequest", { ...forged, headers: asAlice })
    expect(wrongSigner.status).toBe(401)
    expect(wrongSigner.json.message).toStartWith("Not Verified with error: Signature mismatch")

    const forOtherAxon = signedRequest({ definition: RankingRequestSynapse, body: request("ok"), signer: validator, axonHotkey: eve.ss58Address })
    expect((await post(main.axon, "RankingRequest", forOtherAxon)).status).toBe(401)

    // A body hashed over the immutable fields (the stronger mode the axon also accepts) is bound to the body.
    const fuller = { ...RankingRequestSynapse, requiredHashFields: RankingRequestSynapse.alsoAcceptedHashFields![0]! }
    const signed = signedRequest({ definition: fuller, body: request("ok"), signer: validator, axonHotkey: miner.ss58Address })
    const tampered = await post(main.axon, "RankingRequest", { ...signed, body: signed.body.replace('"prompt": "ok"', '"prompt": "ok!"') })
    expect(tampered.status).toBe(401)
    expect(tampered.json.message).toContain("Hash mismatch between header body hash")
    // With the Python classes' empty hash the signature covers the headers only; a changed header hash is refused.
    const plain = signedRequest({ definition: RankingRequestSynapse, body: request("ok"), signer: validator, axonHotkey: miner.ss58Address })
    const wrongHash = await post(main.axon, "RankingRequest", {
      ...plain,
      headers: { ...plain.headers, computed_body_hash: "0".repeat(64) }
    })
    expect(wrongHash.status).toBe(401)

    const once = signedRequest({ definition: RankingRequestSynapse, body: request("ok"), signer: validator, axonHotkey: miner.ss58Address })
    expect((await post(main.axon, "RankingRequest", once)).status).toBe(200)
    const replay = await post(main.axon, "RankingRequest", once)
    expect(replay.status).toBe(401)
    expect(replay.json.message).toContain("Nonce is too old, a newer one was last processed")

    const stale = signedRequest({
      definition: RankingRequestSynapse,
      body: request("ok"),
      signer: validator,
      axonHotkey: miner.ss58Address,
      nonce: BigInt(Date.now() - 60_000) * 1_000_000n,
      timeout: 12
    })
    const staleRes = await post(main.axon, "RankingRequest", stale)
    expect(staleRes.status).toBe(401)
    expect(staleRes.json.message).toContain("Nonce is too old: acceptable delta is 16.00 seconds")

    // A lenient hex decoder reads "#" as 0: the same bytes under altered text must still be refused.
    let hexSigned = signedRequest({ definition: RankingRequestSynapse, body: request("ok"), signer: validator, axonHotkey: miner.ss58Address })
    // Signatures are randomized; one without a single "0" digit (p ≈ 3e-4) is simply signed again.
    while (hexSigned.headers.bt_header_dendrite_signature!.indexOf("0", 2) < 0)
      hexSigned = signedRequest({ definition: RankingRequestSynapse, body: request("ok"), signer: validator, axonHotkey: miner.ss58Address })
    const sig = hexSigned.headers.bt_header_dendrite_signature!
    const zero = sig.indexOf("0", 2)
    const altered = `${sig.slice(0, zero)}#${sig.slice(zero + 1)}`
    const alteredRes = await post(main.axon, "RankingRequest", { ...hexSigned, headers: { ...hexSigned.headers, bt_header_dendrite_signature: altered } })
    expect(alteredRes.status).toBe(401)
    expect(alteredRes.json.message).toContain("Signature is not 64 bytes of hex")

    const unsigned = signedRequest({ definition: RankingRequestSynapse, body: request("ok"), signer: validator, axonHotkey: miner.ss58Address })
    const { bt_header_dendrite_signature: _, ...noSignature } = unsigned.headers
    const unsignedRes = await post(main.axon, "RankingRequest", { ...unsigned, headers: noSignature })
    expect(unsignedRes.status).toBe(401)
    expect(unsignedRes.json.message).toContain("Missing signature")
  })

  test("403: blacklisted before verification, with the SDK's message", async () => {
    const eveDendrite = ManagedRuntime.make(DendriteLive.layer({ hotkey: eve }))
    const r = await eveDendrite.runPromise(Effect.flatMap(Dendrite, (d) => d.call(target, RankingRequestSynapse, request("ok"))))
    await eveDendrite.dispose()
    expect(r.statusCode).toBe(403)
    expect(r.statusMessage).toBe("Forbidden. Key is blacklisted: unknown hotkey.")
    expect(Option.isNone(r.body)).toBe(true)
  })

  test("404: unknown synapse names the available ones", async () => {
    const r = await dendrite((d) =>
      d.call(target, { ...RankingResultSynapse, name: "Nope" }, { request_id: "r", cid_to_consensus: {}, hotkey_to_score: {} })
    )
    expect(r.statusCode).toBe(404)
    expect(r.statusMessage).toBe("Synapse name 'Nope' not found. Available synapses ['RankingRequest', 'RankingResult']")
  })

  test("408: the handler outlives the caller's timeout", async () => {
    const slow = signedRequest({ definition: RankingRequestSynapse, body: request("slow"), signer: validator, axonHotkey: miner.ss58Address, timeout: 0.3 })
    const res = await post(main.axon, "RankingRequest", slow)
    expect(res.status).toBe(408)
    expect(res.json.message).toBe("Response timeout after: 0.3s")
    // The dendrite gives up at its own deadline with the SDK's 408.
    const r = await dendrite((d) => d.call(target, RankingRequestSynapse, request("slow"), { timeout: 0.3 }))
    expect(r.statusCode).toBe(408)
  })

  test("413: a body over the limit, with or without content-length", async () => {
    const big = request("ok", { completions: [{ cid: "a", text: "x".repeat(70 * 1024) }, { cid: "b", text: "y" }] })
    const r = await dendrite((d) => d.call(target, RankingRequestSynapse, big))
    expect(r.statusCode).toBe(413)
    const raw = signedRequest({ definition: RankingRequestSynapse, body: big, signer: validator, axonHotkey: miner.ss58Address })
    const bytes = new TextEncoder().encode(raw.body)
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.slice(i, i + 8192))
        controller.close()
      }
    })
    const chunked = await post(main.axon, "RankingRequest", { headers: raw.headers, body: stream })
    expect(chunked.status).toBe(413)
  })

  test("500: a failing handler gets the SDK's opaque message (the cause stays in the log)", async () => {
    const r = await dendrite((d) => d.call(target, RankingRequestSynapse, request("boom")))
    expect(r.statusCode).toBe(500)
    expect(r.statusMessage).toMatch(/^Internal Server Error #[0-9a-f-]{36}$/)
  })

  test("Python 9.x key model_config_ is accepted in a request", async () => {
    const raw = signedRequest({ definition: RankingRequestSynapse, body: request("ok"), signer: validator, axonHotkey: miner.ss58Address })
    const res = await post(main.axon, "RankingRequest", { ...raw, body: raw.body.replace('"model_config": null', '"model_config_": {"provider": null, "model_name": "m"}') })
    expect(res.status).toBe(200)
  })
})

describe("priority queue and overload", () => {
  test("higher priority runs first; a full queue answers 503", async () => {
    const latch = Effect.runSync(Deferred.make<void>())
    const order: string[] = []
    const tight = await startAxon({ hotkey: miner.ss58Address, maxWorkers: 1, maxQueue: 2 }, [
      axonRoute(RankingRequestSynapse, {
        forward: (_, body) =>
          body.prompt === "block"
            ? Deferred.await(latch).pipe(Effect.as(body))
            : Effect.sync(() => order.push(body.request_id)).pipe(Effect.as(body)),
        priority: (_, body) => Number(body.request_id.slice(1))
      })
    ])
    const send = (prompt: string, id: string) =>
      post(tight.axon, "RankingRequest", signedRequest({ definition: RankingRequestSynapse, body: request(prompt, { request_id: id }), signer: validator, axonHotkey: miner.ss58Address }))
    try {
      const blocker = send("block", "p0")
      await until(() => Effect.runPromise(tight.axon.active).then((n) => n === 1), "the blocker to run")
      const low = send("go", "p1")
      await until(() => Effect.runPromise(tight.axon.queued).then((n) => n === 1), "p1 to queue")
      const high = send("go", "p5")
      await until(() => Effect.runPromise(tight.axon.queued).then((n) => n === 2), "p5 to queue")
      const overflow = await send("go", "p9")
      expect(overflow.status).toBe(503)
      expect(overflow.json.message).toContain("overloaded")
      Effect.runSync(Deferred.succeed(latch, undefined))
      expect((await Promise.all([blocker, low, high])).map((r) => r.status)).toEqual([200, 200, 200])
      expect(order).toEqual(["p5", "p1"])
    } finally {
      await tight.stop()
    }
  })

  test("requests run concurrently up to max_workers", async () => {
    let running = 0
    let peak = 0
    const wide = await startAxon({ hotkey: miner.ss58Address, maxWorkers: 4 }, [
      axonRoute(RankingRequestSynapse, {
        forward: (_, body) =>
          Effect.acquireUseRelease(
            Effect.sync(() => (peak = Math.max(peak, ++running))),
            () => Effect.sleep("100 millis"),
            () => Effect.sync(() => running--)
          ).pipe(Effect.as(body))
      })
    ])
    try {
      const all = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          post(wide.axon, "RankingRequest", signedRequest({ definition: RankingRequestSynapse, body: request("go", { request_id: `c${i}` }), signer: validator, axonHotkey: miner.ss58Address, nonce: freshNonce() }))
        )
      )
      expect(all.every((r) => r.status === 200)).toBe(true)
      expect(peak).toBe(4)
    } finally {
      await wide.stop()
    }
  })
})
