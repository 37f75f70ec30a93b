/**
 * A TestClock for a runtime whose peers keep real time. It starts at the wall clock's now because a peer's
 * axon refuses a fresh session's nonce more than its window (4 s + the request's timeout) away from its
 * own clock, so a test may run this clock ahead by a few seconds, not by minutes.
 */
import { Effect, Layer, TestClock, TestContext } from "effect"

/** TestContext (TestClock as the Clock) with the time set to the wall clock's now when the layer is built. */
export const testClockFromNow = () =>
  Layer.effectDiscard(Effect.suspend(() => TestClock.setTime(Date.now()))).pipe(Layer.provideMerge(TestContext.TestContext))
