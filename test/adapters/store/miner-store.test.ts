/** MinerStore against real databases: the same suite on an SQLite file and on PostgreSQL. */
import type { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Layer, Option } from "effect"
import fc from "fast-check"
import * as MinerStoreSql from "../../../src/adapters/store/miner-store-sql.ts"
import { SqlLive, type StoreConfig } from "../../../src/adapters/store/sql-client.ts"
import { type Assignment, MinerStore, type MinerStoreShape, type NewHit } from "../../../src/services/miner-store.ts"
import { injectFailure, storeBackends, withRuntime } from "../../support/store-backends.ts"

const hit = (hitId: string, overrides: Partial<NewHit> = {}): NewHit => ({
  hitId,
  requestId: `req-${hitId}`,
  validatorHotkey: "5Validator",
  validatorIp: "127.0.0.2",
  validatorPort: 9500,
  cids: ["c1", "c2"],
  expectedAssignments: 2,
  createdAt: 100,
  expiresAt: 1_000,
  ...overrides
})

const assignment = (assignmentId: string, hitId: string, submittedAt = 200): Assignment => ({
  assignmentId,
  hitId,
  workerId: `worker-${assignmentId}`,
  scores: { c1: 7, c2: 3.5 },
  submittedAt
})

const layerFor = (config: StoreConfig) => MinerStoreSql.layerSql.pipe(Layer.provideMerge(SqlLive(config)))

const store = <A, E>(f: (s: MinerStoreShape) => Effect.Effect<A, E>) => Effect.flatMap(MinerStore, f)

const bits = (x: number) => {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  return view.getBigUint64(0)
}

for (const backend of storeBackends()) {
  describe(`MinerStore on ${backend.name}`, () => {
    beforeAll(backend.setup, 120_000)
    afterAll(backend.teardown)

    const run = async <A>(
      body: (run: <X, E>(e: Effect.Effect<X, E, MinerStore | SqlClient.SqlClient>) => Promise<X>) => Promise<A>
    ) => withRuntime(layerFor(await backend.fresh()), body)

    test("recordResult is idempotent per (request, validator); recentResults newest first", () =>
      run(async (run) => {
        const result = (requestId: string, validatorHotkey: string, receivedAt: number) => ({
          requestId,
          validatorHotkey,
          cidToConsensus: { c1: 0.1 + 0.2, c2: 1 / 3 },
          myScore: receivedAt === 30 ? null : 0.0625,
          receivedAt
        })
        expect(await run(store((s) => s.recordResult(result("r1", "v1", 10))))).toBe("recorded")
        expect(await run(store((s) => s.recordResult({ ...result("r1", "v1", 99), myScore: 1 })))).toBe("duplicate")
        expect(await run(store((s) => s.recordResult(result("r1", "v2", 20))))).toBe("recorded")
        expect(await run(store((s) => s.recordResult(result("r2", "v1", 30))))).toBe("recorded")
        expect(await run(store((s) => s.recentResults(10)))).toEqual([
          result("r2", "v1", 30),
          result("r1", "v2", 20),
          result("r1", "v1", 10)
        ])
        expect((await run(store((s) => s.recentResults(1)))).map((r) => r.requestId)).toEqual(["r2"])
      }))

    test("recordHit and getHit; a repeated HIT id changes nothing", () =>
      run(async (run) => {
        expect(await run(store((s) => s.recordHit(hit("H1"))))).toBe("recorded")
        expect(await run(store((s) => s.recordHit(hit("H1", { requestId: "other" }))))).toBe("duplicate")
        const got = Option.getOrThrow(await run(store((s) => s.getHit("H1"))))
        expect(got).toEqual({
          ...hit("H1"),
          assignments: [],
          delivery: { status: "pending", attempts: 0, nextAttemptAt: 100 }
        })
        expect(Option.isNone(await run(store((s) => s.getHit("nope"))))).toBe(true)
      }))

    test("addAssignment: added, duplicate (same AssignmentId), unknown-hit", () =>
      run(async (run) => {
        await run(store((s) => s.recordHit(hit("H1"))))
        expect(await run(store((s) => s.addAssignment(assignment("A1", "H1", 300))))).toBe("added")
        expect(await run(store((s) => s.addAssignment(assignment("A1", "H1", 300))))).toBe("duplicate")
        expect(await run(store((s) => s.addAssignment(assignment("A2", "H1", 250))))).toBe("added")
        expect(await run(store((s) => s.addAssignment(assignment("A3", "nope"))))).toBe("unknown-hit")
        const got = Option.getOrThrow(await run(store((s) => s.getHit("H1"))))
        expect(got.assignments).toEqual([assignment("A2", "H1", 250), assignment("A1", "H1", 300)])
      }))

    test("addAssignment is all or nothing: a failure after the insert leaves no assignment", () =>
      run(async (run) => {
        await run(store((s) => s.recordHit(hit("H1", { expectedAssignments: 1 }))))
        await run(injectFailure("fail_count", "mturk_hits", "UPDATE", "NEW.assignment_count > OLD.assignment_count"))
        const failed = await run(Effect.either(store((s) => s.addAssignment(assignment("A1", "H1")))))
        expect(failed._tag === "Left" && failed.left.message).toContain("injected failure")
        expect(Option.getOrThrow(await run(store((s) => s.getHit("H1")))).assignments).toEqual([])
        expect(await run(store((s) => s.hitsReadyToDeliver(10_000)))).toEqual([])
      }))

    test("concurrent deliveries of the same assignment count it once", () =>
      run(async (run) => {
        await run(store((s) => s.recordHit(hit("H1"))))
        const outcomes = await run(
          Effect.all([1, 2, 3, 4].map(() => store((s) => s.addAssignment(assignment("A1", "H1")))), { concurrency: 4 })
        )
        expect([...outcomes].sort()).toEqual(["added", "duplicate", "duplicate", "duplicate"])
        expect(await run(store((s) => s.addAssignment(assignment("A2", "H1"))))).toBe("added")
        // Two of two expected: ready, which proves the count is 2, not 5.
        expect((await run(store((s) => s.hitsReadyToDeliver(150)))).map((h) => h.assignments.length)).toEqual([2])
      }))

    test("hitsReadyToDeliver: complete HITs, or expired ones with an assignment, once their attempt time comes", () =>
      run(async (run) => {
        await run(store((s) => s.recordHit(hit("full", { createdAt: 10 }))))
        await run(store((s) => s.recordHit(hit("partial", { createdAt: 20, expiresAt: 500 }))))
        await run(store((s) => s.recordHit(hit("empty", { createdAt: 30, expiresAt: 500 }))))
        await run(store((s) => s.recordHit(hit("later", { createdAt: 40, expectedAssignments: 1 }))))
        await run(store((s) => s.addAssignment(assignment("f1", "full"))))
        await run(store((s) => s.addAssignment(assignment("f2", "full"))))
        await run(store((s) => s.addAssignment(assignment("p1", "partial"))))
        await run(store((s) => s.addAssignment(assignment("l1", "later"))))
        const ready = async (now: number) => (await run(store((s) => s.hitsReadyToDeliver(now)))).map((h) => h.hitId)
        expect(await ready(35)).toEqual(["full"])
        expect(await ready(499)).toEqual(["full", "later"])
        expect(await ready(500)).toEqual(["full", "partial", "later"])
        const full = (await run(store((s) => s.hitsReadyToDeliver(35))))[0]
        expect(full?.assignments.map((a) => a.assignmentId)).toEqual(["f1", "f2"])
        await run(store((s) => s.markHitDelivered("full", 600)))
        expect(await run(store((s) => s.recordHitDeliveryFailure("later", "connection refused", 700)))).toBe("pending")
        expect(await ready(600)).toEqual(["partial"])
        expect(await ready(700)).toEqual(["partial", "later"])
        const delivered = Option.getOrThrow(await run(store((s) => s.getHit("full")))).delivery
        expect(delivered).toEqual({ status: "delivered", attempts: 0, nextAttemptAt: 10, deliveredAt: 600 })
        const retried = Option.getOrThrow(await run(store((s) => s.getHit("later")))).delivery
        expect(retried).toEqual({ status: "pending", attempts: 1, nextAttemptAt: 700, lastError: "connection refused" })
      }))

    test("recordHitDeliveryFailure gives up after maxAttempts; without a limit it keeps retrying", () =>
      run(async (run) => {
        await run(store((s) => s.recordHit(hit("H1", { expectedAssignments: 1 }))))
        await run(store((s) => s.recordHit(hit("H2", { expectedAssignments: 1 }))))
        await run(store((s) => s.addAssignment(assignment("a", "H1"))))
        await run(store((s) => s.addAssignment(assignment("b", "H2"))))
        expect(await run(store((s) => s.recordHitDeliveryFailure("H1", "e1", 200, 2)))).toBe("pending")
        expect(await run(store((s) => s.recordHitDeliveryFailure("H1", "e2", 300, 2)))).toBe("failed")
        for (let i = 0; i < 5; i++)
          expect(await run(store((s) => s.recordHitDeliveryFailure("H2", `e${i}`, 400 + i)))).toBe("pending")
        expect((await run(store((s) => s.hitsReadyToDeliver(10_000)))).map((h) => h.hitId)).toEqual(["H2"])
        expect(await run(store((s) => s.recordHitDeliveryFailure("H1", "again", 900, 2)))).toBe("failed")
        expect(await run(store((s) => s.recordHitDeliveryFailure("nope", "x", 900)))).toBe("unknown")
        expect(Option.getOrThrow(await run(store((s) => s.getHit("H2")))).delivery.attempts).toBe(5)
      }))

    test("slider values and consensus round-trip bit-exact", () =>
      run(async (run) => {
        const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0))
        await run(store((s) => s.recordHit(hit("H1", { expectedAssignments: 1_000 }))))
        let n = 0
        await fc.assert(
          fc.asyncProperty(fc.array(finite, { minLength: 1, maxLength: 6 }), async (xs) => {
            const id = `a${++n}`
            const scores = Object.fromEntries(xs.map((x, i) => [`c${i}`, x]))
            await run(store((s) => s.addAssignment({ ...assignment(id, "H1"), scores, submittedAt: n })))
            await run(
              store((s) =>
                s.recordResult({ requestId: id, validatorHotkey: "v", cidToConsensus: scores, myScore: xs[0] ?? null, receivedAt: n })
              )
            )
            const stored = Option.getOrThrow(await run(store((s) => s.getHit("H1")))).assignments.find((a) => a.assignmentId === id)
            expect(Object.values(stored?.scores ?? {}).map(bits)).toEqual(xs.map(bits))
            const [latest] = await run(store((s) => s.recentResults(1)))
            expect(Object.values(latest?.cidToConsensus ?? {}).map(bits)).toEqual(xs.map(bits))
            expect(bits(latest?.myScore ?? NaN)).toBe(bits(xs[0] ?? NaN))
          }),
          { numRuns: 25 }
        )
      }), 60_000)

    test("migrations run once: reopening keeps the data", async () => {
      const config = await backend.fresh()
      await withRuntime(layerFor(config), (run) => run(store((s) => s.recordHit(hit("kept")))))
      await withRuntime(layerFor(config), async (run) => {
        expect(Option.isSome(await run(store((s) => s.getHit("kept"))))).toBe(true)
        expect(await run(store((s) => s.addAssignment(assignment("a", "kept"))))).toBe("added")
      })
      await withRuntime(layerFor(config), async (run) => {
        expect(Option.getOrThrow(await run(store((s) => s.getHit("kept")))).assignments.length).toBe(1)
      })
    })
  })
}

describe("MinerStoreSql.layerTest (in-memory SQLite)", () => {
  test("is a working, empty store each time it is provided", async () => {
    const once = Effect.gen(function* () {
      const s = yield* MinerStore
      const before = Option.isSome(yield* s.getHit("H"))
      yield* s.recordHit(hit("H"))
      return [before, Option.isSome(yield* s.getHit("H"))]
    })
    expect(await Effect.runPromise(Effect.provide(once, MinerStoreSql.layerTest))).toEqual([false, true])
    expect(await Effect.runPromise(Effect.provide(once, MinerStoreSql.layerTest))).toEqual([false, true])
  })
})
