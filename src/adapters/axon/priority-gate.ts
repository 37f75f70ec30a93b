/**
 * Bounded concurrency with a priority queue: at most `maxActive` effects run at once; the rest wait,
 * highest priority first (FIFO among equals), and when `maxWaiting` are already waiting a new one is
 * refused at once. A waiter interrupted (timeout, client gone) leaves the queue; a finished or
 * interrupted runner hands its slot straight to the next waiter.
 */
import { Data, Deferred, Effect, Exit, FiberId } from "effect"

/** The queue is full. */
export class GateFull extends Data.TaggedError("GateFull")<{ readonly waiting: number }> {}

interface Waiter {
  readonly priority: number
  readonly seq: number
  readonly deferred: Deferred.Deferred<void>
  granted: boolean
}

/** A priority-ordered concurrency limiter. */
export interface PriorityGate {
  /** Runs `effect` when a slot is free and no higher-priority waiter is ahead of it. */
  readonly run: <A, E, R>(priority: number, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | GateFull, R>
  /** Effects waiting for a slot. */
  readonly waiting: Effect.Effect<number>
  /** Effects running. */
  readonly active: Effect.Effect<number>
}

/** Makes a gate with `maxActive` slots and room for `maxWaiting` waiters. */
export const makePriorityGate = (maxActive: number, maxWaiting: number): PriorityGate => {
  let active = 0
  let seq = 0
  // Sorted: highest priority first, then arrival order. Small (≤ maxWaiting), so sorted insert is fine.
  const queue: Array<Waiter> = []

  const before = (a: Waiter, b: Waiter) => a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq)

  const enqueue = (w: Waiter) => {
    let lo = 0
    let hi = queue.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (before(queue[mid] as Waiter, w)) lo = mid + 1
      else hi = mid
    }
    queue.splice(lo, 0, w)
  }

  const release = () => {
    const next = queue.shift()
    if (next === undefined) active--
    else {
      next.granted = true
      Deferred.unsafeDone(next.deferred, Exit.void)
    }
  }

  const acquire = (priority: number, restore: <A, E, R>(e: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>) =>
    Effect.suspend((): Effect.Effect<void, GateFull> => {
      if (active < maxActive) {
        active++
        return Effect.void
      }
      if (queue.length >= maxWaiting) return Effect.fail(new GateFull({ waiting: queue.length }))
      const waiter: Waiter = {
        priority: Number.isFinite(priority) ? priority : 0,
        seq: seq++,
        deferred: Deferred.unsafeMake<void>(FiberId.none),
        granted: false
      }
      enqueue(waiter)
      return restore(Deferred.await(waiter.deferred)).pipe(
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            if (waiter.granted) release()
            else {
              const i = queue.indexOf(waiter)
              if (i >= 0) queue.splice(i, 1)
            }
          })
        )
      )
    })

  return {
    run: (priority, effect) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(acquire(priority, restore), restore(effect).pipe(Effect.ensuring(Effect.sync(release))))
      ),
    waiting: Effect.sync(() => queue.length),
    active: Effect.sync(() => active)
  }
}
