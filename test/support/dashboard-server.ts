/**
 * Serves the dashboard router on loopback over a seeded world (see dashboard-seed.ts): an in-memory
 * chain, an in-memory SQLite store, the real `DashboardDataLive.layer`, the real Bun HTTP server. Returns the
 * URL and handles to change the world while a browser watches.
 */
import { HttpServer } from "@effect/platform"
import { BunHttpServer } from "@effect/platform-bun"
import { Clock, Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import * as ChainMemory from "../../src/adapters/chain/memory.ts"
import { ChainMemoryControl } from "../../src/adapters/chain/memory.ts"
import { dashboardRouter } from "../../src/adapters/http/dashboard.ts"
import * as DashboardDataLive from "../../src/adapters/http/dashboard-data.ts"
import { DashboardData, type DashboardSettings, defaultDashboardSettings } from "../../src/adapters/http/dashboard-data.ts"
import * as ValidatorStoreSql from "../../src/adapters/store/validator-store.ts"
import type { ValidatorStores } from "../../src/adapters/store/validator-store.ts"
import { Chain } from "../../src/services/chain.ts"
import { allStores } from "./validator-stores.ts"
import { seedChain, seedStore, type StoreSeedOptions, subnetSeed, type SubnetSeed } from "./dashboard-seed.ts"

export interface DashboardWorld {
  readonly url: string
  readonly subnet: SubnetSeed
  readonly runtime: ManagedRuntime.ManagedRuntime<ValidatorStores | Chain | ChainMemoryControl | DashboardData, unknown>
  /** Runs an effect against the world's services. */
  readonly run: <A, E>(effect: Effect.Effect<A, E, ValidatorStores | Chain | ChainMemoryControl | DashboardData>) => Promise<A>
  readonly close: () => Promise<void>
}

export interface WorldOptions {
  readonly neurons: number
  readonly validators: number
  readonly store: Omit<StoreSeedOptions, "weightsBlock">
  readonly settings?: Partial<DashboardSettings>
  /** Seed the chain's weights and epoch (default true). */
  readonly epoch?: boolean
  readonly hostname?: string
}

/** A clock stopped at `seconds` (unix), to take accuracy samples "at" seeded times. */
const clockAt = (seconds: number): Clock.Clock => ({
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => seconds * 1000,
  currentTimeMillis: Effect.succeed(seconds * 1000),
  unsafeCurrentTimeNanos: () => BigInt(Math.round(seconds * 1e9)),
  currentTimeNanos: Effect.succeed(BigInt(Math.round(seconds * 1e9))),
  sleep: () => Effect.void
})

/** Builds, seeds and serves a world; `close` stops the server and drops everything. */
export const startDashboardWorld = async (options: WorldOptions): Promise<DashboardWorld> => {
  const subnet = subnetSeed({ neurons: options.neurons, validators: options.validators, seed: options.store.seed })
  const base = Layer.mergeAll(ChainMemory.layer(subnet.chainState), ValidatorStoreSql.layerTest)
  const settings: DashboardSettings = {
    ...defaultDashboardSettings,
    netuid: subnet.netuid,
    validatorHotkey: subnet.validator.ss58Address,
    ...options.settings
  }
  const layer = Layer.provideMerge(DashboardDataLive.layer(settings), base)
  const runtime = ManagedRuntime.make(layer)
  const run = <A, E>(effect: Effect.Effect<A, E, ValidatorStores | Chain | ChainMemoryControl | DashboardData>) => runtime.runPromise(effect)

  await run(
    Effect.gen(function* () {
      const chain = yield* Chain
      const control = yield* ChainMemoryControl
      const block = options.epoch === false ? 4_200 : yield* seedChain(chain, control, subnet)
      const store = yield* allStores
      const data = yield* DashboardData
      // Accuracy samples as the timer would have taken them while the requests were being scored.
      yield* seedStore(store, subnet, {
        ...options.store,
        weightsBlock: block,
        everyScored: Math.max(1, Math.floor(options.store.requests / 40)),
        onScored: (at) => data.sampleAccuracy.pipe(Effect.withClock(clockAt(at)), Effect.orDie)
      })
      yield* data.sampleAccuracy
    })
  )

  const scope = await Effect.runPromise(Scope.make())
  const port = await run(
    Effect.gen(function* () {
      const server = yield* BunHttpServer.make({ hostname: options.hostname ?? "127.0.0.1", port: 0 })
      yield* HttpServer.serveEffect(dashboardRouter).pipe(Effect.provideService(HttpServer.HttpServer, server))
      return server.address._tag === "TcpAddress" ? server.address.port : 0
    }).pipe(Scope.extend(scope))
  )
  return {
    url: `http://${options.hostname ?? "127.0.0.1"}:${port}`,
    subnet,
    runtime,
    run,
    close: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await runtime.dispose()
    }
  }
}
