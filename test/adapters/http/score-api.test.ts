/**
 * The scoring API over real HTTP on loopback: real miner axons on 127.0.0.2–4 answering RankingRequests,
 * the real dendrite, the in-memory chain with those axons registered, an in-memory SQLite store. Every
 * refusal is checked for its status, its message and that nothing was stored.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { HttpRouter, HttpServerResponse } from "@effect/platform"
import { Effect, Exit, Layer, ManagedRuntime, Option, Redacted, Scope, TestClock, TestContext } from "effect"
import * as AxonLive from "../../../src/adapters/axon/axon.ts"
import { rewardRule } from "../../../src/domain/scoring/reward-rule.ts"
import * as ChainMemory from "../../../src/adapters/chain/memory.ts"
import { ChainMemoryControl } from "../../../src/adapters/chain/memory.ts"
import * as RequestRandomnessLive from "../../../src/adapters/request-randomness.ts"
import * as DendriteLive from "../../../src/adapters/dendrite/dendrite.ts"
import { createApiKey } from "../../../src/adapters/http/api-keys.ts"
import { serveValidatorHttp, type ServingValidatorHttp } from "../../../src/adapters/http/validator-server.ts"
import * as ValidatorStoreSql from "../../../src/adapters/store/validator-store.ts"
import { keypairFromUri } from "../../../src/adapters/wallet/sr25519.ts"
import { layerDev } from "../../../src/adapters/wallet/wallet-fs.ts"
import type { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { RankingRequestSynapse } from "../../../src/domain/wire/synapses.ts"
import { scoreDueRequests } from "../../../src/pipeline/validator/score-due-requests.ts"
import { defaultValidatorSettings, ValidatorSettings } from "../../../src/pipeline/validator/settings.ts"
import { axonRoute, type ServingAxon } from "../../../src/services/axon.ts"
import { Chain } from "../../../src/services/chain.ts"
import { ApiKeyStore } from "../../../src/services/api-key-store.ts"
import { DashboardReadModel } from "../../../src/services/dashboard-read-model.ts"
import { RequestLedger } from "../../../src/services/request-ledger.ts"
import { replyOf } from "../../support/http-reply.ts"
import { Netuid } from "../../../src/domain/chain/ids.ts"

const NETUID = Netuid.make(7)
const validatorHot = keypairFromUri("//Alice//hot")
const minerKeys = [1, 2, 3].map((i) => keypairFromUri(`//Miner${i}`))

/** Miner i's score for a text: a fixed function of the text, offset per miner so they disagree a little. */
const minerScore = (i: number, text: string): number => Math.min(1, ((text.length * 7) % 11) / 10 + i * 0.03)

// The expected consensus figures are the original rule's (softmax at temperature 1, Laplace multiplier).
const settings = { ...defaultValidatorSettings, netuid: NETUID, queryTimeoutSeconds: 15, deadlineSeconds: 3600, rewardRule: rewardRule("original") }

const minerScope = Effect.runSync(Scope.make())
let miners: ReadonlyArray<ServingAxon> = []
/** The validator's services: the in-memory chain with the miners' axons registered, a real dendrite and store. */
const layerFor = (axons: ReadonlyArray<ServingAxon>) =>
  Layer.mergeAll(
    ChainMemory.layer({
      subnets: [
        {
          netuid: NETUID,
          neurons: [
            { hotkey: validatorHot.ss58Address, coldkey: keypairFromUri("//Alice").ss58Address, stake: 5000, validatorPermit: true },
            ...minerKeys.map((hot, i) => ({
              hotkey: hot.ss58Address,
              coldkey: keypairFromUri(`//MinerCold${i}`).ss58Address,
              axon: { ip: axons[i]!.bound.ip, port: axons[i]!.bound.port }
            }))
          ]
        }
      ]
    }),
    ValidatorStoreSql.layerTest,
    RequestRandomnessLive.layer,
    DendriteLive.layer({ hotkey: validatorHot }),
    layerDev("//Alice"),
    Layer.succeed(ValidatorSettings, settings)
  )
type Services = Layer.Layer.Success<ReturnType<typeof layerFor>>
let runtime: ManagedRuntime.ManagedRuntime<Services, Layer.Layer.Error<ReturnType<typeof layerFor>>>
let serverScope: Scope.CloseableScope
let server: ServingValidatorHttp
let key = ""
let otherKey = ""
let keyId = ""

const run = <A, E>(effect: Effect.Effect<A, E, Services>): Promise<A> => runtime.runPromise(effect)
const storedRequests = () => run(Effect.flatMap(DashboardReadModel, (s) => Effect.map(s.stats, (x) => x.requests)))

const helloRouter = HttpRouter.empty.pipe(HttpRouter.get("/hello", HttpServerResponse.text("hello from an extra router")))

beforeAll(async () => {
  miners = await Effect.runPromise(
    Effect.forEach(minerKeys, (hot, i) =>
      AxonLive.make({ ...AxonLive.defaultAxonConfig, hotkey: hot.ss58Address, ip: `127.0.0.${i + 2}`, port: 0 }, [
        axonRoute(RankingRequestSynapse, {
          forward: (_ctx, body: RankingRequest) =>
            Effect.succeed({
              ...body,
              ranks: body.completions.map((c) => ({ cid: c.cid, score: minerScore(i, c.text) })),
              scoring_method: "hf_model" as const,
              model_config: { provider: null, model_name: `test-model-${i}` }
            })
        })
      ])
    ).pipe(Scope.extend(minerScope))
  )
  runtime = ManagedRuntime.make(layerFor(miners))
  serverScope = await run(Scope.make())
  server = await run(serveValidatorHttp({ ip: "127.0.0.2", port: 0 }, [helloRouter]).pipe(Scope.extend(serverScope)))
  const created = await run(createApiKey({ name: "app", rateLimitPerMinute: 1000 }))
  key = Redacted.value(created.key)
  keyId = created.record.id
  otherKey = Redacted.value((await run(createApiKey({ name: "other app", rateLimitPerMinute: 1000 }))).key)
}, 30_000)

afterAll(async () => {
  await run(Scope.close(serverScope, Exit.void))
  await Effect.runPromise(Scope.close(minerScope, Exit.void))
  await runtime.dispose()
})

const api = async (
  path: string,
  init: { method?: string; key?: string | null; headers?: Record<string, string>; body?: string | ReadableStream<Uint8Array> } = {}
) => {
  const headers: Record<string, string> = { ...init.headers }
  if (init.key !== null) headers["authorization"] ??= `Bearer ${init.key ?? key}`
  if (init.body !== undefined) headers["content-type"] ??= "application/json"
  const res = await fetch(`${server.url}${path}`, { method: init.method ?? "GET", headers, body: init.body ?? null })
  return replyOf(res)
}

const score = (body: unknown, init: { key?: string | null; headers?: Record<string, string> } = {}) =>
  api("/api/v1/score", {
    method: "POST",
    body: typeof body === "string" || body instanceof ReadableStream ? body : JSON.stringify(body),
    ...init
  })

const completions = ["A short answer.", "A somewhat longer, more careful answer.", "Third!"]

describe("POST /api/v1/score", () => {
  test("answers with the consensus of the miners that answered, and stores the request as kind api", async () => {
    const before = await storedRequests()
    const r = await score({ prompt: "Which answer is best?", completions })
    expect(r.status).toBe(200)
    const body = r.json
    expect(Object.keys(body).sort()).toEqual(
      ["completions", "cid_to_consensus", "deadline_at", "hotkey_to_score", "queried", "request_id", "responses"].sort()
    )
    expect(body.queried).toBe(3)
    expect(body.responses).toBe(3)
    // The cids come back in the order the completions were sent, and the consensus is keyed by them.
    expect(body.completions.map((c: any) => c.text)).toEqual(completions)
    const cids = body.completions.map((c: any) => c.cid)
    expect(new Set(cids).size).toBe(3)
    expect(Object.keys(body.cid_to_consensus).sort()).toEqual([...cids].sort())
    completions.forEach((text, j) => {
      const mean = [0, 1, 2].reduce((s, i) => s + minerScore(i, text), 0) / 3
      expect(body.cid_to_consensus[cids[j]]).toBeCloseTo(mean, 12)
    })
    expect(Object.keys(body.hotkey_to_score).sort()).toEqual(minerKeys.map((k) => k.ss58Address).sort())
    const total = Object.values(body.hotkey_to_score as Record<string, number>).reduce((a, b) => a + b, 0)
    expect(total).toBeCloseTo(1, 12)

    expect(await storedRequests()).toBe(before + 1)
    const stored = await run(Effect.flatMap(RequestLedger, (s) => s.getRequest(body.request_id)))
    expect(Option.isSome(stored)).toBe(true)
    const req = Option.getOrThrow(stored)
    expect(req.kind).toBe("api")
    expect(req.apiKeyId).toBe(keyId)
    expect(req.status).toBe("pending")
    expect(req.responses).toHaveLength(3)
    expect(req.deadlineAt - req.createdAt).toBeCloseTo(settings.deadlineSeconds, 6)
    expect(body.deadline_at).toBeCloseTo(req.deadlineAt, 6)
  }, 30_000)

  test("accepts the key in x-api-key too", async () => {
    const r = await score({ prompt: "p", completions: ["one", "two"] }, { key: null, headers: { "x-api-key": key } })
    expect(r.status).toBe(200)
    expect(r.json.responses).toBe(3)
  }, 30_000)
})

describe("refusals store nothing", () => {
  const refused = async (
    body: unknown,
    init: { key?: string | null; headers?: Record<string, string> },
    status: number,
    tag: string,
    message: RegExp
  ) => {
    const before = await storedRequests()
    const r = await score(body, init)
    expect(r.status).toBe(status)
    expect(r.json._tag).toBe(tag)
    expect(r.json.message).toMatch(message)
    expect(await storedRequests()).toBe(before)
    return r
  }
  const valid = { prompt: "p", completions: ["a", "b"] }

  test("401: missing, malformed, unknown, wrong scheme and revoked keys", async () => {
    await refused(valid, { key: null }, 401, "Unauthorized", /missing API key/)
    await refused(valid, { key: "not-a-key" }, 401, "Unauthorized", /unknown or revoked/)
    await refused(valid, { key: `dojo_${"A".repeat(43)}` }, 401, "Unauthorized", /unknown or revoked/)
    await refused(valid, { key: null, headers: { authorization: `Basic ${btoa("u:p")}` } }, 401, "Unauthorized", /Bearer/)
    await refused(valid, { key: null, headers: { "x-api-key": "dojo_nope" } }, 401, "Unauthorized", /unknown or revoked/)
    const doomed = await run(createApiKey({ name: "doomed", rateLimitPerMinute: 10 }))
    expect(await run(Effect.flatMap(ApiKeyStore, (s) => s.revokeApiKey(doomed.record.id)))).toBe(true)
    await refused(valid, { key: Redacted.value(doomed.key) }, 401, "Unauthorized", /unknown or revoked/)
  })

  test("400 names the bad field", async () => {
    const bad = async (body: unknown, field: string, message: RegExp) => {
      const r = await refused(body, {}, 400, "BadRequest", message)
      expect(r.json.field).toBe(field)
    }
    await bad("{not json", "body", /not valid JSON/)
    await bad({ completions: ["a", "b"] }, "prompt", /^prompt: is missing/)
    await bad({ prompt: 5, completions: ["a", "b"] }, "prompt", /^prompt: Expected string/)
    await bad({ prompt: "p", completions: ["only one"] }, "completions", /at least 2 completions/)
    await bad({ prompt: "p", completions: Array.from({ length: 33 }, (_, i) => `c${i}`) }, "completions", /at most 32 completions/)
    await bad({ prompt: "p", completions: ["a", "b"], temperature: 0 }, "temperature", /^temperature: is unexpected/)
    await bad([1, 2], "body", /^body: Expected/)
    await bad({ prompt: "p", completions: ["a", 7, "c"] }, "completions[1]", /Expected string/)
    await bad({ prompt: "p", completions: ["a", "b", "é".repeat(16 * 1024 + 1)] }, "completions[2]", /32770 bytes of UTF-8; the limit is 32768/)
  })

  test("413 before parsing, with or without a content-length", async () => {
    const big = JSON.stringify({ prompt: "x".repeat(1024 * 1024), completions: ["a", "b"] })
    const r1 = await refused(big, {}, 413, "PayloadTooLarge", /larger than 1048576 bytes/)
    expect(r1.json.limit_bytes).toBe(1048576)
    // Not even JSON: the size is refused before any parsing is tried.
    const chunks = Array.from({ length: 20 }, () => new TextEncoder().encode("{".repeat(64 * 1024)))
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift()
        if (next === undefined) controller.close()
        else controller.enqueue(next)
      }
    })
    await refused(stream, {}, 413, "PayloadTooLarge", /larger than/)
  })

  test("429 with Retry-After once a key's requests per minute are used up", async () => {
    const limited = await run(createApiKey({ name: "slow app", rateLimitPerMinute: 2 }))
    const k = Redacted.value(limited.key)
    // Refused bodies still take a token: the limit counts attempts.
    expect((await score("{", { key: k })).status).toBe(400)
    expect((await score({ prompt: "p" }, { key: k })).status).toBe(400)
    const r = await refused({ prompt: "p", completions: ["a", "b"] }, { key: k }, 429, "RateLimited", /2 requests per minute/)
    const retry = Number(r.headers.get("retry-after"))
    expect(retry).toBeGreaterThanOrEqual(1)
    expect(retry).toBeLessThanOrEqual(30)
    expect(r.json.retry_after_seconds).toBe(retry)
    // Another key is not affected.
    expect((await score("{", { key: otherKey })).status).toBe(400)
  })
})

describe("GET /api/v1/score/{id}", () => {
  test("pending until scored after the deadline, then the final result; 404 for other keys and unknown ids", async () => {
    const posted = await score({ prompt: "Rank these.", completions: ["first text", "second, longer text", "3"] })
    expect(posted.status).toBe(200)
    const id = posted.json.request_id

    const pending = await api(`/api/v1/score/${id}`)
    expect(pending.status).toBe(200)
    expect(pending.json).toEqual({ request_id: id, status: "pending", deadline_at: posted.json.deadline_at })

    const foreign = await api(`/api/v1/score/${id}`, { key: otherKey })
    expect(foreign.status).toBe(404)
    expect(foreign.json._tag).toBe("NotFound")
    expect(foreign.json.message).toMatch(/for this API key/)
    expect((await api(`/api/v1/score/no-such-request`)).status).toBe(404)
    expect((await api(`/api/v1/score/${id}`, { key: null })).status).toBe(401)

    // Scoring after the deadline, on a clock two hours ahead: every due request is scored once.
    const scored = await run(
      Effect.gen(function* () {
        yield* TestClock.setTime(Date.now() + 2 * 3600 * 1000)
        return yield* scoreDueRequests()
      }).pipe(Effect.provide(TestContext.TestContext))
    )
    expect(scored).toBeGreaterThanOrEqual(1)

    const final = await api(`/api/v1/score/${id}`)
    expect(final.status).toBe(200)
    expect(final.json.status).toBe("scored")
    expect(final.json.deadline_at).toBe(posted.json.deadline_at)
    const stored = Option.getOrThrow(await run(Effect.flatMap(RequestLedger, (s) => s.getRequest(id))))
    expect(final.json.result).toEqual({
      cid_to_consensus: stored.result!.cid_to_consensus,
      hotkey_to_score: stored.result!.hotkey_to_score,
      scored_at: stored.result!.scoredAt
    })
    expect(final.json.result.scored_at).toBeGreaterThan(final.json.deadline_at)
    // Same answers, same (neutral) accuracies: the final consensus is the immediate one.
    for (const [cid, v] of Object.entries(posted.json.cid_to_consensus)) expect(final.json.result.cid_to_consensus[cid]).toBeCloseTo(v as number, 12)
    for (const [hk, v] of Object.entries(posted.json.hotkey_to_score)) expect(final.json.result.hotkey_to_score[hk]).toBeCloseTo(v as number, 12)
  }, 30_000)
})

describe("the server", () => {
  test("serves the OpenAPI document listing both paths, without a key", async () => {
    const r = await api("/api/v1/openapi.json", { key: null })
    expect(r.status).toBe(200)
    expect(r.json.openapi).toMatch(/^3\./)
    expect(Object.keys(r.json.paths).sort()).toEqual(["/api/v1/score", "/api/v1/score/{id}"])
    expect(Object.keys(r.json.paths["/api/v1/score"])).toEqual(["post"])
    expect(Object.keys(r.json.paths["/api/v1/score/{id}"])).toEqual(["get"])
    const post = r.json.paths["/api/v1/score"].post
    expect(Object.keys(post.responses).sort()).toEqual(["200", "400", "401", "413", "429", "500", "503"])
    expect(Object.keys(r.json.components.securitySchemes).sort()).toEqual(["bearer", "apiKey"].sort())
  })

  test("/healthz, /metrics and an extra router share the port", async () => {
    expect((await api("/healthz", { key: null })).json).toEqual({ status: "ok" })
    expect((await api("/hello", { key: null })).json).toBe("hello from an extra router")
    const m = await api("/metrics", { key: null })
    expect(m.status).toBe(200)
    expect(m.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8")
    const text = m.json as string
    expect(text).toContain("# TYPE dojo_validator_api_requests_total counter")
    expect(text).toMatch(/^dojo_validator_api_requests_total\{route="POST \/api\/v1\/score",status="200"\} [1-9]\d*$/m)
    expect(text).toMatch(/^dojo_validator_api_requests_total\{route="POST \/api\/v1\/score",status="401"\} [1-9]\d*$/m)
    expect(text).toMatch(/^dojo_validator_requests_sent_total\{kind="api"\} [1-9]\d*$/m)
    expect(text).toMatch(/^dojo_validator_miner_responses_total\{status="200"\} [1-9]\d*$/m)
    const pending = /^dojo_validator_store_requests\{status="pending"\} (\d+)$/m.exec(text)
    const scoredCount = /^dojo_validator_store_requests\{status="scored"\} (\d+)$/m.exec(text)
    expect(Number(pending![1]) + Number(scoredCount![1])).toBe(await storedRequests())
    expect((await api("/nowhere", { key: null })).status).toBe(404)
  })

  test("refuses an extra router that claims a reserved path", async () => {
    const clash = HttpRouter.empty.pipe(HttpRouter.get("/metrics", HttpServerResponse.text("mine")))
    const exit = await runtime.runPromiseExit(Effect.scoped(serveValidatorHttp({ ip: "127.0.0.2", port: 0 }, [clash])))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(Exit.isFailure(exit) ? exit.cause : "")).toMatch(/reserved paths \(\/metrics\)/)
  })

  test("a taken port is a ValidatorHttpError naming the address", async () => {
    const exit = await runtime.runPromiseExit(Effect.scoped(serveValidatorHttp({ ip: "127.0.0.2", port: server.port })))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain(`ValidatorHttpError: cannot listen on 127.0.0.2:${server.port}`)
  })

  test("503 when no miner answers, and nothing is stored", async () => {
    await Effect.runPromise(Scope.close(minerScope, Exit.void))
    const before = await storedRequests()
    const r = await score({ prompt: "anyone?", completions: ["a", "b"] })
    expect(r.status).toBe(503)
    expect(r.json._tag).toBe("MinersUnavailable")
    expect(r.json.message).toMatch(/none of the 3 miners asked gave a usable answer in time \(3× 503\)/)
    expect(await storedRequests()).toBe(before)
  }, 30_000)

  test("a score request outlasting Bun's 10 s idle timeout still gets its answer", async () => {
    // Miner 1 comes back slow (11 s to answer) at a new address; the others stay down.
    const slowScope = Effect.runSync(Scope.make())
    const slow = await Effect.runPromise(
      AxonLive.make({ ...AxonLive.defaultAxonConfig, hotkey: minerKeys[0]!.ss58Address, ip: "127.0.0.2", port: 0 }, [
        axonRoute(RankingRequestSynapse, {
          forward: (_ctx, body: RankingRequest) =>
            Effect.as(Effect.sleep("11 seconds"), {
              ...body,
              ranks: body.completions.map((c) => ({ cid: c.cid, score: 0.5 })),
              scoring_method: "hf_model" as const
            })
        })
      ]).pipe(Scope.extend(slowScope))
    )
    try {
      await run(
        Effect.gen(function* () {
          yield* (yield* ChainMemoryControl).advance(100) // past the serving rate limit
          yield* (yield* Chain).serveAxon(NETUID, minerKeys[0]!, { ip: slow.bound.ip, port: slow.bound.port, version: 1 })
        })
      )
      const r = await score({ prompt: "take your time", completions: ["a", "b"] })
      expect(r.status).toBe(200)
      expect(r.json.responses).toBe(1)
      expect(Object.keys(r.json.hotkey_to_score)).toEqual([minerKeys[0]!.ss58Address])
    } finally {
      await Effect.runPromise(Scope.close(slowScope, Exit.void))
    }
  }, 30_000)
})
