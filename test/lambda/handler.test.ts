import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Either, Redacted, Schema } from "effect"
import { buildLambda } from "../../lambda/build.ts"
import { type ForwarderDeps, forward, hitsInEvent } from "../../lambda/handler.ts"
import * as MTurkClient from "../../src/adapters/mturk/client.ts"
import { CallbackBody, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyCallback } from "../../src/domain/mturk/callback-auth.ts"
import { assignmentScores, buildHtmlQuestion } from "../../src/domain/mturk/formats.ts"
import { defaultHitTerms } from "../../src/services/mturk.ts"
import { startMTurkStub } from "../support/stubs/mturk.ts"

const SECRET = "callback-secret-0123456789abcdef"
const AKID = "AKIDLAMBDAROLE"
const mturkStub = startMTurkStub({ accessKeyIds: [AKID] })
const mturk = MTurkClient.make({
  environment: "sandbox",
  endpoint: mturkStub.endpoint,
  credentials: { accessKeyId: AKID, secretAccessKey: Redacted.make("role-secret") },
  maxAttempts: 1
})

/** A stand-in for the miner's callback endpoint: verifies like the miner must, records what it accepted. */
const received: Array<{ verified: boolean; body: CallbackBody | undefined; reason?: string }> = []
let minerReplies: number[] = []
const miner = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: async (req) => {
    const raw = await req.text()
    const status = minerReplies.shift()
    const check = verifyCallback({
      secret: Redacted.make(SECRET),
      body: raw,
      timestamp: req.headers.get(TIMESTAMP_HEADER),
      signature: req.headers.get(SIGNATURE_HEADER),
      nowSeconds: Date.now() / 1000
    })
    const decoded = Schema.decodeUnknownEither(Schema.parseJson(CallbackBody))(raw)
    received.push({
      verified: Either.isRight(check),
      body: Either.getOrUndefined(decoded),
      ...(Either.isLeft(check) ? { reason: check.left.reason } : {})
    })
    if (status !== undefined) return new Response("stub", { status })
    if (Either.isLeft(check)) return new Response(check.left.reason, { status: 401 })
    if (Either.isLeft(decoded)) return new Response("bad body", { status: 400 })
    return Response.json({ stored: decoded.right.assignments.length })
  }
})
const TARGET = `http://127.0.0.1:${miner.port}/api/human_feedback/callback`
afterAll(async () => {
  await miner.stop(true)
  await mturkStub.stop()
})

const deps = (overrides: Partial<ForwarderDeps> = {}): ForwarderDeps => ({
  targetUrl: TARGET,
  secret: Redacted.make(SECRET),
  mturk,
  postBackoff: "5 millis",
  ...overrides
})

const newHit = async (cids = ["c1", "c2"]) => {
  const created = await Effect.runPromise(
    mturk.createHit({
      ...defaultHitTerms,
      question: buildHtmlQuestion({ prompt: "p", completions: cids.map((cid) => ({ cid, text: cid })) })
    })
  )
  return created.hitId
}

beforeEach(() => {
  received.length = 0
  minerReplies = []
  mturkStub.requests.length = 0
})

describe("Lambda forwarder", () => {
  test("lists the HIT's submitted assignments and POSTs them signed; the miner can verify and read them", async () => {
    const hitId = await newHit()
    const a1 = mturkStub.submitAssignment(hitId, { scores: { c1: 7, c2: 2 } }, { workerId: "W1" })
    const a2 = mturkStub.submitAssignment(hitId, { scores: { c1: 9, c2: 4 } }, { workerId: "W2" })
    const event = mturkStub.snsEvent([{ hitId, assignmentId: a2 }])
    mturkStub.requests.length = 0
    const summary = await Effect.runPromise(forward(event, deps()))
    expect(summary).toEqual({ hits: [hitId], assignments: 2, skippedRecords: 0 })
    expect(received).toHaveLength(1)
    expect(received[0]!.verified).toBe(true)
    const body = received[0]!.body!
    expect(body.HITId).toBe(hitId)
    expect(body.assignments.map((a) => [a.AssignmentId, a.WorkerId])).toEqual([
      [a1, "W1"],
      [a2, "W2"]
    ])
    const stored = mturkStub.hits.get(hitId)!.assignments[0]!
    expect(body.assignments[0]!.SubmitTime).toBe(new Date(stored.SubmitTime * 1000).toISOString())
    expect(Either.getOrThrow(assignmentScores(body.assignments[0]!.Answer, ["c1", "c2"]))).toEqual({ c1: 7, c2: 2 })
    expect(mturkStub.requests.map((r) => r.operation)).toEqual(["ListAssignmentsForHIT"])
  })

  test("events are deduped: one listing and one POST per HIT, repeated documents ignored", async () => {
    const [h1, h2] = [await newHit(), await newHit()]
    const x = mturkStub.submitAssignment(h1, { scores: { c1: 1, c2: 1 } })
    const y = mturkStub.submitAssignment(h1, { scores: { c1: 2, c2: 2 } })
    const z = mturkStub.submitAssignment(h2, { scores: { c1: 3, c2: 3 } })
    mturkStub.requests.length = 0
    const doc = mturkStub.snsEvent(
      [
        { hitId: h1, assignmentId: x },
        { hitId: h1, assignmentId: y },
        { hitId: h1, assignmentId: x },
        { hitId: h2, assignmentId: z },
        { hitId: h2, assignmentId: "AOTHER", eventType: "AssignmentReturned" }
      ],
      { eventDocId: "doc-1" }
    )
    const event = { Records: [...doc.Records, ...doc.Records] } // SNS delivered the same document twice
    const summary = await Effect.runPromise(forward(event, deps()))
    expect(new Set(summary.hits)).toEqual(new Set([h1, h2]))
    expect(summary.assignments).toBe(3)
    expect(received).toHaveLength(2)
    expect(mturkStub.requests.filter((r) => r.operation === "ListAssignmentsForHIT")).toHaveLength(2)
  })

  test("hitsInEvent skips unreadable records and events other than AssignmentSubmitted", () => {
    const ok = mturkStub.snsEvent([{ hitId: "HX", assignmentId: "A1" }])
    const found = Either.getOrThrow(
      hitsInEvent({ Records: [...ok.Records, { Sns: { Message: "not json" } }, { Sns: { Message: '{"Events": 5}' } }] })
    )
    expect(found).toEqual({ hitIds: ["HX"], skippedRecords: 2 })
    expect(Either.isLeft(hitsInEvent({ nope: true }))).toBe(true)
    expect(Either.getOrThrow(hitsInEvent({ Records: [] }))).toEqual({ hitIds: [], skippedRecords: 0 })
  })

  test("a miner answering 503 is retried; a 401 is not, and the invocation fails so Lambda retries it", async () => {
    const hitId = await newHit()
    const a = mturkStub.submitAssignment(hitId, { scores: { c1: 5, c2: 5 } })
    minerReplies = [503, 502]
    const ok = await Effect.runPromise(Effect.either(forward(mturkStub.snsEvent([{ hitId, assignmentId: a }]), deps())))
    expect(Either.isRight(ok)).toBe(true)
    expect(received).toHaveLength(3)

    received.length = 0
    minerReplies = [401]
    const refused = await Effect.runPromise(Effect.either(forward(mturkStub.snsEvent([{ hitId, assignmentId: a }]), deps())))
    expect(Either.isLeft(refused)).toBe(true)
    expect(received).toHaveLength(1)
  })

  test("a wrong secret is refused by the miner (so the forwarder fails), and MTurk errors fail the invocation", async () => {
    const hitId = await newHit()
    const a = mturkStub.submitAssignment(hitId, { scores: { c1: 5, c2: 5 } })
    const event = mturkStub.snsEvent([{ hitId, assignmentId: a }])
    const forged = await Effect.runPromise(Effect.either(forward(event, deps({ secret: Redacted.make("guess") }))))
    expect(Either.isLeft(forged)).toBe(true)
    expect(received.map((r) => [r.verified, r.reason])).toEqual([[false, "bad_signature"]])

    received.length = 0
    const unknown = await Effect.runPromise(
      Effect.either(forward(mturkStub.snsEvent([{ hitId: "HNOSUCH", assignmentId: "A1" }]), deps()))
    )
    expect(Either.isLeft(unknown)).toBe(true)
    expect(received).toHaveLength(0)
  })
})

describe("Lambda bundle", () => {
  const dir = mkdtempSync(join(tmpdir(), "dojo-lambda-"))
  let bundle = ""
  const env = {
    TARGET_URL: TARGET,
    DOJO_CALLBACK_SECRET: SECRET,
    MTURK_ENDPOINT_URL: mturkStub.endpoint,
    AWS_ACCESS_KEY_ID: AKID,
    AWS_SECRET_ACCESS_KEY: "role-secret"
  }
  beforeAll(async () => {
    bundle = await buildLambda(join(dir, "index.mjs"))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test("builds into one file whose handler forwards an SNS event (imported in Bun)", async () => {
    expect(Bun.file(bundle).size).toBeGreaterThan(10_000)
    const hitId = await newHit()
    const a = mturkStub.submitAssignment(hitId, { scores: { c1: 3, c2: 8 } })
    const saved = { ...process.env }
    Object.assign(process.env, env)
    try {
      const mod = (await import(bundle)) as { handler: (event: unknown) => Promise<unknown> }
      const summary = await mod.handler(mturkStub.snsEvent([{ hitId, assignmentId: a }]))
      expect(summary).toEqual({ hits: [hitId], assignments: 1, skippedRecords: 0 })
      expect(received.map((r) => r.verified)).toEqual([true])
      delete process.env.DOJO_CALLBACK_SECRET
      await expect(mod.handler(mturkStub.snsEvent([{ hitId, assignmentId: a }]))).rejects.toThrow(/DOJO_CALLBACK_SECRET/)
    } finally {
      for (const key of Object.keys(env)) delete process.env[key]
      Object.assign(process.env, saved)
    }
  })

  test.skipIf(Bun.which("node") === null)("runs under Node.js, as on the Lambda runtime", async () => {
    const hitId = await newHit()
    const a = mturkStub.submitAssignment(hitId, { scores: { c1: 10, c2: 1 } })
    const event = JSON.stringify(mturkStub.snsEvent([{ hitId, assignmentId: a }]))
    const script = `import(${JSON.stringify(bundle)}).then((m) => m.handler(JSON.parse(process.env.EVENT))).then((s) => console.log(JSON.stringify(s)))`
    const proc = Bun.spawn(["node", "-e", script], {
      env: { PATH: process.env.PATH ?? "", HOME: dir, ...env, EVENT: event },
      stdout: "pipe",
      stderr: "pipe"
    })
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    expect({ code, err: code === 0 ? "" : err }).toEqual({ code: 0, err: "" })
    expect(out + err).not.toContain(SECRET)
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual({ hits: [hitId], assignments: 1, skippedRecords: 0 })
    expect(received.map((r) => r.verified)).toEqual([true])
  })
})
