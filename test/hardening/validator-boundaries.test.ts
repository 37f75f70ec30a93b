/**
 * The validator's inbound boundaries under hostile input, over real HTTP on loopback: the scoring API
 * (`POST /api/v1/score` with a valid key, `GET /api/v1/score/{id}`), the dashboard's JSON endpoints and
 * the validator's axon (MTurkResponse, validly signed by a registered miner). Regression cases first
 * (500 before the JSON limits; non-UTF-8 prompts were stored and sent to miners), then fast-check
 * fuzzing with the property: a 4xx with a message, every table of the store unchanged, the next good
 * request still served. One real miner axon answers the good score requests.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { Redacted } from "effect"
import fc from "fast-check"
import type { MTurkResponse } from "../../src/domain/wire/protocol.ts"
import { MTurkResponseSynapse } from "../../src/domain/wire/synapses.ts"
import { signedRequest } from "../adapters/axon/axon-fixture.ts"
import { assertRefusedCleanly, contentTypes, FUZZ_RUNS, hostileBodies, postRaw, seen, storeDigest, type HostileBody, type Seen, withBytesAt } from "../support/hostile-inputs.ts"
import { startValidatorApiWorld, type ValidatorApiWorld } from "../support/validator-api-world.ts"
import { minerKeys, validatorKey } from "../support/validator-world.ts"

setDefaultTimeout(60_000)

let world: ValidatorApiWorld
let api = ""
let validatorAxon = ""
let key = ""
let storeFile = ""
const miner = minerKeys.good

beforeAll(async () => {
  world = await startValidatorApiWorld()
  ;({ api, key, storeFile } = world)
  validatorAxon = world.axon
})
afterAll(() => world.close())

const scorePost = (bytes: Uint8Array | string, contentType: string | undefined = "application/json"): Promise<Seen> =>
  postRaw(`${api}/api/v1/score`, { authorization: `Bearer ${key}` }, bytes, contentType)
const scoreBody = { prompt: "Which answer is kinder?", completions: ["a kind answer", "a curt answer"] }
const apiMessage = (s: Seen) => (s.json as { message?: unknown } | undefined)?.message
const apiField = (s: Seen) => (s.json as { field?: unknown } | undefined)?.field

const refusedCleanly = (s: Seen, message: unknown, before: string, what: string) => assertRefusedCleanly(s, message, storeFile, before, what)

describe("scoring API: regressions", () => {
  test("a 200k-deep body and a 30k-deep prompt are 400s naming the field; nothing stored", async () => {
    const before = storeDigest(storeFile)
    const whole = await scorePost(`${"[".repeat(200_000)}${"]".repeat(200_000)}`)
    expect(whole.status).toBe(400)
    expect(whole.json).toEqual({ _tag: "BadRequest", field: "[0][0][0][0][0][0][0][0]", message: "[0][0][0][0][0][0][0][0] nests deeper than 8 levels" })
    const prompt = await scorePost(`{"prompt": ${"[".repeat(30_000)}${"]".repeat(30_000)}, "completions": ["a", "b"]}`)
    expect(prompt.status).toBe(400)
    expect(apiField(prompt)).toBe("prompt[0][0][0][0][0][0][0]")
    expect(apiMessage(prompt)).toBe("prompt[0][0][0][0][0][0][0] nests deeper than 8 levels")
    expect(storeDigest(storeFile)).toBe(before)
  })

  test("non-UTF-8 bytes in the prompt are a 400 naming it: not stored, not sent to miners", async () => {
    const before = storeDigest(storeFile)
    world.minerSaw.length = 0
    const text = JSON.stringify(scoreBody)
    const r = await scorePost(withBytesAt(text, text.indexOf("kinder"), [0xff, 0xfe]))
    expect(r.status).toBe(400)
    expect(r.json).toEqual({ _tag: "BadRequest", field: "prompt", message: "prompt is not valid UTF-8" })
    const lone = await scorePost(text.replace("kinder", "kinder \\udead"))
    expect(lone.status).toBe(400)
    expect(apiField(lone)).toBe("prompt")
    expect(storeDigest(storeFile)).toBe(before)
    expect(world.minerSaw).toEqual([])
  })

  test("numbers out of range and overlong prompts are refused naming the field", async () => {
    expect(apiMessage(await scorePost('{"prompt": 1e999, "completions": ["a", "b"]}'))).toBe("prompt is a number out of range (it overflows a 64-bit float)")
    const long = await scorePost(JSON.stringify({ prompt: "p".repeat(64 * 1024 + 1), completions: ["a", "b"] }))
    expect(long.status).toBe(400)
    expect(apiMessage(long)).toBe("prompt: is 65537 bytes of UTF-8; the limit is 65536")
  })
})

describe("paths nothing serves", () => {
  test("an unknown path is a 404 that says so; one of our paths with another method is a 405 with Allow", async () => {
    const nope = await seen(await fetch(`${api}/nothing/here`))
    expect(nope).toMatchObject({ status: 404, json: { error: "no such path: GET /nothing/here" } })
    const apiNope = await seen(await fetch(`${api}/api/v1/nothing`, { headers: { authorization: `Bearer ${key}` } }))
    expect(apiNope.status).toBe(404)
    expect(apiMessage(apiNope)).toBe("no such path: GET /api/v1/nothing")
    const wrong = await fetch(`${api}/api/v1/score`, { method: "PUT", headers: { authorization: `Bearer ${key}` } })
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get("allow")).toBe("POST")
    expect(apiMessage(await seen(wrong))).toBe("method not allowed: PUT /api/v1/score (allowed: POST)")
    const health = await fetch(`${api}/healthz`, { method: "POST" })
    expect(health.status).toBe(405)
    expect(health.headers.get("allow")).toBe("GET")
  })
})

describe("fuzzing the validator's boundaries (property: 4xx with a message, store unchanged, still serving)", () => {
  const goodScore = async () => {
    const r = await scorePost(JSON.stringify(scoreBody))
    if (r.status !== 200 || (r.json as any)?.responses !== 1) throw new Error(`good score request answered ${r.status} ${r.text.slice(0, 200)}`)
  }

  test("POST /api/v1/score", async () => {
    const checked = [["prompt"], ["completions"], ["completions", 0], ["completions", 1]]
    const strings = [["prompt"], ["completions", 0], ["completions", 1]]
    await fc.assert(
      fc.asyncProperty(hostileBodies(scoreBody, checked, strings), contentTypes, async (hostile: HostileBody, contentType) => {
        const before = storeDigest(storeFile)
        const r = await scorePost(hostile.bytes, contentType)
        refusedCleanly(r, apiMessage(r), before, hostile.describe)
      }),
      { numRuns: FUZZ_RUNS }
    )
    await goodScore()
  })

  const hostileText = fc.oneof(
    fc.constantFrom("1e999", "-1", "99999999999999999999", "NaN", "Infinity", "1.5", "abc", "%FF", "%ED%A0%80", "%C0%AF", "%00", "0x10", " 1", "1,2,x", "9".repeat(400)),
    fc.string({ unit: "binary", minLength: 1, maxLength: 40 }).map((s) => `x${encodeURIComponent(s)}`)
  )

  test("the dashboard's JSON endpoints with hostile paths and queries", async () => {
    const query = fc.oneof(
      fc.tuple(fc.constantFrom("history?top", "history?points", "requests?offset", "requests?limit", "history?uids"), hostileText).map(([p, v]) => `/dashboard/api/${p}=${v}`),
      fc.constantFrom("/dashboard/api/history?top=1&top=2", "/dashboard/api/requests?limit=1&limit=2", "/dashboard/api/history?uids=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"),
      hostileText.map((id) => `/dashboard/api/requests/${id}`),
      fc.string({ minLength: 129, maxLength: 300 }).map((id) => `/dashboard/api/requests/${encodeURIComponent(id)}`)
    )
    await fc.assert(
      fc.asyncProperty(query, async (path) => {
        const before = storeDigest(storeFile)
        const r = await seen(await fetch(`${api}${path}`))
        refusedCleanly(r, (r.json as { error?: unknown } | undefined)?.error, before, path)
      }),
      { numRuns: FUZZ_RUNS }
    )
    expect((await fetch(`${api}/dashboard/api/overview`)).status).toBe(200)
  })

  test("GET /api/v1/score/{id} with hostile ids", async () => {
    await fc.assert(
      fc.asyncProperty(hostileText, async (id) => {
        const before = storeDigest(storeFile)
        const r = await seen(await fetch(`${api}/api/v1/score/${id}`, { headers: { authorization: `Bearer ${key}` } }))
        refusedCleanly(r, apiMessage(r), before, `GET /api/v1/score/${id}`)
      }),
      { numRuns: FUZZ_RUNS }
    )
    await goodScore()
  })

  test("MTurkResponse at the validator's axon", async () => {
    const body: MTurkResponse = {
      mturk_hit_id: "3FUZZHITBBBBBBBBBBBBBBBBBBBBBB",
      aws_credentials: {
        access_key_id: "ASIAFUZZ",
        secret_access_key: Redacted.make("fuzz-secret"),
        session_token: Redacted.make("fuzz-token"),
        access_expiration: "2030-01-01T00:00:00Z",
        environment: "sandbox"
      },
      completion_id_to_score: { c1: 0.5, c2: 0.25 },
      request_id: "req-unknown"
    }
    const sign = () => signedRequest({ definition: MTurkResponseSynapse, body, signer: miner, axonHotkey: validatorKey.ss58Address })
    const wire = JSON.parse(sign().body)
    const post = (bytes: Uint8Array | string, contentType: string | undefined = "application/json") =>
      postRaw(`${validatorAxon}/MTurkResponse`, sign().headers, bytes, contentType)
    const checked = [["mturk_hit_id"], ["aws_credentials"], ["completion_id_to_score"], ["request_id"], ["aws_credentials", "environment"], ["aws_credentials", "secret_access_key"], ["completion_id_to_score", "c1"]]
    const strings = [["mturk_hit_id"], ["request_id"], ["aws_credentials", "session_token"], ["aws_credentials", "access_key_id"]]
    await fc.assert(
      fc.asyncProperty(hostileBodies(wire, checked, strings), contentTypes, async (hostile: HostileBody, contentType) => {
        const before = storeDigest(storeFile)
        const r = await post(hostile.bytes, contentType)
        refusedCleanly(r, (r.json as { message?: unknown } | undefined)?.message, before, hostile.describe)
      }),
      { numRuns: FUZZ_RUNS }
    )
    // A well-formed response still reaches the handler, which refuses it for its own reason (no such request).
    const good = await post(sign().body)
    expect(good.status).toBeGreaterThanOrEqual(400)
    expect(good.status).toBeLessThan(500)
    expect((good.json as { message: string }).message).not.toContain("Improperly formatted")
  })
})
