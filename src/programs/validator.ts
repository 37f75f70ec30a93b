/**
 * `bun run src/programs/validator.ts --netuid N --subtensor.network local --wallet.name W --wallet.hotkey H
 * --axon.port P` — a Dojo validator. Parses flags, builds the layers, runs until SIGINT/SIGTERM.
 */
import { Command } from "@effect/cli"
import { Config, Effect, Layer, Option } from "effect"
import * as ChainSubtensor from "../adapters/chain/subtensor.ts"
import { dashboardRouter } from "../adapters/http/dashboard.ts"
import * as DashboardDataLive from "../adapters/http/dashboard-data.ts"
import { defaultDashboardSettings } from "../adapters/http/dashboard-data.ts"
import { dashboardPage } from "../adapters/http/dashboard-page.ts"
import { serveValidatorHttp } from "../adapters/http/validator-server.ts"
import * as MTurkAccessLive from "../adapters/mturk/access.ts"
import * as PreferenceDataLive from "../adapters/data/preference-data.ts"
import * as RequestRandomnessLive from "../adapters/request-randomness.ts"
import * as ValidatorStoreSql from "../adapters/store/validator-store.ts"
import * as WalletFs from "../adapters/wallet/wallet-fs.ts"
import { rewardRule } from "../domain/scoring/reward-rule.ts"
import { runValidator } from "../pipeline/validator/run.ts"
import { ValidatorSettings } from "../pipeline/validator/settings.ts"
import { Wallet } from "../services/wallet.ts"
import { axonOptions } from "./options/axon.ts"
import { loggingLayer, loggingOptions } from "./options/logging.ts"
import { dataDirOf, neuronOptions } from "./options/neuron.ts"
import { runCli } from "./options/run-cli.ts"
import { signingLayer } from "./options/signing.ts"
import { resolveStoreConfig, storeOptions } from "./options/store.ts"
import { resolveEndpoint, subtensorOptions } from "./options/subtensor.ts"
import { checkDataSources, validatorOptions } from "./options/validator.ts"
import { walletOptions } from "./options/wallet.ts"

const command = Command.make(
  "validator",
  {
    wallet: walletOptions,
    subtensor: subtensorOptions,
    neuron: neuronOptions,
    axon: axonOptions,
    store: storeOptions,
    validator: validatorOptions,
    logging: loggingOptions
  },
  (flags) =>
    Effect.gen(function* () {
      // Every start-up usage error (a UsageError: one line, exit 2) is found here, before anything is built or logged.
      const v = flags.validator
      const endpoint = yield* resolveEndpoint(flags.subtensor)
      const dataDir = dataDirOf(flags.neuron, flags.wallet, "validator")
      const store = yield* resolveStoreConfig(flags.store, dataDir)
      yield* checkDataSources(v)
      const hfToken = yield* Config.option(Config.redacted("HF_TOKEN"))
      const mturkEndpoint = Option.getOrUndefined(v.mturkEndpoint)

      const settings = Layer.succeed(ValidatorSettings, {
        netuid: flags.neuron.netuid,
        stepSeconds: v.stepSeconds,
        sampleSize: v.sampleSize,
        queryTimeoutSeconds: v.timeout,
        deadlineSeconds: v.deadline,
        alpha: v.alpha,
        epochLength: Option.getOrUndefined(v.epochLength),
        versionKey: v.versionKey,
        mechanismId: v.mechanismId,
        vpermitTaoLimit: v.vpermitTaoLimit,
        evaluationRate: v.evaluationRate,
        evaluationWindowSeconds: v.windowHours * 3600,
        resultTimeoutSeconds: 12,
        deliveryMaxAttempts: 3,
        rewardRule: rewardRule(v.rewardRule),
        selfMadeEvaluationShare: v.selfMadeShare
      })
      const services = Layer.mergeAll(
        signingLayer(flags.wallet, flags.axon),
        settings,
        ChainSubtensor.layer({ endpoint }),
        RequestRandomnessLive.layer,
        ValidatorStoreSql.layer(store),
        PreferenceDataLive.layer({
          seed: v.seed,
          evaluation: v.evaluationDatasets,
          ...(Option.isSome(v.datasetsServerUrl) ? { datasetsServerUrl: v.datasetsServerUrl.value } : {}),
          hfToken: Option.getOrUndefined(hfToken)
        }),
        MTurkAccessLive.layer(mturkEndpoint === undefined ? {} : { endpoints: { sandbox: mturkEndpoint, production: mturkEndpoint } })
      )
      yield* Effect.logInfo("starting validator").pipe(
        Effect.annotateLogs({ endpoint, netuid: flags.neuron.netuid, data_dir: dataDir, store: store._tag })
      )
      const main = Effect.gen(function* () {
        const hotkey = yield* Effect.flatMap(Wallet, (w) => w.hotkey)
        // The dashboard, the scoring API and /metrics share --api.port; the axon is separate. Its page is
        // bundled now, once: a broken bundle stops start-up rather than the first page view.
        yield* dashboardPage
        yield* serveValidatorHttp({ ip: flags.neuron.apiIp, port: flags.neuron.apiPort }, [dashboardRouter]).pipe(
          Effect.provide(
            DashboardDataLive.layer({
              ...defaultDashboardSettings,
              netuid: flags.neuron.netuid,
              validatorHotkey: hotkey.ss58Address,
              accuracyWindowSeconds: v.windowHours * 3600
            })
          )
        )
        return yield* runValidator
      })
      return yield* Effect.scoped(main).pipe(Effect.provide(services), Effect.provide(loggingLayer(flags.logging)))
    })
).pipe(
  Command.withDescription(
    "A Dojo validator: sends RankingRequests to miners, scores their answers against consensus and hidden human preferences, sets weights, serves the scoring API and dashboard."
  )
)

if (import.meta.main) runCli("validator", command)
