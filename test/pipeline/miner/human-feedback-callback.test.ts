/**
 * The callback decision without HTTP (the HTTP side is test/adapters/http/human-feedback-callback.test.ts):
 * the batch rule over any mix of readable and unreadable assignments, and the refusals' statuses.
 */
import { describe, expect, test } from "bun:test"
import { Cause, Effect, Exit, Layer, ManagedRuntime, Option, Redacted } from "effect"
import fc from "fast-check"
import * as MinerStoreSql from "../../../src/adapters/store/miner-store-sql.ts"
import { signCallback, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "../../../src/domain/mturk/callback-auth.ts"
import { callbackSecret, receiveCallback } from "../../../src/pipeline/miner/human-feedback-callback.ts"
import { MinerSettings } from "../../../src/pipeline/miner/settings.ts"
import { Refusal } from "../../../src/domain/refusal.ts"
import { MinerStore } from "../../../src/services/miner-store.ts"
import { crowdFormAnswerXml } from "../../support/stubs/mturk.ts"
import { testHit, testSettings } from "./miner-fixture.ts"

const SECRET = Redacted.make("callback-secret-for-pipeline-tests")
const CIDS = ["cid-0", "cid-1"]

const runtimeWith = (secret: Option.Option<Redacted.Redacted<string>>) =>
  ManagedRuntime.make(Layer.merge(MinerStoreSql.layerTest, Layer.succeed(MinerSettings, testSettings({ callbackSecret: secret }))))

let hits = 0
/** Records a fresh HIT in the store and returns its id. */
const freshHit = Effect.flatMap(MinerStore, (s) => {
  const hitId = `HIT${++hits}`
  return Effect.as(s.recordHit(testHit(hitId, CIDS, `req-${hits}`)), hitId)
})

/** A signed delivery of `body`, as the adapter hands it over. */
const signed = (body: string) => {
  const headers = signCallback(SECRET, body, Date.now() / 1000)
  return { body: new TextEncoder().encode(body), timestamp: headers[TIMESTAMP_HEADER], signature: headers[SIGNATURE_HEADER] }
}

const bodyOf = (hitId: string, assignments: ReadonlyArray<{ id: string; readable: boolean; score: number }>) =>
  JSON.stringify({
    HITId: hitId,
    assignments: assignments.map((a) => ({
      AssignmentId: a.id,
      WorkerId: `W${a.id}`,
      HITId: hitId,
      SubmitTime: "2026-11-25T00:00:00.000Z",
      // Sliders run 1..10; 0 and 11 are outside it, so the assignment cannot be read.
      Answer: crowdFormAnswerXml({ "cid-0": a.readable ? a.score : 11, "cid-1": a.readable ? 11 - a.score : 0 })
    }))
  })

const refusalStatus = <A, E>(exit: Exit.Exit<A, E>): number | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const failure = Cause.failureOption(exit.cause)
  return Option.isSome(failure) && failure.value instanceof Refusal ? failure.value.status : undefined
}

describe("receiveCallback", () => {
  test("batch rule (property): all readable → 200, some → 207, none → 400; exactly the readable ones are stored", async () => {
    const runtime = runtimeWith(Option.some(SECRET))
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.record({ readable: fc.boolean(), score: fc.integer({ min: 1, max: 10 }) }), { minLength: 1, maxLength: 6 }), async (items) => {
          // AssignmentIds are unique across HITs (MTurk's are), so each run names its own.
          const hitId = await runtime.runPromise(freshHit)
          const assignments = items.map((a, i) => ({ ...a, id: `${hitId}A${i}` }))
          const readable = assignments.filter((a) => a.readable).map((a) => a.id)
          const { answer, stored } = await runtime.runPromise(
            Effect.gen(function* () {
              const answer = yield* receiveCallback(SECRET, signed(bodyOf(hitId, assignments)))
              const hit = yield* Effect.flatMap(MinerStore, (s) => s.getHit(hitId))
              return { answer, stored: Option.getOrThrow(hit).assignments.map((a) => a.assignmentId) }
            })
          )
          const expected = readable.length === assignments.length ? 200 : readable.length > 0 ? 207 : 400
          expect(answer.status).toBe(expected)
          expect(answer.error === undefined).toBe(expected === 200)
          expect(answer.outcome.kept).toEqual(readable)
          expect(answer.outcome.added).toBe(readable.length)
          expect(answer.outcome.rejected.map((r) => r.assignmentId)).toEqual(assignments.filter((a) => !a.readable).map((a) => a.id))
          expect([...stored].sort()).toEqual([...readable].sort())
        }),
        { numRuns: 40 }
      )
    } finally {
      await runtime.dispose()
    }
  })

  test("refusals carry their status and store nothing: no secret 503, forged 401, not JSON 400, unknown HIT 404", async () => {
    const unconfigured = runtimeWith(Option.none())
    expect(refusalStatus(await unconfigured.runPromiseExit(callbackSecret))).toBe(503)
    await unconfigured.dispose()

    const runtime = runtimeWith(Option.some(SECRET))
    try {
      const hitId = await runtime.runPromise(freshHit)
      const body = bodyOf(hitId, [{ id: "A0", readable: true, score: 5 }])
      const forged = { ...signed(body), body: new TextEncoder().encode(body.replace("A0", "A1")) }
      expect(refusalStatus(await runtime.runPromiseExit(receiveCallback(SECRET, forged)))).toBe(401)
      expect(refusalStatus(await runtime.runPromiseExit(receiveCallback(SECRET, signed("{not json"))))).toBe(400)
      expect(refusalStatus(await runtime.runPromiseExit(receiveCallback(SECRET, signed(bodyOf("NOSUCHHIT", [])))))).toBe(404)
      const hit = await runtime.runPromise(Effect.flatMap(MinerStore, (s) => s.getHit(hitId)))
      expect(Option.getOrThrow(hit).assignments).toEqual([])
    } finally {
      await runtime.dispose()
    }
  })
})
