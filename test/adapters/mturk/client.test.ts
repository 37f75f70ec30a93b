import { afterAll, beforeEach, describe, expect, test } from "bun:test"
import { ConfigProvider, Effect, Either, Layer, Redacted } from "effect"
import * as MTurkClient from "../../../src/adapters/mturk/client.ts"
import { buildHtmlQuestion } from "../../../src/domain/mturk/formats.ts"
import { defaultHitTerms, MTurk, type NewHit } from "../../../src/services/mturk.ts"
import { startMTurkStub } from "../../support/stubs/mturk.ts"

const AKID = "AKIDEXAMPLE0000000001"
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
const stub = startMTurkStub({ accessKeyIds: [AKID, "ASIATEMPORARY00000001"] })
afterAll(() => stub.stop())

const client = (overrides: Partial<MTurkClient.MTurkClientOptions> = {}) =>
  MTurkClient.make({
    environment: "sandbox",
    endpoint: stub.endpoint,
    credentials: { accessKeyId: AKID, secretAccessKey: Redacted.make(SECRET) },
    callTimeout: "5 seconds",
    ...overrides
  })

const newHit = (overrides: Partial<NewHit> = {}): NewHit => ({
  ...defaultHitTerms,
  question: buildHtmlQuestion({
    prompt: "2+2?",
    completions: [
      { cid: "c1", text: "4" },
      { cid: "c2", text: "5" }
    ]
  }),
  ...overrides
})

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(Effect.either(effect))

beforeEach(() => {
  stub.requests.length = 0
})

describe("MTurk client", () => {
  test("CreateHIT sends the dojo.md §2.4 terms on the AWS JSON 1.1 wire, signed", async () => {
    const created = Either.getOrThrow(await run(client().createHit(newHit({ requesterAnnotation: "req-1" }))))
    const req = stub.requests.at(-1)!
    expect(req.operation).toBe("CreateHIT")
    expect(req.contentType).toBe("application/x-amz-json-1.1")
    expect(req.accessKeyId).toBe(AKID)
    expect(req.authorization).toContain("/us-east-1/mturk-requester/aws4_request")
    expect(req.authorization).not.toContain(SECRET)
    expect(req.body).toMatchObject({
      Title: "Prompt & Completion Evaluation Task",
      Keywords: "text, quick, labeling, scoring, easy, bonus",
      Reward: "0.01",
      MaxAssignments: 3,
      LifetimeInSeconds: 3600,
      AssignmentDurationInSeconds: 600,
      AutoApprovalDelayInSeconds: 86400,
      RequesterAnnotation: "req-1"
    })
    expect(req.body.Question).toContain("HTMLQuestion.xsd")
    const hit = stub.hits.get(created.hitId)!
    expect(created).toEqual({
      hitId: hit.HITId,
      hitTypeId: hit.HITTypeId,
      expiresAt: hit.Expiration * 1000,
      maxAssignments: 3
    })
  })

  test("terms are configurable", async () => {
    const created = Either.getOrThrow(
      await run(client().createHit(newHit({ reward: "0.25", maxAssignments: 5, lifetimeSeconds: 120 })))
    )
    expect(stub.requests.at(-1)!.body).toMatchObject({ Reward: "0.25", MaxAssignments: 5, LifetimeInSeconds: 120 })
    expect(created.maxAssignments).toBe(5)
    const hit = stub.hits.get(created.hitId)!
    expect(hit.Expiration - hit.CreationTime).toBe(120)
  })

  test("a duplicate UniqueRequestToken is a typed request error with MTurk's code", async () => {
    Either.getOrThrow(await run(client().createHit(newHit({ uniqueRequestToken: "tok-1" }))))
    const again = await run(client().createHit(newHit({ uniqueRequestToken: "tok-1" })))
    expect(Either.isLeft(again) && again.left).toMatchObject({
      _tag: "MTurkRequestError",
      operation: "CreateHIT",
      turkErrorCode: "AWS.MechanicalTurk.HitAlreadyExists"
    })
  })

  test("UpdateNotificationSettings routes AssignmentSubmitted to the SNS topic", async () => {
    const created = Either.getOrThrow(await run(client().createHit(newHit())))
    const arn = "arn:aws:sns:us-east-1:123456789012:dojo"
    Either.getOrThrow(await run(client().updateNotificationSettings({ hitTypeId: created.hitTypeId, snsTopicArn: arn })))
    expect(stub.requests.at(-1)!.body).toEqual({
      HITTypeId: created.hitTypeId,
      Notification: { Destination: arn, Transport: "SNS", Version: "2014-08-15", EventTypes: ["AssignmentSubmitted"] },
      Active: true
    })
    expect(stub.notifications.get(created.hitTypeId)?.Active).toBe(true)
    const unknown = await run(client().updateNotificationSettings({ hitTypeId: "TNOPE", snsTopicArn: arn }))
    expect(Either.isLeft(unknown) && unknown.left._tag).toBe("MTurkRequestError")
  })

  test("ListAssignmentsForHIT follows NextToken through every page", async () => {
    const created = Either.getOrThrow(await run(client().createHit(newHit())))
    const ids = Array.from({ length: 230 }, (_, i) =>
      stub.submitAssignment(created.hitId, { scores: { c1: 1 + (i % 10), c2: 5 } }, { workerId: `W${i}` })
    )
    stub.submitAssignment(created.hitId, { scores: {} }, { status: "Rejected" })
    stub.requests.length = 0
    const assignments = Either.getOrThrow(await run(client().listAssignmentsForHit(created.hitId)))
    expect(assignments.map((a) => a.assignmentId)).toEqual(ids)
    expect(stub.requests.map((r) => r.operation)).toEqual(Array(3).fill("ListAssignmentsForHIT"))
    expect(stub.requests.map((r) => r.body.NextToken)).toEqual([undefined, "page-100", "page-200"])
    expect(stub.requests[0]!.body.AssignmentStatuses).toEqual(["Submitted", "Approved"])
    const first = assignments[0]!
    const raw = stub.hits.get(created.hitId)!.assignments[0]!
    expect(first).toEqual({
      assignmentId: raw.AssignmentId,
      workerId: "W0",
      hitId: created.hitId,
      status: "Submitted",
      submitTime: raw.SubmitTime * 1000,
      answer: raw.Answer
    })
  })

  test("an unknown HIT is a request error", async () => {
    const result = await run(client().listAssignmentsForHit("HNOTAHIT"))
    expect(Either.isLeft(result) && result.left).toMatchObject({
      _tag: "MTurkRequestError",
      turkErrorCode: "AWS.MechanicalTurk.HitDoesNotExist"
    })
  })

  test("ServiceFault and throttling are retried by the SDK; persistent faults become MTurkUnavailable", async () => {
    stub.failNext("CreateHIT", { type: "ServiceFault" })
    stub.failNext("CreateHIT", { type: "ThrottlingException", message: "Rate exceeded" })
    Either.getOrThrow(await run(client().createHit(newHit())))
    expect(stub.requests.filter((r) => r.operation === "CreateHIT")).toHaveLength(3)

    stub.requests.length = 0
    stub.failNext("ListAssignmentsForHIT", { type: "ServiceFault", message: "down" }, 2)
    const result = await run(client({ maxAttempts: 2 }).listAssignmentsForHit("HX"))
    expect(Either.isLeft(result) && result.left).toMatchObject({ _tag: "MTurkUnavailable", operation: "ListAssignmentsForHIT" })
    expect(stub.requests).toHaveLength(2)
  })

  test("a call that does not answer in time is MTurkUnavailable", async () => {
    stub.delayNext("CreateHIT", 400, 3)
    const result = await run(client({ callTimeout: "100 millis", maxAttempts: 1 }).createHit(newHit()))
    expect(Either.isLeft(result) && result.left._tag).toBe("MTurkUnavailable")
  })

  test("unknown credentials are refused; the secret never appears in the error", async () => {
    const result = await run(
      client({ credentials: { accessKeyId: "AKIDUNKNOWN", secretAccessKey: Redacted.make("very-secret-value") } }).createHit(
        newHit()
      )
    )
    expect(Either.isLeft(result) && result.left._tag).toBe("MTurkUnavailable")
    expect(JSON.stringify(result)).not.toContain("very-secret-value")
  })

  test("temporary credentials send their session token", async () => {
    const created = Either.getOrThrow(await run(client().createHit(newHit())))
    const temp = client({
      credentials: {
        accessKeyId: "ASIATEMPORARY00000001",
        secretAccessKey: Redacted.make("temp-secret"),
        sessionToken: Redacted.make("session-token-xyz")
      }
    })
    Either.getOrThrow(await run(temp.listAssignmentsForHit(created.hitId)))
    expect(stub.requests.at(-1)!.securityToken).toBe("session-token-xyz")
  })

  test("a dead endpoint is MTurkUnavailable", async () => {
    const dead = startMTurkStub()
    const endpoint = dead.endpoint
    await dead.stop()
    const result = await run(client({ endpoint, maxAttempts: 1 }).createHit(newHit()))
    expect(Either.isLeft(result) && result.left._tag).toBe("MTurkUnavailable")
  })

  test("layerConfig reads the keys from the environment (AWS_SECRET_KEY accepted); the endpoint follows the environment", async () => {
    const program = Effect.gen(function* () {
      const mturk = yield* MTurk
      return yield* mturk.createHit(newHit())
    })
    const env = new Map([
      ["AWS_ACCESS_KEY_ID", AKID],
      ["AWS_SECRET_KEY", SECRET]
    ])
    const layer = MTurkClient.layerConfig({ environment: "production", endpoint: stub.endpoint }).pipe(
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(env)))
    )
    Either.getOrThrow(await run(program.pipe(Effect.provide(layer))))
    const missing = MTurkClient.layerConfig({ environment: "production" }).pipe(
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map())))
    )
    const failed = await run(program.pipe(Effect.provide(missing)))
    expect(Either.isLeft(failed) && JSON.stringify(failed.left)).toContain("AWS_ACCESS_KEY_ID")
    expect(MTurkClient.MTURK_ENDPOINTS.sandbox).toBe("https://mturk-requester-sandbox.us-east-1.amazonaws.com")
    expect(client({ environment: "production" }).environment).toBe("production")
  })
})
