/**
 * One websocket connection to a subtensor node per `Chain` layer, remade on demand after it drops:
 * a call that finds no live connection (re)connects with exponential backoff, bounded by the call's own
 * time limit. polkadot.js's built-in auto-reconnect is off, so a dead endpoint never loops in the
 * background and a restarted node (fresh state, maybe another runtime) gets a freshly built ApiPromise.
 */
import { ApiPromise, WsProvider } from "@polkadot/api"
import { Deferred, Duration, Effect, Ref, Schedule } from "effect"

/** A live ApiPromise and a signal that completes when its socket closes. */
export interface Live {
  readonly api: ApiPromise
  readonly lost: Deferred.Deferred<void>
}

/** The connection manager of one endpoint. */
export interface Connection {
  readonly endpoint: string
  /** The live connection, connecting (retrying with backoff, forever: bound it with a timeout) if needed. */
  readonly live: Effect.Effect<Live>
  /** Drops a connection that turned out dead, so the next `live` reconnects. */
  readonly invalidate: (live: Live) => Effect.Effect<void>
  /** What the last failed connection attempt said. */
  readonly lastError: Effect.Effect<string | undefined>
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** One connection attempt: open the socket, then build the ApiPromise (metadata, registry). */
const connectOnce = (endpoint: string): Effect.Effect<Live, Error> =>
  Effect.flatMap(Deferred.make<void>(), (lost) =>
    Effect.async<Live, Error>((resume) => {
      const provider = new WsProvider(endpoint, false)
      let settled = false
      const fail = (e: unknown) => {
        if (settled) return
        settled = true
        void provider.disconnect().catch(() => undefined)
        resume(Effect.fail(new Error(errorText(e))))
      }
      provider.on("error", (e: unknown) => fail(e instanceof Error ? e : new Error(`cannot connect to ${endpoint}`)))
      provider.on("disconnected", () => {
        if (!settled) fail(new Error(`cannot connect to ${endpoint}`))
        else Deferred.unsafeDone(lost, Effect.void)
      })
      provider.on("connected", () => {
        ApiPromise.create({ provider: provider as never, noInitWarn: true, throwOnConnect: true }).then(
          (api) => {
            if (settled) return void api.disconnect().catch(() => undefined)
            settled = true
            resume(Effect.succeed({ api, lost }))
          },
          fail
        )
      })
      provider.connect().catch(fail)
      return Effect.sync(() => {
        settled = true
        void provider.disconnect().catch(() => undefined)
      })
    })
  )

/** Backoff between connection attempts: 100 ms doubling, at most 5 s. */
const backoff = Schedule.exponential(Duration.millis(100), 2).pipe(
  Schedule.union(Schedule.spaced(Duration.seconds(5)))
)

/** A connection manager for `endpoint`; the scope closing disconnects it. */
export const makeConnection = (endpoint: string) =>
  Effect.gen(function* () {
    const current = yield* Ref.make<Live | undefined>(undefined)
    const lastError = yield* Ref.make<string | undefined>(undefined)
    const lock = yield* Effect.makeSemaphore(1)

    const disconnect = (live: Live) => Effect.promise(() => live.api.disconnect().catch(() => undefined))

    const connect = connectOnce(endpoint).pipe(
      Effect.tapError((e) => Ref.set(lastError, e.message)),
      Effect.retry(backoff),
      Effect.orDie
    )

    const live: Effect.Effect<Live> = lock.withPermits(1)(
      Effect.gen(function* () {
        const existing = yield* Ref.get(current)
        if (existing !== undefined && !(yield* Deferred.isDone(existing.lost))) return existing
        if (existing !== undefined) {
          yield* disconnect(existing)
          yield* Ref.set(current, undefined)
        }
        const fresh = yield* connect
        yield* Ref.set(current, fresh)
        yield* Ref.set(lastError, undefined)
        return fresh
      })
    )

    const invalidate = (dead: Live) =>
      Effect.gen(function* () {
        const existing = yield* Ref.get(current)
        if (existing === dead) yield* Ref.set(current, undefined)
        yield* Deferred.succeed(dead.lost, undefined)
        yield* disconnect(dead)
      })

    yield* Effect.addFinalizer(() =>
      Effect.flatMap(Ref.getAndSet(current, undefined), (c) => (c === undefined ? Effect.void : disconnect(c)))
    )

    return { endpoint, live, invalidate, lastError: Ref.get(lastError) } satisfies Connection
  })
