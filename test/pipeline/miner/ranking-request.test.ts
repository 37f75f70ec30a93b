import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { BunContext } from "@effect/platform-bun"
import { Effect, Layer, Option, Redacted } from "effect"
import * as MTurkClient from "../../../src/adapters/mturk/client.ts"
import { trainingFacts } from "../../../src/adapters/data/reward-model-export.ts"
import * as HfLocal from "../../../src/adapters/scorer/hf-local.ts"
import * as MTurkScorer from "../../../src/adapters/scorer/mturk.ts"
import type { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { RankingRequestSynapse } from "../../../src/domain/wire/synapses.ts"
import { defaultTrainingConfig, trainRewardModel } from "../../../src/domain/reward-model/training.ts"
import { generateSyntheticPreferences } from "../../../src/domain/data/synthetic-preferences.ts"
import { Chain } from "../../../src/services/chain.ts"
import { MinerStore } from "../../../src/services/miner-store.ts"
import { Scorer, ScorerUnavailable, type ScoreOutcome } from "../../../src/services/scorer.ts"
import { removeTempDirs, writeModelDir } from "../../support/reward-model-dir.ts"
import { startMTurkStub } from "../../support/stubs/mturk.ts"
import { dendriteFor, NETUID, rankingRequest, startTestMiner, subnetNeurons, validatorKey, type TestMiner } from "./miner-fixture.ts"

setDefaultTimeout(30_000)

const validator = dendriteFor(validatorKey)
const mturkStub = startMTurkStub({ accessKeyIds: ["AKIDMINER"] })
const mturkLayer = MTurkScorer.layer({ snsTopicArn: "arn:aws:sns:us-east-1:123456789012:dojo" }).pipe(
  Layer.provide(
    MTurkClient.layer({
      environment: "sandbox",
      endpoint: mturkStub.endpoint,
      credentials: { accessKeyId: "AKIDMINER", secretAccessKey: Redacted.make("miner-secret") },
      maxAttempts: 1
    })
  )
)

/** A scorer that answers with a fixed outcome or error (for the paths a real upstream rarely takes). */
const fixedScorer = (score: (r: RankingRequest) => Effect.Effect<ScoreOutcome, ScorerUnavailable>) =>
  Layer.succeed(Scorer, { method: "llm_api", modelConfig: { provider: "togetherai", model_name: "m" }, score })

const started: TestMiner[] = []
const start = async (options: Parameters<typeof startTestMiner>[0]) => {
  const m = await startTestMiner(options)
  started.push(m)
  return m
}

let modelDir: string
beforeAll(() => {
  const trained = trainRewardModel(generateSyntheticPreferences({ count: 200, seed: 5 }), { ...defaultTrainingConfig, epochs: 2, maxLength: 48 })
  modelDir = writeModelDir({ model: trained.model, tokenizer: trained.tokenizer, training: trainingFacts(trained) })
})
afterAll(async () => {
  for (const m of started) await m.stop()
  await validator.dispose()
  await mturkStub.stop()
  removeTempDirs()
})

describe("RankingRequest handler (real axon on 127.0.0.2, in-memory chain)", () => {
  test("hf_model (local ONNX): one rank in [0, 1] per completion, scoring_method and model_config set", async () => {
    const m = await start({ scorer: HfLocal.layer({ model: modelDir, modelName: "dojo/tiny-rm" }).pipe(Layer.provide(BunContext.layer)) })
    const request = rankingRequest({ texts: ["Glad to help: knead the dough, then bake it.", "dunno", "Preheat the oven first."] })
    const r = await validator.call((d) => d.call(m.target, RankingRequestSynapse, request))
    expect(r.statusCode).toBe(200)
    const body = Option.getOrThrow(r.body)
    expect(body.ranks.map((x) => x.cid)).toEqual(["cid-0", "cid-1", "cid-2"])
    for (const rank of body.ranks) expect(rank.score >= 0 && rank.score <= 1).toBe(true)
    expect(body.scoring_method).toBe("hf_model")
    expect(body.model_config).toEqual({ provider: null, model_name: "dojo/tiny-rm" })
    expect(body.mturk_hit_id).toBeNull()
    expect(body.completions).toEqual(request.completions)
  })

  test("an unavailable scorer is an error status with no ranks, never made-up ones", async () => {
    const m = await start({ scorer: fixedScorer(() => Effect.fail(new ScorerUnavailable({ method: "llm_api", message: "upstream 503 after retries" }))) })
    const r = await validator.call((d) => d.call(m.target, RankingRequestSynapse, rankingRequest()))
    expect(r.statusCode).toBe(503)
    expect(r.statusMessage).toContain("upstream 503 after retries")
    expect(Option.isNone(r.body)).toBe(true)
  })

  test("completions the scorer could not score get no rank; none scored at all is an error", async () => {
    const m = await start({
      scorer: fixedScorer((req) =>
        Effect.succeed(
          req.prompt === "partial"
            ? { ranks: [{ cid: "cid-1", score: 0.75 }, { cid: "not-in-request", score: 1 }], unscored: ["cid-0"], mturkHit: null }
            : { ranks: [], unscored: req.completions.map((c) => c.cid), mturkHit: null }
        )
      )
    })
    const partial = await validator.call((d) => d.call(m.target, RankingRequestSynapse, rankingRequest({ prompt: "partial" })))
    expect(partial.statusCode).toBe(200)
    expect(Option.getOrThrow(partial.body).ranks).toEqual([{ cid: "cid-1", score: 0.75 }])
    expect(Option.getOrThrow(partial.body).scoring_method).toBe("llm_api")
    const none = await validator.call((d) => d.call(m.target, RankingRequestSynapse, rankingRequest({ prompt: "nothing" })))
    expect(none.statusCode).toBe(422)
    expect(none.statusMessage).toBe("no completion could be scored")
  })

  test("aws_mturk: a HIT is created and recorded for this validator (its axon, cids, expiry in seconds); answered with its id", async () => {
    const m = await start({ scorer: mturkLayer, neurons: subnetNeurons({ ip: "127.0.0.3", port: 9599 }) })
    const request = rankingRequest()
    const before = Math.floor(Date.now() / 1000)
    const r = await validator.call((d) => d.call(m.target, RankingRequestSynapse, request))
    expect(r.statusCode).toBe(200)
    const body = Option.getOrThrow(r.body)
    expect(body.ranks).toEqual([])
    expect(body.scoring_method).toBe("aws_mturk")
    const hitId = body.mturk_hit_id!
    expect(mturkStub.hits.has(hitId)).toBe(true)
    expect(mturkStub.questionCids(hitId)).toEqual(["cid-0", "cid-1"])
    const hit = Option.getOrThrow(await m.run(Effect.flatMap(MinerStore, (s) => s.getHit(hitId))))
    expect(hit).toMatchObject({
      requestId: request.request_id,
      validatorHotkey: validatorKey.ss58Address,
      validatorIp: "127.0.0.3",
      validatorPort: 9599,
      cids: ["cid-0", "cid-1"],
      expectedAssignments: 3,
      assignments: [],
      delivery: { status: "pending", attempts: 0 }
    })
    expect(hit.createdAt).toBeGreaterThanOrEqual(before)
    expect(hit.expiresAt - hit.createdAt).toBeGreaterThanOrEqual(3599)
    expect(hit.expiresAt - hit.createdAt).toBeLessThanOrEqual(3601)
  })

  test("aws_mturk: a validator without a served axon gets an error and no HIT is paid for", async () => {
    const m = await start({ scorer: mturkLayer, neurons: subnetNeurons() })
    const created = mturkStub.requests.filter((x) => x.operation === "CreateHIT").length
    const r = await validator.call((d) => d.call(m.target, RankingRequestSynapse, rankingRequest()))
    expect(r.statusCode).toBe(422)
    expect(r.statusMessage).toContain("serves no axon")
    expect(mturkStub.requests.filter((x) => x.operation === "CreateHIT").length).toBe(created)
  })

  test("aws_mturk: a validator that served its axon after the miner's last metagraph read gets a HIT (the miner reads the chain again)", async () => {
    // A long refresh period: the background refresh cannot be what finds the new axon.
    const m = await start({ scorer: mturkLayer, neurons: subnetNeurons(), settings: { metagraphRefreshSeconds: 3600 } })
    await m.run(Effect.flatMap(Chain, (c) => c.serveAxon(NETUID, validatorKey, { ip: "127.0.0.3", port: 9599, version: 1 })))
    const r = await validator.call((d) => d.call(m.target, RankingRequestSynapse, rankingRequest()))
    expect(r.statusCode).toBe(200)
    const hitId = Option.getOrThrow(r.body).mturk_hit_id!
    expect(mturkStub.hits.has(hitId)).toBe(true)
    const hit = Option.getOrThrow(await m.run(Effect.flatMap(MinerStore, (s) => s.getHit(hitId))))
    expect([hit.validatorIp, hit.validatorPort]).toEqual(["127.0.0.3", 9599])
  })

  test("aws_mturk: MTurk failing is an error status, and nothing is recorded", async () => {
    const m = await start({ scorer: mturkLayer, neurons: subnetNeurons({ ip: "127.0.0.3", port: 9599 }) })
    mturkStub.failNext("CreateHIT", { type: "ServiceFault" })
    const r = await validator.call((d) => d.call(m.target, RankingRequestSynapse, rankingRequest()))
    expect(r.statusCode).toBe(503)
    expect(await m.run(Effect.flatMap(MinerStore, (s) => s.hitsReadyToDeliver(Number.MAX_SAFE_INTEGER)))).toEqual([])
  })
})
