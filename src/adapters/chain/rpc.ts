/**
 * How the subtensor adapter calls the node: reads that survive a dropped connection (reconnect, then
 * retry) and a time limit on everything, so a dead endpoint yields `ChainTimeout`, never a hang.
 */
import type { ApiPromise } from "@polkadot/api"
import { Data, Duration, Effect, Schedule } from "effect"
import { ChainTimeout, ChainUnavailable, type ChainError } from "../../services/chain.ts"
import { isConnectionError } from "./errors.ts"
import type { Connection } from "./connection.ts"

/** Internal: the read failed because the connection went away; retried after reconnecting. */
class ConnectionLost extends Data.TaggedError("ConnectionLost")<{ readonly reason: string }> {}

/** Bounds an effect by `timeoutMs`; on expiry fails with `ChainTimeout` carrying the last connection error. */
export const timed =
  (conn: Connection, operation: string, timeoutMs: number) =>
  <A, E extends ChainError>(effect: Effect.Effect<A, E>): Effect.Effect<A, E | ChainTimeout> =>
    effect.pipe(
      Effect.timeout(Duration.millis(timeoutMs)),
      Effect.catchTag("TimeoutException", () =>
        Effect.flatMap(conn.lastError, (lastError) =>
          Effect.fail(
            new ChainTimeout(lastError === undefined ? { operation, timeoutMs } : { operation, timeoutMs, lastError })
          )
        )
      )
    )

/**
 * Runs a read against the live connection. A connection failure drops the connection and retries
 * (reconnecting with backoff) until the time limit; any other failure is `ChainUnavailable`.
 */
export const read = <A>(
  conn: Connection,
  operation: string,
  timeoutMs: number,
  f: (api: ApiPromise) => Promise<A>
): Effect.Effect<A, ChainTimeout | ChainUnavailable> =>
  Effect.gen(function* () {
    const live = yield* conn.live
    return yield* Effect.tryPromise({ try: () => f(live.api), catch: (e) => e }).pipe(
      Effect.catchAll(
        (e): Effect.Effect<never, ConnectionLost | ChainUnavailable> =>
          isConnectionError(e) || !live.api.isConnected
            ? Effect.zipRight(conn.invalidate(live), Effect.fail(new ConnectionLost({ reason: String(e) })))
            : Effect.fail(new ChainUnavailable({ endpoint: conn.endpoint, reason: e instanceof Error ? e.message : String(e) }))
      )
    )
  }).pipe(
    Effect.retry({
      while: (e: ConnectionLost | ChainUnavailable) => e._tag === "ConnectionLost",
      schedule: Schedule.exponential(Duration.millis(100), 2).pipe(Schedule.union(Schedule.spaced(Duration.seconds(5))))
    }),
    Effect.catchTag("ConnectionLost", (e) => Effect.fail(new ChainUnavailable({ endpoint: conn.endpoint, reason: e.reason }))),
    timed(conn, operation, timeoutMs)
  )
