/**
 * A real miner for the pipeline tests: `startMiner` on the in-memory chain twin, its axon on 127.0.0.2,
 * an in-memory SQLite MinerStore, and the scorer a test chooses; plus signed dendrites for the callers
 * the subnet knows (a validator, a permit-holder with too little stake, a neuron without a permit) and
 * one it does not.
 */
import { Effect, Exit, Layer, ManagedRuntime, Option, Scope } from "effect"
import { defaultAxonConfig, layer as axonLayer } from "../../../src/adapters/axon/axon.ts"
import * as ChainMemory from "../../../src/adapters/chain/memory.ts"
import { ChainMemoryControl, type InitialNeuron } from "../../../src/adapters/chain/memory.ts"
import * as DendriteLive from "../../../src/adapters/dendrite/dendrite.ts"
import * as MinerStoreSql from "../../../src/adapters/store/miner-store-sql.ts"
import { keypairFromUri } from "../../../src/adapters/wallet/sr25519.ts"
import { layerDev } from "../../../src/adapters/wallet/wallet-fs.ts"
import type { Keypair } from "../../../src/domain/wallet/keypair.ts"
import type { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { startMiner, type RunningMiner } from "../../../src/pipeline/miner/serve.ts"
import { defaultMinerSettings, MinerSettings, type MinerSettingsShape } from "../../../src/pipeline/miner/settings.ts"
import type { Axon } from "../../../src/services/axon.ts"
import type { Chain } from "../../../src/services/chain.ts"
import { Dendrite, type DendriteTarget } from "../../../src/services/dendrite.ts"
import type { MinerStore, NewHit } from "../../../src/services/miner-store.ts"
import type { Scorer } from "../../../src/services/scorer.ts"
import type { Wallet } from "../../../src/services/wallet.ts"
import { Netuid } from "../../../src/domain/chain/ids.ts"
import { testCompletions, testRankingRequest } from "../../support/fixtures.ts"

export const NETUID = Netuid.make(1)

/** The miner's keys: wallet `//Bob`, hotkey `//Bob//hot`. */
export const minerHotkey = keypairFromUri("//Bob//hot")
/** A validator: permit, 5000 TAO. */
export const validatorKey = keypairFromUri("//Alice//hot")
/** Holds a permit but only 10 TAO. */
export const poorKey = keypairFromUri("//Charlie//hot")
/** 5000 TAO but no permit. */
export const noPermitKey = keypairFromUri("//Dave//hot")
/** Not registered at all. */
export const strangerKey = keypairFromUri("//Eve//hot")

/** The subnet's neurons; the validator's axon address can be given (it receives MTurkResponses). */
export const subnetNeurons = (validatorAxon?: { ip: string; port: number }): ReadonlyArray<InitialNeuron> => [
  {
    hotkey: validatorKey.ss58Address,
    coldkey: keypairFromUri("//Alice").ss58Address,
    stake: 5000,
    validatorPermit: true,
    ...(validatorAxon === undefined ? {} : { axon: validatorAxon })
  },
  { hotkey: poorKey.ss58Address, coldkey: keypairFromUri("//Charlie").ss58Address, stake: 10, validatorPermit: true },
  { hotkey: noPermitKey.ss58Address, coldkey: keypairFromUri("//Dave").ss58Address, stake: 5000, validatorPermit: false },
  { hotkey: minerHotkey.ss58Address, coldkey: keypairFromUri("//Bob").ss58Address, stake: 0, validatorPermit: false }
]

/** Settings for tests: fast polling and backoff. */
export const testSettings = (overrides: Partial<MinerSettingsShape> = {}): MinerSettingsShape => ({
  ...defaultMinerSettings,
  netuid: NETUID,
  callbackSecret: Option.none(),
  deliveryPollSeconds: 0.05,
  deliveryBackoffSeconds: 1,
  ...overrides
})

/** A HIT this miner created for a validator's request, as the callback tests record it (expires far ahead). */
export const testHit = (hitId: string, cids: ReadonlyArray<string>, requestId = "req-1"): NewHit => ({
  hitId,
  requestId,
  validatorHotkey: "5Validator",
  validatorIp: "127.0.0.3",
  validatorPort: 9500,
  cids,
  expectedAssignments: 3,
  createdAt: 1_000,
  expiresAt: 2_000_000_000
})

type MinerServices = Chain | ChainMemoryControl | Wallet | Axon | Scorer | MinerStore | MinerSettings

/** A started miner and what a test needs to talk to it. */
export interface TestMiner {
  readonly miner: RunningMiner
  readonly target: DendriteTarget
  readonly runtime: ManagedRuntime.ManagedRuntime<MinerServices, unknown>
  /** Runs an effect with the miner's services (its store, chain controls, …). */
  readonly run: <A, E>(effect: Effect.Effect<A, E, MinerServices>) => Promise<A>
  readonly stop: () => Promise<void>
}

/** Starts a miner with `scorer` on a fresh in-memory chain and store. */
export const startTestMiner = async (options: {
  readonly scorer: Layer.Layer<Scorer, unknown>
  readonly settings?: Partial<MinerSettingsShape>
  readonly neurons?: ReadonlyArray<InitialNeuron>
  readonly maxWorkers?: number
}): Promise<TestMiner> => {
  const layers = Layer.mergeAll(
    ChainMemory.layer({ subnets: [{ netuid: NETUID, neurons: options.neurons ?? subnetNeurons() }] }),
    layerDev("//Bob"),
    axonLayer({ ...defaultAxonConfig, hotkey: minerHotkey.ss58Address, ip: "127.0.0.2", port: 0, maxWorkers: options.maxWorkers ?? 10 }),
    options.scorer,
    MinerStoreSql.layerTest,
    Layer.succeed(MinerSettings, testSettings(options.settings))
  )
  const runtime = ManagedRuntime.make(layers)
  const scope = Effect.runSync(Scope.make())
  const miner = await runtime.runPromise(Scope.extend(startMiner, scope))
  return {
    miner,
    target: { ip: miner.axon.bound.ip, port: miner.axon.bound.port, hotkey: minerHotkey.ss58Address },
    runtime,
    run: (effect) => runtime.runPromise(effect),
    stop: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await runtime.dispose()
    }
  }
}

/** A signed dendrite for `key`; call `dispose` when done. */
export const dendriteFor = (key: Keypair) => {
  const runtime = ManagedRuntime.make(DendriteLive.layer({ hotkey: key }))
  return {
    call: <A>(f: (d: Dendrite["Type"]) => Effect.Effect<A>) => runtime.runPromise(Effect.flatMap(Dendrite, f)),
    dispose: () => runtime.dispose()
  }
}

/** A RankingRequest with `n` completions. */
export const rankingRequest = (options: { id?: string; prompt?: string; texts?: ReadonlyArray<string>; epoch?: number } = {}): RankingRequest => {
  const texts = options.texts ?? ["a helpful and careful answer", "whatever, google it"]
  return testRankingRequest({
    ...(options.epoch === undefined ? {} : { epoch_timestamp: options.epoch }),
    request_id: options.id ?? crypto.randomUUID(),
    prompt: options.prompt ?? "How do I bake bread?",
    completions: testCompletions(texts, (i) => `cid-${i}`)
  })
}

export { ChainMemoryControl }
