/**
 * Miner end to end: RankingRequests per second a validator's dendrite gets answered by a real miner
 * (`startMiner`: blacklist over the metagraph view, signature verification, priority queue, local ONNX
 * `hf_model` scorer) over loopback HTTP, at 1, 4 and 16 requests in flight, beside the scorer alone on
 * the same request (the ceiling) and the sr25519 sign + verify every request costs (dendrite and axon run
 * in this one thread, so both sides' signature work is in the figure). The reward model is trained and
 * exported here; the chain is the in-memory twin. The machine may be shared, so the process CPU time per
 * request is printed too (it moves less with other load than wall-clock rates). Prints figures; asserts
 * nothing.
 */
import { BunContext } from "@effect/platform-bun"
import { Effect, Exit, Layer, LogLevel, Logger, ManagedRuntime, Option, Schema, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { defaultAxonConfig, layer as axonLayer } from "../src/adapters/axon/axon.ts"
import * as ChainMemory from "../src/adapters/chain/memory.ts"
import * as DendriteLive from "../src/adapters/dendrite/dendrite.ts"
import { exportRewardModel, trainingFacts } from "../src/adapters/data/reward-model-export.ts"
import * as HfLocal from "../src/adapters/scorer/hf-local.ts"
import * as MinerStoreSql from "../src/adapters/store/miner-store-sql.ts"
import { keypairFromUri, signHex, verify } from "../src/adapters/wallet/sr25519.ts"
import { layerDev } from "../src/adapters/wallet/wallet-fs.ts"
import { RankingRequest } from "../src/domain/wire/protocol.ts"
import { defaultTrainingConfig, trainRewardModel } from "../src/domain/reward-model/training.ts"
import { generateSyntheticPreferences } from "../src/domain/data/synthetic-preferences.ts"
import { RankingRequestSynapse } from "../src/domain/wire/synapses.ts"
import { startMiner } from "../src/pipeline/miner/serve.ts"
import { defaultMinerSettings, MinerSettings } from "../src/pipeline/miner/settings.ts"
import { Dendrite } from "../src/services/dendrite.ts"
import { Scorer } from "../src/services/scorer.ts"
import { Netuid } from "../src/domain/chain/ids.ts"

const COMPLETIONS = 4
const SECONDS = 3
const NETUID = Netuid.make(1)

const minerHotkey = keypairFromUri("//Bob//hot")
const validatorHotkey = keypairFromUri("//Alice//hot")

const dir = join(mkdtempSync(join(tmpdir(), "dojo-bench-miner-")), "model")
const scope = Effect.runSync(Scope.make())
try {
  const t0 = performance.now()
  const trained = trainRewardModel(generateSyntheticPreferences({ count: 1000, seed: 1 }), { ...defaultTrainingConfig, epochs: 3 })
  await Effect.runPromise(
    exportRewardModel(dir, { model: trained.model, tokenizer: trained.tokenizer, training: trainingFacts(trained) }).pipe(Effect.provide(BunContext.layer))
  )
  console.log(`model: vocabulary ${trained.model.vocabSize}, dim ${trained.model.dim}; trained and exported in ${(performance.now() - t0).toFixed(0)} ms`)

  const pool = generateSyntheticPreferences({ count: 64, seed: 2 })
  let n = 0
  const request = () => {
    const p = pool[n++ % pool.length]!
    return Schema.decodeUnknownSync(RankingRequest)({
      epoch_timestamp: Date.now() / 1000,
      request_id: `bench-${n}`,
      prompt: p.prompt,
      n_completions: COMPLETIONS,
      completions: Array.from({ length: COMPLETIONS }, (_, i) => ({ cid: `c${i}`, text: i % 2 === 0 ? p.chosen : p.rejected }))
    })
  }

  const miner = ManagedRuntime.make(
    Layer.mergeAll(
      ChainMemory.layer({
        subnets: [
          {
            netuid: NETUID,
            neurons: [
              { hotkey: validatorHotkey.ss58Address, coldkey: keypairFromUri("//Alice").ss58Address, stake: 5000, validatorPermit: true },
              { hotkey: minerHotkey.ss58Address, coldkey: keypairFromUri("//Bob").ss58Address }
            ]
          }
        ]
      }),
      layerDev("//Bob"),
      axonLayer({ ...defaultAxonConfig, hotkey: minerHotkey.ss58Address, ip: "127.0.0.2", port: 0 }),
      HfLocal.layer({ model: dir, batchSize: 16 }).pipe(Layer.provide(BunContext.layer)),
      MinerStoreSql.layerTest,
      Layer.succeed(MinerSettings, { ...defaultMinerSettings, netuid: NETUID, callbackSecret: Option.none() }),
      // Two info lines per request would be most of what this prints; warnings still show.
      Logger.minimumLogLevel(LogLevel.Warning)
    )
  )
  const running = await miner.runPromise(Scope.extend(startMiner, scope))
  const target = { ip: running.axon.bound.ip, port: running.axon.bound.port, hotkey: minerHotkey.ss58Address }

  // The ceiling: the scorer alone, one request at a time.
  const alone = await miner.runPromise(
    Effect.gen(function* () {
      const scorer = yield* Scorer
      yield* scorer.score(request())
      let done = 0
      const start = performance.now()
      while (performance.now() - start < SECONDS * 1000) {
        yield* scorer.score(request())
        done++
      }
      return done / ((performance.now() - start) / 1000)
    })
  )
  console.log(`scorer alone (${COMPLETIONS} completions per request): ${alone.toFixed(1)} requests/s`)

  // Every request is signed by the dendrite and verified by the axon, both in this thread.
  const message = `${Date.now()}000000.${validatorHotkey.ss58Address}.${minerHotkey.ss58Address}.uuid.bodyhash`
  let signature = ""
  let t = performance.now()
  for (let i = 0; i < 100; i++) signature = signHex(validatorHotkey, message)
  const signMs = (performance.now() - t) / 100
  t = performance.now()
  for (let i = 0; i < 100; i++) verify(message, signature, validatorHotkey.ss58Address)
  const verifyMs = (performance.now() - t) / 100
  console.log(`sr25519 per request: sign ${signMs.toFixed(2)} ms (dendrite) + verify ${verifyMs.toFixed(2)} ms (axon)`)

  const validator = ManagedRuntime.make(DendriteLive.layer({ hotkey: validatorHotkey }))
  for (const inFlight of [1, 4, 16]) {
    const latencies: number[] = []
    let failed = 0
    const cpu = process.cpuUsage()
    const start = performance.now()
    const worker = async () => {
      while (performance.now() - start < SECONDS * 1000) {
        const t = performance.now()
        const r = await validator.runPromise(Effect.flatMap(Dendrite, (d) => d.call(target, RankingRequestSynapse, request())))
        if (r.statusCode === 200 && Option.isSome(r.body) && r.body.value.ranks.length === COMPLETIONS) latencies.push(performance.now() - t)
        else failed++
      }
    }
    await Promise.all(Array.from({ length: inFlight }, worker))
    const seconds = (performance.now() - start) / 1000
    const used = process.cpuUsage(cpu)
    const cpuMsPerRequest = (used.user + used.system) / 1000 / Math.max(1, latencies.length)
    latencies.sort((a, b) => a - b)
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN
    console.log(
      `in flight ${String(inFlight).padStart(2)}: ${(latencies.length / seconds).toFixed(1).padStart(6)} requests/s ` +
        `(${((latencies.length * COMPLETIONS) / seconds).toFixed(0)} completions/s), p50 ${pct(0.5).toFixed(1)} ms, p95 ${pct(0.95).toFixed(1)} ms, ` +
        `CPU ${cpuMsPerRequest.toFixed(1)} ms per request (both sides)` +
        (failed > 0 ? `, ${failed} failed` : "")
    )
  }
  await validator.dispose()
  await Effect.runPromise(Scope.close(scope, Exit.void))
  await miner.dispose()
} finally {
  rmSync(dirname(dir), { recursive: true, force: true })
}
