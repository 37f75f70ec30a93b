/**
 * The validator's public HTTP surface on loopback, for the hostile-input suites: the real validator HTTP
 * server (scoring API, dashboard, /metrics) on 127.0.0.2, the validator's axon (MTurkResponse) on
 * 127.0.0.3, one real miner axon on 127.0.0.4 answering RankingRequests, the in-memory chain with both
 * registered, a real dendrite and an SQLite FILE store (so a test can digest its tables).
 */
import { Effect, Exit, Layer, ManagedRuntime, Redacted, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as AxonLive from "../../src/adapters/axon/axon.ts"
import * as ChainMemory from "../../src/adapters/chain/memory.ts"
import * as DendriteLive from "../../src/adapters/dendrite/dendrite.ts"
import { createApiKey } from "../../src/adapters/http/api-keys.ts"
import { dashboardRouter } from "../../src/adapters/http/dashboard.ts"
import * as DashboardDataLive from "../../src/adapters/http/dashboard-data.ts"
import { defaultDashboardSettings } from "../../src/adapters/http/dashboard-data.ts"
import { serveValidatorHttp } from "../../src/adapters/http/validator-server.ts"
import * as MTurkAccessLive from "../../src/adapters/mturk/access.ts"
import * as RequestRandomnessLive from "../../src/adapters/request-randomness.ts"
import * as ValidatorStoreSql from "../../src/adapters/store/validator-store.ts"
import { layerDev } from "../../src/adapters/wallet/wallet-fs.ts"
import type { RankingRequest } from "../../src/domain/wire/protocol.ts"
import { RankingRequestSynapse } from "../../src/domain/wire/synapses.ts"
import { mturkResponseRoute } from "../../src/pipeline/validator/mturk-route.ts"
import { ValidatorSettings } from "../../src/pipeline/validator/settings.ts"
import { Axon, axonRoute } from "../../src/services/axon.ts"
import { minerKeys, NETUID, testValidatorSettings, VALIDATOR_WALLET, validatorKey, worldChain } from "./validator-world.ts"

/** A running world. */
export interface ValidatorApiWorld {
  /** Base URL of the validator HTTP server. */
  readonly api: string
  /** Base URL of the validator's axon. */
  readonly axon: string
  /** An API key with a rate limit no test reaches. */
  readonly key: string
  /** The SQLite file of the validator's store. */
  readonly storeFile: string
  /** The miner's hotkey (registered, serving). */
  readonly miner: typeof minerKeys.good
  /** Every prompt the miner was sent. */
  readonly minerSaw: Array<string>
  readonly close: () => Promise<void>
}

/** Starts the world. */
export const startValidatorApiWorld = async (): Promise<ValidatorApiWorld> => {
  const dir = mkdtempSync(join(tmpdir(), "dojo-validator-api-"))
  const storeFile = join(dir, "validator.sqlite")
  const miner = minerKeys.good
  const minerSaw: Array<string> = []
  const minerScope = Effect.runSync(Scope.make())
  const scope = Effect.runSync(Scope.make())
  const minerAxon = await Effect.runPromise(
    AxonLive.make({ ...AxonLive.defaultAxonConfig, hotkey: miner.ss58Address, ip: "127.0.0.4", port: 0 }, [
      axonRoute(RankingRequestSynapse, {
        forward: (_ctx, body: RankingRequest) =>
          Effect.sync(() => {
            minerSaw.push(body.prompt)
            return {
              ...body,
              ranks: body.completions.map((c, i) => ({ cid: c.cid, score: (i + 1) / (body.completions.length + 1) })),
              scoring_method: "hf_model" as const,
              model_config: { provider: null, model_name: "test-model" }
            }
          })
      })
    ]).pipe(Scope.extend(minerScope))
  )
  const base = Layer.mergeAll(
    ChainMemory.layer(worldChain([{ hotkey: miner.ss58Address, axon: { ip: minerAxon.bound.ip, port: minerAxon.bound.port } }])),
    ValidatorStoreSql.layer({ _tag: "sqlite", filename: storeFile }),
    RequestRandomnessLive.layer,
    DendriteLive.layer({ hotkey: validatorKey }),
    layerDev(VALIDATOR_WALLET),
    AxonLive.layer({ ...AxonLive.defaultAxonConfig, hotkey: validatorKey.ss58Address, ip: "127.0.0.3", port: 0 }),
    MTurkAccessLive.layer({}),
    Layer.succeed(ValidatorSettings, testValidatorSettings({ queryTimeoutSeconds: 5, deadlineSeconds: 3600 }))
  )
  const runtime = ManagedRuntime.make(
    Layer.provideMerge(DashboardDataLive.layer({ ...defaultDashboardSettings, netuid: NETUID, validatorHotkey: validatorKey.ss58Address }), base)
  )
  const served = await runtime.runPromise(serveValidatorHttp({ ip: "127.0.0.2", port: 0 }, [dashboardRouter]).pipe(Scope.extend(scope)))
  const axon = await runtime.runPromise(
    Effect.gen(function* () {
      return yield* (yield* Axon).serve([yield* mturkResponseRoute])
    }).pipe(Scope.extend(scope))
  )
  const key = Redacted.value((await runtime.runPromise(createApiKey({ name: "hostile-suite", rateLimitPerMinute: 1_000_000 }))).key)
  return {
    api: served.url.replace("127.0.0.1", "127.0.0.2"),
    axon: `http://${axon.bound.ip}:${axon.bound.port}`,
    key,
    storeFile,
    miner,
    minerSaw,
    close: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await Effect.runPromise(Scope.close(minerScope, Exit.void))
      await runtime.dispose()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
