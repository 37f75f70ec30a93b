/**
 * The dendrite against a capture server on loopback: what it sends (SDK-shaped, signed, increasing
 * nonces, one uuid1) and how it maps replies it cannot use (422, non-200, garbage headers).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Either, ManagedRuntime, Option } from "effect"
import * as DendriteLive from "../../../src/adapters/dendrite/dendrite.ts"
import { keypairFromUri, verify } from "../../../src/adapters/wallet/sr25519.ts"
import type { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { dendriteMessage, encodeBody, parseHeaders, wireBodyHash } from "../../../src/domain/wire/synapse.ts"
import { RankingRequestSynapse } from "../../../src/domain/wire/synapses.ts"
import { Dendrite, type DendriteResponse } from "../../../src/services/dendrite.ts"
import { testRankingRequest } from "../../support/fixtures.ts"

const validator = keypairFromUri("//Alice")
const miner = keypairFromUri("//Bob")

interface Captured {
  headers: Record<string, string>
  body: string
}
const captured: Captured[] = []
let reply: (body: any) => Response = () => new Response("{}")
let server: ReturnType<typeof Bun.serve>

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.3",
    port: 0,
    fetch: async (req) => {
      const body = await req.text()
      captured.push({ headers: Object.fromEntries(req.headers.entries()), body })
      return reply(JSON.parse(body))
    }
  })
})
afterAll(() => server.stop(true))

const runtime = ManagedRuntime.make(DendriteLive.layer({ hotkey: validator, externalIp: "203.0.113.7" }))
afterAll(() => runtime.dispose())

const request: RankingRequest = testRankingRequest({ prompt: "Which is better? café" })

const call = (timeout?: number): Promise<DendriteResponse<RankingRequest>> =>
  runtime.runPromise(
    Effect.flatMap(Dendrite, (d) =>
      d.call({ ip: "127.0.0.3", port: server.port!, hotkey: miner.ss58Address }, RankingRequestSynapse, request, { timeout })
    )
  )

describe("dendrite requests", () => {
  test("are signed, SDK-shaped, with increasing wall-clock nonces and one uuid1 per instance", async () => {
    captured.length = 0
    reply = (body) => Response.json(body)
    await call()
    await call()
    expect(captured).toHaveLength(2)
    const wire = Either.getOrThrow(encodeBody(RankingRequestSynapse, request))
    const hash = wireBodyHash(RankingRequestSynapse, wire)
    const nonces: bigint[] = []
    for (const { headers, body } of captured) {
      const parsed = Either.getOrThrow(parseHeaders(headers))
      const d = parsed.dendrite
      expect(headers.name).toBe("RankingRequest")
      expect(headers.timeout).toBe("30.0")
      expect(headers.computed_body_hash).toBe(hash)
      expect(headers["content-type"]).toBe("application/json")
      expect(headers.bt_header_input_obj_prompt).toBe("IiI=")
      expect(d.version).toBe(9012002)
      expect(d.ip).toBe("203.0.113.7")
      expect(d.hotkey).toBe(validator.ss58Address)
      expect(parsed.axon.hotkey).toBe(miner.ss58Address)
      expect(d.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      const message = dendriteMessage({ nonce: d.nonce!, dendriteHotkey: d.hotkey!, axonHotkey: miner.ss58Address, uuid: d.uuid!, bodyHash: hash })
      expect(verify(message, d.signature!, validator.ss58Address)).toBe(true)
      // Wall clock in ns: within a minute of ours.
      expect(Math.abs(Number(d.nonce! / 1_000_000n) - Date.now())).toBeLessThan(60_000)
      expect(body).toContain(`"nonce": ${d.nonce}`)
      expect(body).toContain('"prompt": "Which is better? caf\\u00e9"')
      expect(body).toContain('"computed_body_hash": ""')
      nonces.push(d.nonce!)
    }
    expect(nonces[1]! > nonces[0]!).toBe(true)
    expect(captured[0]!.headers.bt_header_dendrite_uuid).toBe(captured[1]!.headers.bt_header_dendrite_uuid)
  })
})

describe("dendrite sessions", () => {
  test("calls in flight to one axon at once use distinct sessions; afterwards the first is reused", async () => {
    captured.length = 0
    reply = (body) => Response.json(body)
    const target = { ip: "127.0.0.3", port: server.port!, hotkey: miner.ss58Address }
    await runtime.runPromise(Effect.flatMap(Dendrite, (d) => d.callMany([target, target, target], RankingRequestSynapse, request)))
    const concurrent = captured.map((c) => c.headers.bt_header_dendrite_uuid)
    expect(new Set(concurrent).size).toBe(3)
    await call()
    await call()
    const later = captured.slice(3).map((c) => c.headers.bt_header_dendrite_uuid)
    expect(later[0]).toBe(later[1])
    expect(concurrent).toContain(later[0])
  })
})

describe("dendrite replies", () => {
  test("a Python 9.x reply (model_config key, tampered immutable fields) merges as the SDK does", async () => {
    reply = (body) =>
      Response.json(
        { ...body, prompt: "changed", ranks: [{ cid: "a", score: 2 }], scoring_method: "llm_api", model_config: { provider: "openai", model_name: "m" }, axon: { ...body.axon, status_code: 200 } },
        { headers: { bt_header_axon_status_code: "200", bt_header_axon_status_message: "Success", bt_header_axon_process_time: "0.25" } }
      )
    const r = await call()
    expect(r.statusCode).toBe(200)
    const body = Option.getOrThrow(r.body)
    expect(body.prompt).toBe(request.prompt)
    expect(body.ranks).toEqual([{ cid: "a", score: 2 }])
    expect(body.model_config).toEqual({ provider: "openai", model_name: "m" })
    expect(r.axon.process_time).toBe(0.25)
  })

  test("undecodable replies are 422 with the reason", async () => {
    reply = () => new Response("<html>oops</html>", { headers: { "content-type": "text/html" } })
    const notJson = await call()
    expect(notJson.statusCode).toBe(422)
    expect(notJson.statusMessage).toStartWith("Failed to parse response: body is not valid JSON")
    reply = (body) => Response.json({ ...body, ranks: [{ cid: "zz", score: 1 }] })
    const strayRank = await call()
    expect(strayRank.statusCode).toBe(422)
    expect(strayRank.statusMessage).toContain('"zz" is not one of the completions')
    expect(Option.isNone(strayRank.body)).toBe(true)
  })

  test("non-200 keeps the axon's status and message; bad reply headers do not break the call", async () => {
    reply = () => Response.json({ message: "Forbidden. Key is blacklisted: nope." }, { status: 403, headers: { bt_header_axon_nonce: "not-a-number" } })
    const blacklisted = await call()
    expect(blacklisted.statusCode).toBe(403)
    expect(blacklisted.statusMessage).toBe("Forbidden. Key is blacklisted: nope.")
    reply = () => new Response("Bad gateway", { status: 502 })
    const proxy = await call()
    expect(proxy.statusCode).toBe(502)
    expect(proxy.statusMessage).toBe("Bad gateway")
  })

  test("callMany in waves (concurrency) still answers every target, in order", async () => {
    captured.length = 0
    reply = (body) => Response.json(body)
    const dead = { ip: "127.0.0.3", port: 1, hotkey: miner.ss58Address }
    const live = { ip: "127.0.0.3", port: server.port!, hotkey: miner.ss58Address }
    const rs = await runtime.runPromise(
      Effect.flatMap(Dendrite, (d) => d.callMany([live, dead, live, live, dead], RankingRequestSynapse, request, { concurrency: 2, timeout: 5 }))
    )
    expect(rs.map((r) => [r.target.port, r.statusCode])).toEqual([
      [live.port, 200],
      [1, 503],
      [live.port, 200],
      [live.port, 200],
      [1, 503]
    ])
    expect(captured).toHaveLength(3)
  })

  test("a reply slower than the timeout is 408", async () => {
    reply = (body) => {
      const res = Response.json(body)
      return new Promise<Response>((resolve) => setTimeout(() => resolve(res), 1000)) as unknown as Response
    }
    const r = await call(0.2)
    expect(r.statusCode).toBe(408)
    expect(r.statusMessage).toBe("Request timeout after 0.2 seconds")
  })
})
