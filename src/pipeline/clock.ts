/** Wall-clock time in unix seconds, through Effect's Clock so tests can control it. */
import { Clock, Effect } from "effect"

/** Now, in unix seconds (with fractions). */
export const nowSeconds: Effect.Effect<number> = Effect.map(Clock.currentTimeMillis, (ms) => ms / 1000)
