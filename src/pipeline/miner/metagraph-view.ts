/**
 * The miner's view of its subnet: the metagraph read at start, then refreshed in the background, so the
 * blacklist and the delivery of human feedback never wait for the chain on a request's path.
 */
import { Duration, Effect, Ref, Schedule, type Scope } from "effect"
import type { Netuid } from "../../domain/chain/ids.ts"
import type { Metagraph } from "../../domain/chain/metagraph.ts"
import { Chain, type ChainError } from "../../services/chain.ts"

/** The last metagraph read, and a way to read it again at once. */
export interface MetagraphView {
  readonly current: Effect.Effect<Metagraph>
  /** Reads the chain now and keeps the result. */
  readonly refresh: Effect.Effect<Metagraph, ChainError>
}

/**
 * Reads the metagraph (failing if the chain cannot be read at start) and refreshes it every
 * `refreshSeconds` until the scope closes; a failed refresh keeps the previous one and is logged.
 */
export const makeMetagraphView = (
  netuid: Netuid,
  refreshSeconds: number
): Effect.Effect<MetagraphView, ChainError, Chain | Scope.Scope> =>
  Effect.gen(function* () {
    const chain = yield* Chain
    const latest = yield* Ref.make(yield* chain.metagraph(netuid))
    const refresh = chain.metagraph(netuid).pipe(Effect.tap((m) => Ref.set(latest, m)))
    yield* refresh.pipe(
      Effect.tapError((e) => Effect.logWarning("metagraph refresh failed; keeping the last one").pipe(Effect.annotateLogs({ error: e.message }))),
      Effect.ignore,
      Effect.repeat(Schedule.spaced(Duration.seconds(refreshSeconds))),
      Effect.delay(Duration.seconds(refreshSeconds)),
      Effect.forkScoped
    )
    return { current: Ref.get(latest), refresh }
  })

/** A fixed view (tests, and one-shot tools that read the chain once). */
export const staticMetagraphView = (metagraph: Metagraph): MetagraphView => ({
  current: Effect.succeed(metagraph),
  refresh: Effect.succeed(metagraph)
})
