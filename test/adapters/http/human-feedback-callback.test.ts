import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { BunHttpServer } from "@effect/platform-bun"
import { Effect, Exit, Layer, ManagedRuntime, Option, Redacted, Scope } from "effect"
import fc from "fast-check"
import * as MinerStoreSql from "../../../src/adapters/store/miner-store-sql.ts"
import { type CallbackBody, signCallback } from "../../../src/domain/mturk/callback-auth.ts"
import { CALLBACK_PATH, serveCallbackApi } from "../../../src/adapters/http/human-feedback-callback.ts"
import { MinerSettings, type MinerSettingsShape } from "../../../src/pipeline/miner/settings.ts"
import { MinerStore } from "../../../src/services/miner-store.ts"
import { crowdFormAnswerXml } from "../../support/stubs/mturk.ts"
import { testHit, testSettings } from "../../pipeline/miner/miner-fixture.ts"

const SECRET = Redacted.make("callback-secret-for-tests-0123456789")
const HIT = "3HITAAAAAAAAAAAAAAAAAAAAAAAAAA"
const CIDS = ["cid-0", "cid-1"]

/** A callback API on 127.0.0.1 with its own in-memory store. */
const startApi = async (settings: Partial<MinerSettingsShape> = {}) => {
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      MinerStoreSql.layerTest,
      Layer.succeed(MinerSettings, testSettings({ callbackSecret: Option.some(SECRET), ...settings })),
      BunHttpServer.layer({ hostname: "127.0.0.1", port: 0 })
    )
  )
  const scope = Effect.runSync(Scope.make())
  const address = await runtime.runPromise(Scope.extend(serveCallbackApi, scope))
  if (address._tag !== "TcpAddress") throw new Error("expected a TCP address")
  await runtime.runPromise(
    Effect.flatMap(MinerStore, (s) =>
      s.recordHit(testHit(HIT, CIDS))
    )
  )
  return {
    url: `http://127.0.0.1:${address.port}${CALLBACK_PATH}`,
    base: `http://127.0.0.1:${address.port}`,
    hit: () => runtime.runPromise(Effect.flatMap(MinerStore, (s) => s.getHit(HIT))).then(Option.getOrThrow),
    stop: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await runtime.dispose()
    }
  }
}

const assignment = (id: string, scores: Record<string, unknown>, answer?: string) => ({
  AssignmentId: id,
  WorkerId: `W${id}`,
  HITId: HIT,
  SubmitTime: "2026-11-25T00:00:00.000Z",
  Answer: answer ?? crowdFormAnswerXml(scores)
})

const bodyOf = (assignments: ReadonlyArray<ReturnType<typeof assignment>>, hitId = HIT): string =>
  JSON.stringify({ HITId: hitId, assignments } satisfies CallbackBody)

const post = async (url: string, body: string | Uint8Array | ReadableStream, headers: Record<string, string>) => {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body })
  return { status: res.status, json: (await res.json().catch(() => null)) as any }
}

const signedPost = (url: string, body: string, at = Date.now() / 1000) => post(url, body, signCallback(SECRET, body, at))

describe("POST /api/human_feedback/callback (real HTTP, SQLite store)", () => {
  let api: Awaited<ReturnType<typeof startApi>>
  beforeAll(async () => {
    api = await startApi()
  })
  afterAll(() => api.stop())

  test("a signed callback stores each assignment's sliders; a repeat (Lambda retry, SNS redelivery) changes nothing", async () => {
    const body = bodyOf([assignment("A1", { "cid-0": 7, "cid-1": 2 }), assignment("A2", { "cid-0": 10, "cid-1": 1 })])
    const first = await signedPost(api.url, body)
    expect(first.status).toBe(200)
    expect(first.json).toEqual({ hitId: HIT, kept: ["A1", "A2"], added: 2, duplicate: 0, rejected: [] })
    const hit = await api.hit()
    expect(hit.assignments.map((a) => [a.assignmentId, a.workerId, a.scores])).toEqual([
      ["A1", "WA1", { "cid-0": 7, "cid-1": 2 }],
      ["A2", "WA2", { "cid-0": 10, "cid-1": 1 }]
    ])
    expect(hit.assignments[0]!.submittedAt).toBe(Date.parse("2026-11-25T00:00:00.000Z") / 1000)
    const again = await signedPost(api.url, body)
    expect(again.status).toBe(200)
    expect(again.json).toMatchObject({ added: 0, duplicate: 2 })
    expect(await api.hit()).toEqual(hit)
  })

  test("forged, unsigned, stale (replayed) or future-dated callbacks: 401, nothing stored", async () => {
    const before = await api.hit()
    const body = bodyOf([assignment("F1", { "cid-0": 1, "cid-1": 1 })])
    const forged = signCallback(Redacted.make("not-the-secret"), body, Date.now() / 1000)
    expect((await post(api.url, body, forged)).status).toBe(401)
    expect((await post(api.url, body, {})).status).toBe(401)
    const stale = await signedPost(api.url, body, Date.now() / 1000 - 301)
    expect(stale.status).toBe(401)
    expect(stale.json.error).toContain("stale_timestamp")
    expect((await signedPost(api.url, body, Date.now() / 1000 + 400)).status).toBe(401)
    // A signature for one body does not cover another.
    const headers = signCallback(SECRET, body, Date.now() / 1000)
    const other = bodyOf([assignment("F2", { "cid-0": 9, "cid-1": 9 })])
    expect((await post(api.url, other, headers)).status).toBe(401)
    expect(await api.hit()).toEqual(before)
  })

  test("any change to a signed body is refused (property)", async () => {
    const before = await api.hit()
    const body = bodyOf([assignment("P1", { "cid-0": 5, "cid-1": 6 })])
    const headers = signCallback(SECRET, body, Date.now() / 1000)
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: body.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, flip) => {
        const bytes = new TextEncoder().encode(body)
        bytes[at] = (bytes[at] ?? 0) ^ flip
        expect((await post(api.url, bytes, headers)).status).toBe(401)
      }),
      { numRuns: 25 }
    )
    expect(await api.hit()).toEqual(before)
  })

  test("malformed bodies: 400 naming what is wrong, nothing stored", async () => {
    const before = await api.hit()
    const notJson = await signedPost(api.url, "{not json")
    expect(notJson.status).toBe(400)
    const noAssignments = await signedPost(api.url, JSON.stringify({ HITId: HIT }))
    expect(noAssignments.status).toBe(400)
    expect(noAssignments.json.error).toContain("assignments")
    const badId = await signedPost(api.url, bodyOf([{ ...assignment("B1", {}), WorkerId: "<script>" }]))
    expect(badId.status).toBe(400)
    expect(badId.json.error).toContain("assignments.0.WorkerId")
    const mixed = await signedPost(api.url, JSON.stringify({ HITId: HIT, assignments: [{ ...assignment("B2", { "cid-0": 1, "cid-1": 1 }), HITId: "OTHERHIT" }] }))
    expect(mixed.status).toBe(400)
    expect(mixed.json.error).toContain("assignments.0.HITId")
    expect(await api.hit()).toEqual(before)
  })

  test("batch rule: some assignments unreadable → 207 listing kept and refused (with reasons); none readable → 400, nothing stored", async () => {
    const body = bodyOf([
      assignment("G1", { "cid-0": 4, "cid-1": 8 }),
      assignment("BAD1", { "cid-0": 11, "cid-1": 1 }),
      assignment("BAD2", { "cid-0": 5 }),
      assignment("BAD3", {}, "<QuestionFormAnswers><Answer>")
    ])
    const r = await signedPost(api.url, body)
    expect(r.status).toBe(207)
    expect(r.json.kept).toEqual(["G1"])
    expect(r.json.added).toBe(1)
    expect(r.json.rejected.map((x: any) => x.assignmentId)).toEqual(["BAD1", "BAD2", "BAD3"])
    expect(r.json.rejected[0].reason).toContain("not a number in [1, 10]")
    expect(r.json.rejected[1].reason).toContain('missing cids "cid-1"')
    const ids = (await api.hit()).assignments.map((a) => a.assignmentId)
    expect(ids).toContain("G1")
    for (const bad of ["BAD1", "BAD2", "BAD3"]) expect(ids).not.toContain(bad)

    const before = await api.hit()
    const none = await signedPost(api.url, bodyOf([assignment("BAD4", { "cid-0": 0, "cid-1": 1 }), assignment("BAD5", { "cid-1": 2 })]))
    expect(none.status).toBe(400)
    expect(none.json.kept).toEqual([])
    expect(none.json.rejected.map((x: any) => x.assignmentId)).toEqual(["BAD4", "BAD5"])
    expect(await api.hit()).toEqual(before)
  })

  test("a HIT this miner did not create: 404", async () => {
    const r = await signedPost(api.url, bodyOf([{ ...assignment("U1", { "cid-0": 1, "cid-1": 1 }), HITId: "3UNKNOWNHIT" }], "3UNKNOWNHIT"))
    expect(r.status).toBe(404)
  })

  test("bodies over 1 MiB: 413, whether declared or streamed without a length", async () => {
    const before = await api.hit()
    const big = bodyOf([assignment("L1", { "cid-0": 1, "cid-1": 1 }, "x".repeat(1024 * 1024))])
    expect((await signedPost(api.url, big)).status).toBe(413)
    const chunks = new TextEncoder().encode(big)
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < chunks.length; i += 65536) controller.enqueue(chunks.slice(i, i + 65536))
        controller.close()
      }
    })
    expect((await post(api.url, stream, signCallback(SECRET, big, Date.now() / 1000))).status).toBe(413)
    expect(await api.hit()).toEqual(before)
  })

  test("other paths and methods: 404", async () => {
    expect((await fetch(`${api.base}/api/other`, { method: "POST" })).status).toBe(404)
    expect((await fetch(api.url)).status).toBe(404)
  })
})

describe("callback without DOJO_CALLBACK_SECRET", () => {
  test("every request is refused with 503", async () => {
    const api = await startApi({ callbackSecret: Option.none() })
    try {
      const body = bodyOf([assignment("S1", { "cid-0": 1, "cid-1": 1 })])
      const r = await signedPost(api.url, body)
      expect(r.status).toBe(503)
      expect((await api.hit()).assignments).toEqual([])
    } finally {
      await api.stop()
    }
  })
})


