import { describe, expect, test } from "bun:test"
import { Deferred, Effect, Exit, Fiber } from "effect"
import fc from "fast-check"
import { makePriorityGate } from "../../../src/adapters/axon/priority-gate.ts"

describe("PriorityGate", () => {
  test("waiters run highest priority first, FIFO among equals, never more than maxActive at once", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 3 }), async (priorities, maxActive) => {
        const order: number[] = []
        let running = 0
        let peak = 0
        await Effect.runPromise(
          Effect.gen(function* () {
            const gate = makePriorityGate(maxActive, 1000)
            const latch = yield* Deferred.make<void>()
            // Fill every slot with blockers so all the others queue up.
            const blockers = yield* Effect.forEach(Array.from({ length: maxActive }), () => Effect.fork(gate.run(100, Deferred.await(latch))))
            yield* Effect.yieldNow()
            const fibers = yield* Effect.forEach(priorities, (p, i) =>
              Effect.fork(
                gate.run(
                  p,
                  Effect.sync(() => {
                    peak = Math.max(peak, ++running)
                    order.push(i)
                  }).pipe(Effect.zipRight(Effect.yieldNow()), Effect.ensuring(Effect.sync(() => running--)))
                )
              )
            )
            yield* Effect.yieldNow()
            expect(yield* gate.waiting).toBe(priorities.length)
            yield* Deferred.succeed(latch, undefined)
            yield* Fiber.joinAll([...blockers, ...fibers])
            expect(yield* gate.active).toBe(0)
          })
        )
        if (maxActive === 1) {
          const expected = priorities.map((p, i) => ({ p, i })).sort((a, b) => b.p - a.p || a.i - b.i).map((x) => x.i)
          expect(order).toEqual(expected)
        }
        expect(peak).toBeLessThanOrEqual(maxActive)
      }),
      { numRuns: 50 }
    )
  })

  test("a full queue refuses at once; an interrupted waiter leaves the queue and its slot is not lost", async () => {
    await Effect.runPromise(
      Effect.gen(function* () {
        const gate = makePriorityGate(1, 1)
        const latch = yield* Deferred.make<void>()
        const blocker = yield* Effect.fork(gate.run(0, Deferred.await(latch)))
        yield* Effect.yieldNow()
        const waiter = yield* Effect.fork(gate.run(0, Effect.succeed("late")))
        yield* Effect.yieldNow()
        const refused = yield* Effect.exit(gate.run(0, Effect.succeed("x")))
        expect(Exit.isFailure(refused) && JSON.stringify(refused.cause)).toContain("GateFull")
        yield* Fiber.interrupt(waiter)
        expect(yield* gate.waiting).toBe(0)
        yield* Deferred.succeed(latch, undefined)
        yield* Fiber.join(blocker)
        expect(yield* gate.run(0, Effect.succeed("free"))).toBe("free")
        expect(yield* gate.active).toBe(0)
      })
    )
  })

  test("interrupting a running effect hands its slot to the next waiter", async () => {
    await Effect.runPromise(
      Effect.gen(function* () {
        const gate = makePriorityGate(1, 5)
        const running = yield* Effect.fork(gate.run(0, Effect.never))
        yield* Effect.yieldNow()
        const next = yield* Effect.fork(gate.run(0, Effect.succeed("next")))
        yield* Effect.yieldNow()
        yield* Fiber.interrupt(running)
        expect(yield* Fiber.join(next)).toBe("next")
        expect(yield* gate.active).toBe(0)
      })
    )
  })
})
