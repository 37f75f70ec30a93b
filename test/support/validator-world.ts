/**
 * The validator's surroundings for its tests and for the crash harness: the keys, a subnet on the
 * in-memory chain (the validator with stake and permit, another validator that must never be queried,
 * the test miners), a JSONL file of synthetic preference pairs, test settings, and every layer
 * `runValidator` needs built from the live adapters (dendrite, axon, SQLite store, JSONL preference data,
 * MTurk access pointed at a stub).
 */
import { BunContext } from "@effect/platform-bun"
import { Layer, Logger, LogLevel } from "effect"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { defaultAxonConfig, layer as axonLayer } from "../../src/adapters/axon/axon.ts"
import * as ChainMemory from "../../src/adapters/chain/memory.ts"
import type { ChainMemoryState, InitialNeuron } from "../../src/adapters/chain/memory.ts"
import * as DendriteLive from "../../src/adapters/dendrite/dendrite.ts"
import * as MTurkAccessLive from "../../src/adapters/mturk/access.ts"
import * as PreferenceDataLive from "../../src/adapters/data/preference-data.ts"
import * as RequestRandomnessLive from "../../src/adapters/request-randomness.ts"
import type { StoreConfig } from "../../src/adapters/store/sql-client.ts"
import * as ValidatorStoreSql from "../../src/adapters/store/validator-store.ts"
import { keypairFromUri } from "../../src/adapters/wallet/sr25519.ts"
import { layerDev } from "../../src/adapters/wallet/wallet-fs.ts"
import type { Hyperparameters } from "../../src/domain/chain/metagraph.ts"
import { generateSyntheticPreferences } from "../../src/domain/data/synthetic-preferences.ts"
import { defaultValidatorSettings, ValidatorSettings, type ValidatorSettingsShape } from "../../src/pipeline/validator/settings.ts"
import { Netuid } from "../../src/domain/chain/ids.ts"

export const NETUID = Netuid.make(7)

/** The validator's wallet is `//Alice` (dev keys): hotkey `//Alice//hot`. */
export const VALIDATOR_WALLET = "//Alice"
export const validatorKey = keypairFromUri(`${VALIDATOR_WALLET}//hot`)
/** Another validator: permit and stake, serving an axon; a validator must not query it. */
export const otherValidatorKey = keypairFromUri("//Ferdie//hot")
/** Registered, never serving. */
export const idleKey = keypairFromUri("//Eve//hot")
/** Miner hotkeys by name. */
export const minerKeys = {
  good: keypairFromUri("//Bob//hot"),
  half: keypairFromUri("//Charlie//hot"),
  bad: keypairFromUri("//Dave//hot"),
  down: keypairFromUri("//Bob//down"),
  mturk: keypairFromUri("//Charlie//mturk")
} as const

/** A neuron to put on the subnet after the validator (uid order = list order, from uid 1). */
export interface WorldNeuron {
  readonly hotkey: string
  readonly axon?: { readonly ip: string; readonly port: number }
  readonly stake?: number
  readonly validatorPermit?: boolean
}

/** The subnet: uid 0 the validator (5000 TAO, permit), then `neurons` in order. */
export const worldChain = (
  neurons: ReadonlyArray<WorldNeuron>,
  hyperparameters: Partial<Omit<Hyperparameters, "netuid" | "subnetworkN">> = {}
): ChainMemoryState => ({
  subnets: [
    {
      netuid: NETUID,
      hyperparameters,
      neurons: [
        { hotkey: validatorKey.ss58Address, coldkey: keypairFromUri(VALIDATOR_WALLET).ss58Address, stake: 5000, validatorPermit: true },
        ...neurons.map(
          (n, i): InitialNeuron => ({
            hotkey: n.hotkey,
            coldkey: keypairFromUri(`//Coldkey${i}`).ss58Address,
            stake: n.stake ?? 0,
            validatorPermit: n.validatorPermit ?? false,
            ...(n.axon === undefined ? {} : { axon: n.axon })
          })
        )
      ]
    }
  ]
})

/** Writes `count` synthetic pairs (prompt/chosen/rejected JSONL) and returns the file's path. */
export const writeSyntheticJsonl = (dir: string, name: string, count: number, seed: number): string => {
  const path = join(dir, name)
  const lines = generateSyntheticPreferences({ count, seed }).map((p) =>
    JSON.stringify({ prompt: p.prompt, chosen: p.chosen, rejected: p.rejected })
  )
  writeFileSync(path, `${lines.join("\n")}\n`)
  return path
}

/** Settings for tests: seconds instead of hours. */
export const testValidatorSettings = (overrides: Partial<ValidatorSettingsShape> = {}): ValidatorSettingsShape => ({
  ...defaultValidatorSettings,
  netuid: NETUID,
  stepSeconds: 1,
  queryTimeoutSeconds: 5,
  deadlineSeconds: 1,
  resultTimeoutSeconds: 5,
  ...overrides
})

/** What the validator's layers are built from. */
export interface WorldOptions {
  readonly chain: ChainMemoryState
  readonly settings: ValidatorSettingsShape
  /** Seed JSONL; the evaluation source defaults to the same file. */
  readonly seedPath: string
  readonly evaluationPath?: string
  /** Default: a fresh in-memory SQLite store. */
  readonly store?: StoreConfig
  /** Where the validator's own axon listens (default 127.0.0.3, port 0). */
  readonly axonIp?: string
  /** MTurk endpoint (the stub) used to verify miners' HITs. */
  readonly mturkEndpoint?: string
  /** Minimum log level (default Warning). */
  readonly logLevel?: LogLevel.LogLevel
  /** Where request randomness comes from (default seeded from Effect's Random, so tests can pin it). */
  readonly randomness?: "seeded" | "crypto"
}

/** Every service `runValidator` needs (plus the chain's test controls), from the live adapters. */
export const worldLayers = (options: WorldOptions) => {
  const endpoint = options.mturkEndpoint
  return Layer.mergeAll(
    ChainMemory.layer(options.chain),
    options.randomness === "crypto" ? RequestRandomnessLive.layer : RequestRandomnessLive.layerTest,
    layerDev(VALIDATOR_WALLET),
    DendriteLive.layer({ hotkey: validatorKey }),
    axonLayer({ ...defaultAxonConfig, hotkey: validatorKey.ss58Address, ip: options.axonIp ?? "127.0.0.3", port: 0 }),
    options.store === undefined ? ValidatorStoreSql.layerTest : ValidatorStoreSql.layer(options.store),
    PreferenceDataLive.layer({ seed: options.seedPath, evaluation: [options.evaluationPath ?? options.seedPath] }).pipe(
      Layer.provide(BunContext.layer)
    ),
    MTurkAccessLive.layer(endpoint === undefined ? {} : { endpoints: { sandbox: endpoint, production: endpoint } }),
    Layer.succeed(ValidatorSettings, options.settings),
    Logger.minimumLogLevel(options.logLevel ?? LogLevel.Warning)
  )
}
