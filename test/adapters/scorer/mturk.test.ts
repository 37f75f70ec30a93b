import { afterAll, beforeEach, describe, expect, test } from "bun:test"
import { ConfigProvider, Effect, Either, Layer, Redacted } from "effect"
import * as MTurkClient from "../../../src/adapters/mturk/client.ts"
import * as MTurkScorer from "../../../src/adapters/scorer/mturk.ts"
import { aggregateAssignments, assignmentScores } from "../../../src/domain/mturk/formats.ts"
import type { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { MTurk } from "../../../src/services/mturk.ts"
import { Scorer } from "../../../src/services/scorer.ts"
import { startMTurkStub } from "../../support/stubs/mturk.ts"
import { testRankingRequest } from "../../support/fixtures.ts"

const ARN = "arn:aws:sns:us-east-1:123456789012:dojo-mturk"
const stub = startMTurkStub({ accessKeyIds: ["AKIDMINER"] })
afterAll(() => stub.stop())

const mturkLayer = MTurkClient.layer({
  environment: "sandbox",
  endpoint: stub.endpoint,
  credentials: { accessKeyId: "AKIDMINER", secretAccessKey: Redacted.make("miner-secret") },
  maxAttempts: 1
})

let counter = 0
// Markup, a CDATA terminator and quotes: what the HIT's HTML must escape.
const request = (overrides: Partial<RankingRequest> = {}): RankingRequest =>
  testRankingRequest({
    request_id: `req-${++counter}`,
    prompt: "Is <b>this</b> & that safe?",
    completions: [
      { cid: "c-1", text: "yes <script>alert(1)</script>" },
      { cid: "c-2", text: "no ]]> breaks CDATA" },
      { cid: "c-3", text: 'maybe "quoted"' }
    ],
    ...overrides
  })

/** Runs `f` with a fresh scorer (fresh notification cache) over the stub. */
const withScorer = <A, E>(
  f: (s: Scorer["Type"]) => Effect.Effect<A, E>,
  options: Partial<MTurkScorer.MTurkScorerOptions> = {}
) =>
  Effect.runPromise(
    Effect.either(
      Effect.flatMap(Scorer, f).pipe(
        Effect.provide(MTurkScorer.layer({ snsTopicArn: ARN, ...options }).pipe(Layer.provide(mturkLayer)))
      )
    )
  )

const ops = () => stub.requests.map((r) => r.operation)

beforeEach(() => {
  stub.requests.length = 0
})

describe("aws_mturk scorer", () => {
  test("posts one HIT with the escaped question and answers at once with the HIT and no ranks", async () => {
    const r = request()
    const outcome = Either.getOrThrow(await withScorer((s) => s.score(r)))
    expect(outcome.ranks).toEqual([])
    expect(outcome.unscored).toEqual([])
    const hit = stub.hits.get(outcome.mturkHit!.hitId)!
    expect(outcome.mturkHit).toEqual({ hitId: hit.HITId, expiresAt: hit.Expiration * 1000, assignments: 3 })
    expect(hit.input).toMatchObject({
      Reward: "0.01",
      MaxAssignments: 3,
      LifetimeInSeconds: 3600,
      AssignmentDurationInSeconds: 600,
      AutoApprovalDelayInSeconds: 86400,
      RequesterAnnotation: `dojo request ${r.request_id}`
    })
    const q = String(hit.input.Question)
    expect(q).not.toContain("<script>")
    expect(q).not.toContain("<b>this</b>")
    expect(q).toContain("&lt;script&gt;")
    expect(q.match(/\]\]>/g)).toHaveLength(1) // only the CDATA end of the question itself
    expect(stub.questionCids(hit.HITId)).toEqual(["c-1", "c-2", "c-3"])
    expect(ops()).toEqual(["CreateHIT", "UpdateNotificationSettings"])
    expect(stub.notifications.get(hit.HITTypeId)).toEqual({
      Destination: ARN,
      Transport: "SNS",
      Version: "2014-08-15",
      EventTypes: ["AssignmentSubmitted"],
      Active: true
    })
  })

  test("declares aws_mturk; terms are configurable", async () => {
    const outcome = Either.getOrThrow(
      await withScorer(
        (s) => {
          expect(s.method).toBe("aws_mturk")
          expect(s.modelConfig).toEqual({ provider: null, model_name: "human" })
          return s.score(request())
        },
        { terms: { reward: "0.05", maxAssignments: 5, lifetimeSeconds: 600 } }
      )
    )
    expect(outcome.mturkHit!.assignments).toBe(5)
    expect(stub.hits.get(outcome.mturkHit!.hitId)!.input).toMatchObject({ Reward: "0.05", MaxAssignments: 5, LifetimeInSeconds: 600 })
  })

  test("notifications are set once per HIT type", async () => {
    Either.getOrThrow(
      await withScorer((s) => Effect.all([s.score(request()), s.score(request()), s.score(request())]))
    )
    expect(ops().filter((o) => o === "CreateHIT")).toHaveLength(3)
    expect(ops().filter((o) => o === "UpdateNotificationSettings")).toHaveLength(1)
  })

  test("a failed notification setup still returns the HIT, logs, and is retried on the next request", async () => {
    stub.failNext("UpdateNotificationSettings", { type: "ServiceFault" })
    const [first, second] = Either.getOrThrow(
      await withScorer((s) => Effect.all([s.score(request()), s.score(request())]))
    )
    expect(first!.mturkHit).not.toBeNull()
    expect(second!.mturkHit).not.toBeNull()
    expect(ops()).toEqual(["CreateHIT", "UpdateNotificationSettings", "CreateHIT", "UpdateNotificationSettings"])
  })

  test("MTurk down or refusing: a typed unavailable error naming MTurk's code, no HIT", async () => {
    stub.failNext("CreateHIT", { type: "ServiceFault" })
    const down = await withScorer((s) => s.score(request()))
    expect(Either.isLeft(down) && down.left._tag).toBe("ScorerUnavailable")
    stub.failNext("CreateHIT", {
      type: "RequestError",
      message: "You do not have enough funds",
      turkErrorCode: "AWS.MechanicalTurk.InsufficientFunds"
    })
    const broke = await withScorer((s) => s.score(request()))
    expect(Either.isLeft(broke) && broke.left).toMatchObject({ _tag: "ScorerUnavailable" })
    expect(Either.isLeft(broke) && broke.left.message).toContain("InsufficientFunds")
    expect(JSON.stringify([down, broke])).not.toContain("miner-secret")
  })

  test("the same request twice does not post a second HIT", async () => {
    const r = request()
    const hitsBefore = stub.hits.size
    const first = await withScorer((s) => s.score(r))
    const again = await withScorer((s) => s.score(r))
    expect(Either.isRight(first)).toBe(true)
    expect(Either.isLeft(again) && again.left._tag).toBe("ScorerRejected")
    expect(ops().filter((o) => o === "CreateHIT")).toHaveLength(2)
    expect(stub.hits.size).toBe(hitsBefore + 1)
    const tokens = stub.requests.filter((q) => q.operation === "CreateHIT").map((q) => q.body.UniqueRequestToken)
    expect(tokens[0]).toBe(tokens[1])
    expect(tokens[0]).toMatch(/^[0-9a-f]{64}$/)
  })

  test("image, empty and oversized requests are rejected without calling MTurk", async () => {
    const image = await withScorer((s) => s.score(request({ modality: "image" })))
    const empty = await withScorer((s) => s.score(request({ n_completions: 0, completions: [] })))
    const huge = await withScorer((s) =>
      s.score(request({ n_completions: 1, completions: [{ cid: "c", text: "x".repeat(140_000) }] }))
    )
    for (const r of [image, empty, huge]) expect(Either.isLeft(r) && r.left._tag).toBe("ScorerRejected")
    expect(stub.requests).toHaveLength(0)
  })

  test("slider answers submitted to the stub's HIT read back through the domain parser and aggregate", async () => {
    const outcome = Either.getOrThrow(await withScorer((s) => s.score(request())))
    const hitId = outcome.mturkHit!.hitId
    const cids = stub.questionCids(hitId)
    stub.submitAssignment(hitId, { scores: { "c-1": 10, "c-2": 1, "c-3": 4 } })
    stub.submitAssignment(hitId, { scores: { "c-1": 8, "c-2": 3, "c-3": 7 } })
    const assignments = Either.getOrThrow(
      await Effect.runPromise(
        Effect.either(Effect.flatMap(MTurk, (m) => m.listAssignmentsForHit(hitId)).pipe(Effect.provide(mturkLayer)))
      )
    )
    const per = assignments.map((a) => Either.getOrThrow(assignmentScores(a.answer, cids)))
    const agg = aggregateAssignments(per, cids)
    expect(agg["c-1"]).toBeCloseTo((9 - 1) / 9, 12)
    expect(agg["c-2"]).toBeCloseTo((2 - 1) / 9, 12)
    expect(agg["c-3"]).toBeCloseTo((5.5 - 1) / 9, 12)
  })

  test("layerConfig takes the SNS topic from AWS_SNS_ARN_ID", async () => {
    const layer = MTurkScorer.layerConfig({}).pipe(
      Layer.provide(mturkLayer),
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["AWS_SNS_ARN_ID", `${ARN}-2`]]))))
    )
    const outcome = Either.getOrThrow(
      await Effect.runPromise(Effect.either(Effect.flatMap(Scorer, (s) => s.score(request())).pipe(Effect.provide(layer))))
    )
    const hit = stub.hits.get(outcome.mturkHit!.hitId)!
    expect(stub.notifications.get(hit.HITTypeId)?.Destination).toBe(`${ARN}-2`)
  })
})
