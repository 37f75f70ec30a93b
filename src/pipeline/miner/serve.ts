/**
 * Starting a miner: its hotkey must be registered on the subnet; then the metagraph view starts, the
 * axon listens with the RankingRequest and RankingResult routes, and its address is served on chain
 * (skipped when the chain already has it). Everything started here stops when the scope closes.
 */
import { Data, Duration, Effect, Option, Schedule, type Scope } from "effect"
import { Hotkey } from "../../domain/chain/ids.ts"
import { isChainAcceptedIp, parseIp } from "../../domain/chain/ip.ts"
import { SDK_VERSION } from "../../domain/wire/synapse.ts"
import { Axon, type AxonServeError, type ServingAxon } from "../../services/axon.ts"
import { Chain, type ChainError, type NotRegistered, type ServeAxonResult } from "../../services/chain.ts"
import type { MinerStore } from "../../services/miner-store.ts"
import type { Scorer } from "../../services/scorer.ts"
import { Wallet, type WalletError } from "../../services/wallet.ts"
import { registeredUid } from "../registered-uid.ts"
import { makeMetagraphView, type MetagraphView } from "./metagraph-view.ts"
import { rankingRequestRoute } from "./ranking-request.ts"
import { rankingResultRoute } from "./ranking-result.ts"
import { MinerSettings } from "./settings.ts"

/** The address the axon would announce cannot be served on chain (0.0.0.0, 127.0.0.1, not an IP). */
export class UnservableAddress extends Data.TaggedError("UnservableAddress")<{ readonly ip: string; readonly port: number }> {
  override get message() {
    return (
      `the chain refuses the axon address ${this.ip}:${this.port}: pass --axon.external_ip <public address> ` +
      `(locally 127.0.0.2 or higher; the chain refuses 0.0.0.0 and 127.0.0.1)`
    )
  }
}

/** A running miner. */
export interface RunningMiner {
  readonly uid: number
  readonly hotkey: string
  readonly axon: ServingAxon
  readonly served: ServeAxonResult
  readonly view: MetagraphView
}

/** True for chain errors worth another try (the connection, not a refusal). */
const transient = (e: ChainError): boolean => e._tag === "ChainTimeout" || e._tag === "ChainUnavailable"

/** Checks registration, starts the axon and serves it on chain. */
export const startMiner: Effect.Effect<
  RunningMiner,
  NotRegistered | UnservableAddress | ChainError | WalletError | AxonServeError,
  Chain | Wallet | Axon | Scorer | MinerStore | MinerSettings | Scope.Scope
> = Effect.gen(function* () {
  const settings = yield* MinerSettings
  const chain = yield* Chain
  const wallet = yield* Wallet
  const hotkey = yield* wallet.hotkey
  const uid = yield* registeredUid(yield* chain.uidOf(settings.netuid, Hotkey.make(hotkey.ss58Address)), settings.netuid, hotkey.ss58Address)
  yield* Effect.logInfo(`hotkey ${hotkey.ss58Address} is uid ${uid} on subnet ${settings.netuid}`)

  const view = yield* makeMetagraphView(settings.netuid, settings.metagraphRefreshSeconds)
  const routes = [yield* rankingRequestRoute(view), yield* rankingResultRoute(view, hotkey.ss58Address)]
  const axon = yield* (yield* Axon).serve(routes)

  const { ip, port } = axon.external
  const parsed = parseIp(ip)
  if (Option.isNone(parsed) || !isChainAcceptedIp(parsed.value.version, parsed.value.value))
    return yield* new UnservableAddress({ ip, port })
  // As the SDK: a few tries with jittered exponential backoff when the chain is unreachable.
  const served = yield* chain.serveAxon(settings.netuid, hotkey, { ip, port, version: SDK_VERSION }).pipe(
    Effect.retry({
      while: transient,
      schedule: Schedule.exponential(Duration.seconds(6)).pipe(
        Schedule.union(Schedule.spaced(Duration.seconds(24))),
        Schedule.jittered,
        Schedule.intersect(Schedule.recurs(9))
      )
    })
  )
  yield* Effect.logInfo(
    served._tag === "Served" ? `axon ${ip}:${port} served on chain at block ${served.block}` : `axon ${ip}:${port} already on chain`
  )
  return { uid, hotkey: hotkey.ss58Address, axon, served, view }
})
