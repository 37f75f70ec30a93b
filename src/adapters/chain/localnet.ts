/**
 * A local subtensor chain: the real runtime (spec 185 or 218, from shared/chainspecs) under chopsticks,
 * in this process, with a JSON-RPC server on 127.0.0.1 (chopsticks-server.ts) and blocks built on demand
 * (Instant mode: each transaction gets its own block, `newBlocks` builds empty ones). Plus what a test or
 * the demo needs to get a subnet going: dev wallets, funds, a fast subnet, registrations, stake, emission.
 */
import type { Blockchain } from "@acala-network/chopsticks-core"
import { Data, Duration, Effect, Exit, Schedule, Scope } from "effect"
import { Hotkey, type Netuid, type Uid } from "../../domain/chain/ids.ts"
import type { Keypair } from "../../domain/wallet/keypair.ts"
import { nextEpochBlock } from "../../domain/chain/metagraph.ts"
import type { AdminCall, ChainError, ChainShape } from "../../services/chain.ts"
import * as ChainSubtensor from "./subtensor.ts"
import { serveChopsticks } from "./chopsticks-server.ts"
import { chainSpecPath, sharedDirSync } from "../shared-dir.ts"
import { keypairFromUri } from "../wallet/sr25519.ts"

/** Starting or driving the local chain failed. */
export class LocalnetError extends Data.TaggedError("LocalnetError")<{ readonly reason: string }> {
  override get message() {
    return `localnet: ${this.reason}`
  }
}

/** Runtime versions available as local chains. */
export type LocalSpec = 185 | 218

/** How to start a local chain. */
export interface LocalnetOptions {
  /** Runtime: 185 (pre-dynamic-TAO, Yuma works; default) or 218 (dynamic TAO). */
  readonly spec?: LocalSpec
  /** Port for the websocket/HTTP server; 0 (default) picks a free one. */
  readonly port?: number
  /** The shared folder holding chainspecs/ (default: DOJO_SHARED_DIR or ../shared). */
  readonly sharedDir?: string
  /** Time limit per call of the localnet's own `Chain`. Default 30 s. */
  readonly timeout?: Duration.DurationInput
  /** Also build a block this often, like a real chain's clock (default: only on demand and per transaction). */
  readonly blockTime?: Duration.DurationInput
}

/**
 * Settings of a new subnet. Defaults make it fast: tempo 1 (an epoch every 2 blocks), no weight or
 * serving rate limits, 256 registrations per block.
 */
export interface SubnetOptions {
  /** Owner coldkey (default //Alice). */
  readonly owner?: Keypair
  /** Owner hotkey; dynamic-TAO runtimes register it as uid 0 (default //Alice//hot). */
  readonly ownerHotkey?: string
  readonly tempo?: number
  readonly maxAllowedValidators?: number
  readonly maxAllowedUids?: number
  readonly weightsVersionKey?: number
  readonly commitReveal?: boolean
  /** Commit-reveal interval (185: blocks) or period (218: epochs). */
  readonly commitRevealPeriod?: number
  /** Give the subnet emission (spec 185: `EmissionValues` 1 TAO per block). Default true. */
  readonly emission?: boolean
}

/** A dev wallet: coldkey `//Name`, hotkey `//Name//hot`. */
export interface DevWallet {
  readonly name: string
  readonly coldkey: Keypair
  readonly hotkey: Keypair
}

/** The dev accounts every substrate chain knows. */
export const DEV_NAMES = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"] as const

/** The dev wallet of a name (`//Bob` and `//Bob//hot`); any name works, not only the six above. */
export const devWallet = (name: string): DevWallet => ({
  name,
  coldkey: keypairFromUri(`//${name}`),
  hotkey: keypairFromUri(`//${name}//hot`)
})

const TAO = 1_000_000_000n

/** A running local chain. */
export interface Localnet {
  readonly spec: LocalSpec
  readonly endpoint: string
  readonly port: number
  /** A `Chain` connected to it (its own connection, closed with the localnet). */
  readonly chain: ChainShape
  /** The sudo key (//Alice on both specs). */
  readonly sudoKey: Keypair
  /** Builds `n` empty blocks; returns the new head number. */
  readonly newBlocks: (n: number) => Effect.Effect<number, LocalnetError>
  /** Builds blocks until the subnet's next epoch has run; returns the head number. */
  readonly nextEpoch: (netuid: Netuid) => Effect.Effect<number, LocalnetError | ChainError>
  /** Writes storage at the head at once (chopsticks `dev_setStorage`), e.g. `{ Sudo: { Key: addr } }`. */
  readonly setStorage: (values: Record<string, Record<string, unknown>>) => Effect.Effect<void, LocalnetError>
  /** Sets an account's free balance (rao), keeping its nonce. */
  readonly fund: (address: string, rao: bigint) => Effect.Effect<void, LocalnetError>
  /** Registers a fast subnet (see SubnetOptions); returns its netuid. */
  readonly createSubnet: (options?: SubnetOptions) => Effect.Effect<Netuid, LocalnetError | ChainError>
  /** Registers a hotkey on a subnet, paid by the coldkey; returns its uid. */
  readonly registerNeuron: (netuid: Netuid, coldkey: Keypair, hotkey: string) => Effect.Effect<Uid, ChainError>
  /** Stakes TAO from the coldkey onto the hotkey (on 218 the subnet's pools are topped up first). */
  readonly stake: (netuid: Netuid, coldkey: Keypair, hotkey: string, tao: number) => Effect.Effect<number, LocalnetError | ChainError>
  /** Stops the chain (idempotent; also done when the scope closes). */
  readonly stop: Effect.Effect<void>
}

// All in-process chains share one wasm worker; it must go when the last chain stops, or bun never exits.
let liveChains = 0

const loadChopsticks = Effect.tryPromise({
  try: async () => {
    // Chopsticks logs every block at INFO through pino, configured from LOG_LEVEL when first imported.
    process.env["LOG_LEVEL"] ??= "warn"
    return import("@acala-network/chopsticks-core")
  },
  catch: (e) => new LocalnetError({ reason: `cannot load chopsticks: ${String(e)}` })
})

/** Runs a chopsticks operation with a time limit (default 60 s), so a stuck chain fails instead of hanging. */
const attempt = <A>(what: string, f: () => Promise<A>, limit: Duration.DurationInput = Duration.seconds(60)) =>
  Effect.tryPromise({ try: f, catch: (e) => new LocalnetError({ reason: `${what}: ${e instanceof Error ? e.message : String(e)}` }) }).pipe(
    Effect.timeoutFail({ duration: limit, onTimeout: () => new LocalnetError({ reason: `${what}: no answer within ${Duration.format(limit)}` }) })
  )

/** Reads the AccountInfo of an address at the head, through the runtime metadata. */
const accountInfo = async (chain: Blockchain, address: string) => {
  const meta = await chain.head.meta
  const { StorageKey } = await import("@polkadot/types")
  const entry = (meta.query as unknown as Record<string, Record<string, unknown>>)["system"]?.["account"]
  const key = new StorageKey(meta.registry, [entry as never, [address]] as never)
  const raw = await chain.head.get(key.toHex())
  const info = meta.registry.createType(key.outputType, raw ?? undefined).toJSON() as {
    nonce?: number
    consumers?: number
    providers?: number
    sufficients?: number
  }
  return info
}

/** Starts a local chain; the scope stops it. */
export const startLocalnet = (options: LocalnetOptions = {}): Effect.Effect<Localnet, LocalnetError, Scope.Scope> =>
  Effect.gen(function* () {
    const spec = options.spec ?? 185
    const core = yield* loadChopsticks
    const genesisPath = chainSpecPath(options.sharedDir ?? sharedDirSync(), spec)
    const genesis = yield* attempt("read the chain spec", async () => new core.GenesisProvider(await Bun.file(genesisPath).json()))

    const releaseWorker = () => (--liveChains === 0 ? core.destroyWorker().catch(() => undefined) : Promise.resolve())
    liveChains++
    const chopsticks = yield* attempt("start chopsticks", () => core.setup({ genesis, buildBlockMode: core.BuildBlockMode.Instant })).pipe(
      Effect.tapError(() => Effect.promise(releaseWorker))
    )
    const server = yield* Effect.try({
      try: () => serveChopsticks(chopsticks, core.allHandlers, "127.0.0.1", options.port ?? 0),
      catch: (e) => new LocalnetError({ reason: `serve on port ${options.port ?? 0}: ${String(e)}` })
    }).pipe(Effect.tapError(() => Effect.promise(async () => {
      await chopsticks.close().catch(() => undefined)
      await releaseWorker()
    })))
    const chainScope = yield* Scope.make()
    let stopped = false
    const stop = Effect.suspend(() => {
      if (stopped) return Effect.void
      stopped = true
      return Effect.zipRight(
        Scope.close(chainScope, Exit.void),
        Effect.promise(async () => {
          server.stop()
          await chopsticks.close().catch(() => undefined)
          await releaseWorker()
        })
      )
    })
    yield* Effect.addFinalizer(() => stop)
    const port = server.port
    const endpoint = `ws://127.0.0.1:${port}`

    // Block #1 can fail on a cold start (a slot boundary between two clock readings): build another.
    if (chopsticks.head.number === 0) yield* attempt("build block 1", () => chopsticks.newBlock())

    const setStorage = (values: Record<string, Record<string, unknown>>) =>
      Effect.asVoid(attempt("set storage", () => core.setStorage(chopsticks, values as never)))

    const fund = (address: string, rao: bigint) =>
      Effect.gen(function* () {
        const info = yield* attempt("read account", () => accountInfo(chopsticks, address))
        yield* setStorage({
          System: {
            Account: [
              [
                [address],
                {
                  nonce: info.nonce ?? 0,
                  consumers: info.consumers ?? 0,
                  providers: Math.max(1, info.providers ?? 0),
                  sufficients: info.sufficients ?? 0,
                  data: { free: rao.toString() }
                }
              ]
            ]
          }
        })
      })

    const newBlocks = (n: number) =>
      attempt(
        "new blocks",
        async () => {
          for (let i = 0; i < n; i++) await chopsticks.newBlock()
          return chopsticks.head.number
        },
        Duration.seconds(60 + 10 * n)
      )

    const alice = keypairFromUri("//Alice")
    // Fund every dev coldkey (spec 218 gives them nothing; on 185 Dave…Ferdie hold 2 TAO).
    for (const name of DEV_NAMES) {
      yield* fund(devWallet(name).coldkey.ss58Address, name === "Alice" ? 1_000_000_000n * TAO : 1_000_000n * TAO)
    }
    if (spec === 218) yield* setStorage({ Sudo: { Key: alice.ss58Address } })

    const chain = yield* ChainSubtensor.make({ endpoint, timeout: options.timeout ?? Duration.seconds(30), txTimeout: Duration.seconds(60) }).pipe(
      Scope.extend(chainScope)
    )

    // A transaction whose application threw inside block building goes back to the pool, and Instant
    // mode only builds again on the next submission: build a block for anything left waiting.
    yield* Effect.forkIn(
      Effect.gen(function* () {
        let waiting = 0
        for (;;) {
          yield* Effect.sleep(Duration.seconds(2))
          const pending = chopsticks.txPool.pendingExtrinsics.length
          if (pending > 0 && waiting > 0) yield* Effect.ignore(attempt("build a block for waiting transactions", () => chopsticks.newBlock()))
          waiting = pending
        }
      }),
      chainScope
    )

    if (options.blockTime !== undefined) {
      const every = Duration.decode(options.blockTime)
      yield* Effect.forkIn(
        Effect.ignore(attempt("timed block", () => chopsticks.newBlock())).pipe(Effect.repeat(Schedule.spaced(every)), Effect.delay(every)),
        chainScope
      )
    }

    if (spec === 218) {
      // Genesis counts as the last network registration; lift the 10-block network rate limit.
      yield* chain.sudo(alice, { method: "sudoSetNetworkRateLimit", args: [0] }).pipe(
        Effect.mapError((e) => new LocalnetError({ reason: `sudoSetNetworkRateLimit: ${e.message}` }))
      )
    }

    const createSubnet = (opts: SubnetOptions = {}) =>
      Effect.gen(function* () {
        const owner = opts.owner ?? alice
        const netuid = yield* chain.registerNetwork(owner, Hotkey.make(opts.ownerHotkey ?? devWallet("Alice").hotkey.ss58Address))
        const calls: Array<AdminCall> = [
          { method: "sudoSetTempo", args: [netuid, opts.tempo ?? 1] },
          { method: "sudoSetWeightsSetRateLimit", args: [netuid, 0] },
          // Enough for a full subnet: the chain allows 3 × target registrations per adjustment interval.
          { method: "sudoSetMaxRegistrationsPerBlock", args: [netuid, 256] },
          { method: "sudoSetTargetRegistrationsPerInterval", args: [netuid, 256] },
          { method: "sudoSetServingRateLimit", args: [netuid, 0] }
        ]
        if (opts.maxAllowedUids !== undefined) calls.push({ method: "sudoSetMaxAllowedUids", args: [netuid, opts.maxAllowedUids] })
        if (opts.maxAllowedValidators !== undefined) {
          calls.push({ method: "sudoSetMaxAllowedValidators", args: [netuid, opts.maxAllowedValidators] })
        }
        if (opts.weightsVersionKey !== undefined) calls.push({ method: "sudoSetWeightsVersionKey", args: [netuid, opts.weightsVersionKey] })
        if (opts.commitRevealPeriod !== undefined) {
          calls.push({ method: "sudoSetCommitRevealWeightsInterval", args: [netuid, opts.commitRevealPeriod] })
        }
        if (opts.commitReveal !== undefined) calls.push({ method: "sudoSetCommitRevealWeightsEnabled", args: [netuid, opts.commitReveal] })
        yield* chain.sudo(alice, calls)
        if (spec === 185 && opts.emission !== false) {
          yield* setStorage({ SubtensorModule: { EmissionValues: [[[netuid], 1_000_000_000]] } })
        }
        return netuid
      })

    const registerNeuron = (netuid: Netuid, coldkey: Keypair, hotkey: string) => chain.burnedRegister(netuid, coldkey, Hotkey.make(hotkey))

    const stake = (netuid: Netuid, coldkey: Keypair, hotkey: string, tao: number) =>
      Effect.gen(function* () {
        if (spec === 218) {
          // Under chopsticks a new subnet's pools hold 1 rao, so staking would buy 0 alpha.
          yield* setStorage({ SubtensorModule: { SubnetAlphaIn: [[[netuid], 1_000_000_000_000]], SubnetTAO: [[[netuid], 1_000_000_000_000]] } })
        }
        return yield* chain.addStake(netuid, coldkey, Hotkey.make(hotkey), BigInt(Math.round(tao * 1e9)))
      })

    const nextEpoch = (netuid: Netuid) =>
      Effect.gen(function* () {
        const { tempo } = yield* chain.hyperparameters(netuid)
        const now = chopsticks.head.number
        const target = nextEpochBlock(now, netuid, tempo)
        if (!Number.isFinite(target)) return yield* Effect.fail(new LocalnetError({ reason: `subnet ${netuid} has tempo 0` }))
        return yield* newBlocks(target - now)
      })

    return {
      spec,
      endpoint,
      port,
      chain,
      sudoKey: alice,
      newBlocks,
      nextEpoch,
      setStorage,
      fund,
      createSubnet,
      registerNeuron,
      stake,
      stop
    } satisfies Localnet
  })

/** The programmatic entry point: `Localnet.start({ spec: 185 })` (scoped), plus the dev wallets. */
export const Localnet = { start: startLocalnet, devWallet, DEV_NAMES } as const
