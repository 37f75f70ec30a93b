/**
 * `bun run src/programs/miner.ts --netuid N --subtensor.network local --wallet.name W --wallet.hotkey H
 * --axon.port P --scoring_method hf_model|llm_api|aws_mturk [--model_name …]` — a Dojo miner. Parses
 * flags, builds the layers and runs until SIGINT/SIGTERM, when every scope closes (axon, callback API,
 * chain connection, store). A startup failure prints one clear line and exits non-zero.
 */
import { Command } from "@effect/cli"
import { BunContext, BunHttpServer } from "@effect/platform-bun"
import { Config, Effect, Layer, Option } from "effect"
import * as ChainSubtensor from "../adapters/chain/subtensor.ts"
import * as MTurkClient from "../adapters/mturk/client.ts"
import * as HfLocal from "../adapters/scorer/hf-local.ts"
import * as HfRemote from "../adapters/scorer/hf-remote.ts"
import * as Llm from "../adapters/scorer/llm.ts"
import * as MTurkScorer from "../adapters/scorer/mturk.ts"
import * as RandomScorer from "../adapters/scorer/random.ts"
import * as MinerStoreSql from "../adapters/store/miner-store-sql.ts"
import * as Sts from "../adapters/mturk/sts-assume-role.ts"
import * as WalletFs from "../adapters/wallet/wallet-fs.ts"
import { serveCallbackApi } from "../adapters/http/human-feedback-callback.ts"
import { startDeliveryLoop } from "../pipeline/miner/human-feedback-delivery.ts"
import { startMiner } from "../pipeline/miner/serve.ts"
import { defaultMinerSettings, MinerSettings } from "../pipeline/miner/settings.ts"
import type { Scorer } from "../services/scorer.ts"
import { axonOptions } from "./options/axon.ts"
import { loggingLayer, loggingOptions } from "./options/logging.ts"
import { DEFAULT_HF_MODEL, type MinerFlags, minerOptions } from "./options/miner.ts"
import { dataDirOf, neuronOptions } from "./options/neuron.ts"
import { runCli } from "./options/run-cli.ts"
import { signingLayer } from "./options/signing.ts"
import { resolveStoreConfig, storeOptions } from "./options/store.ts"
import { resolveEndpoint, subtensorOptions } from "./options/subtensor.ts"
import { UsageError } from "./options/usage-error.ts"
import { walletOptions } from "./options/wallet.ts"

/** The Scorer the flags select; secrets come from the environment inside each adapter's layer. */
const scorerLayer = (m: MinerFlags): Layer.Layer<Scorer, unknown> => {
  if (m.randomScores) return RandomScorer.layer
  const modelName = Option.getOrUndefined(m.modelName)
  switch (m.scoringMethod) {
    case "hf_model":
      return Option.match(m.hfEndpointUrl, {
        onSome: (endpointUrl) => HfRemote.layerConfig({ endpointUrl, modelName: modelName ?? endpointUrl }),
        onNone: () =>
          HfLocal.layer({ model: modelName ?? DEFAULT_HF_MODEL, batchSize: m.hfBatchSize }).pipe(Layer.provide(BunContext.layer))
      })
    case "llm_api":
      return Llm.layerConfig({
        provider: m.llmProvider,
        ...(modelName === undefined ? {} : { modelName }),
        ...Option.match(m.llmBaseUrl, { onNone: () => ({}), onSome: (baseURL) => ({ baseURL }) })
      })
    case "aws_mturk": {
      const environment = Option.getOrElse(m.mturkEnvironment, () => "sandbox" as const)
      return MTurkScorer.layerConfig({
        terms: {
          reward: m.mturkReward,
          maxAssignments: m.mturkMaxAssignments,
          lifetimeSeconds: m.mturkLifetime,
          assignmentDurationSeconds: m.mturkAssignmentDuration
        },
        ...(modelName === undefined ? {} : { modelName })
      }).pipe(
        Layer.provide(
          MTurkClient.layerConfig({ environment, ...Option.match(m.mturkEndpointUrl, { onNone: () => ({}), onSome: (endpoint) => ({ endpoint }) }) })
        )
      )
    }
  }
}

const command = Command.make(
  "miner",
  {
    wallet: walletOptions,
    subtensor: subtensorOptions,
    neuron: neuronOptions,
    axon: axonOptions,
    store: storeOptions,
    miner: minerOptions,
    logging: loggingOptions
  },
  (flags) =>
    Effect.gen(function* () {
      const m = flags.miner
      const endpoint = yield* resolveEndpoint(flags.subtensor)
      const mturk = m.scoringMethod === "aws_mturk"
      if (mturk && Option.isNone(m.mturkEnvironment))
        return yield* new UsageError({ message: "--scoring_method aws_mturk needs --aws_mturk_environment sandbox|production" })
      const dataDir = dataDirOf(flags.neuron, flags.wallet, "miner")
      const store = yield* resolveStoreConfig(flags.store, dataDir)
      const callbackSecret = yield* Config.option(Config.redacted("DOJO_CALLBACK_SECRET"))
      const environment = Option.getOrElse(m.mturkEnvironment, () => "sandbox" as const)

      const settings = Layer.succeed(MinerSettings, {
        ...defaultMinerSettings,
        netuid: flags.neuron.netuid,
        minStake: m.minStake,
        callbackSecret
      })
      const services = Layer.mergeAll(signingLayer(flags.wallet, flags.axon), settings, ChainSubtensor.layer({ endpoint }), MinerStoreSql.layer(store), scorerLayer(m))

      const run = Effect.gen(function* () {
        const running = yield* startMiner
        if (mturk) {
          // Built into the run's scope, not `Effect.provide`d: a provided layer's scope (and with it the
          // HTTP server and the delivery fiber) would close as soon as this setup returns.
          const humanFeedbackServices = yield* Layer.build(
            Layer.merge(
              BunHttpServer.layer({ hostname: flags.neuron.apiIp, port: flags.neuron.apiPort }),
              Sts.layerConfig({ environment, ...Option.match(m.stsEndpointUrl, { onNone: () => ({}), onSome: (endpoint) => ({ endpoint }) }) })
            )
          )
          yield* Effect.gen(function* () {
            yield* serveCallbackApi
            yield* startDeliveryLoop(running.view)
          }).pipe(Effect.provide(humanFeedbackServices))
        }
        yield* Effect.logInfo("miner ready").pipe(
          Effect.annotateLogs({
            uid: running.uid,
            hotkey: running.hotkey,
            axon: `${running.axon.external.ip}:${running.axon.external.port}`,
            scoring_method: m.scoringMethod
          })
        )
        return yield* Effect.never
      }).pipe(
        Effect.scoped,
        Effect.onInterrupt(() => Effect.logInfo("miner stopping: closing the axon, callback API and chain connection"))
      )

      yield* Effect.logInfo("starting miner").pipe(
        Effect.annotateLogs({ endpoint, netuid: flags.neuron.netuid, scoring_method: m.scoringMethod, store: store._tag, data_dir: dataDir })
      )
      return yield* run.pipe(Effect.provide(services))
    }).pipe(Effect.provide(loggingLayer(flags.logging)))
).pipe(Command.withDescription("A Dojo miner: scores validators' RankingRequests with a reward model, an LLM, or MTurk workers."))

if (import.meta.main) runCli("miner", command)
