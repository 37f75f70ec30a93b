/**
 * The SDK's own Dendrite (10.5.0 and 9.12.2, with a wallet bittensor-wallet created) against our miner's
 * axon over loopback (the miner pipeline on the in-memory chain twin, the caller registered as a
 * validator): RankingRequest with and without `required_hash_fields`, and RankingResult. The same
 * check against our real miner program on the local chain is in sdk-localnet.test.ts (10.5.0).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Scorer } from "../../src/services/scorer.ts"
import { rankingRequest, startTestMiner, subnetNeurons, type TestMiner } from "../pipeline/miner/miner-fixture.ts"
import { type PythonEnvName, pythonEnv } from "../support/python-env.ts"
import { pythonDendrite } from "../support/python-neurons.ts"

setDefaultTimeout(60_000)

const scorer = Layer.succeed(Scorer, {
  method: "hf_model",
  modelConfig: { provider: null, model_name: "length" },
  score: (r) => Effect.succeed({ ranks: r.completions.map((c) => ({ cid: c.cid, score: Math.min(1, c.text.length / 100) })), unscored: [], mturkHit: null })
})

describe.each(["sdk10", "sdk9"] as ReadonlyArray<PythonEnvName>)("the SDK Dendrite (%s) → our miner's axon", (envName) => {
  const dir = mkdtempSync(join(tmpdir(), `dojo-sdk-dendrite-${envName}-`))
  const wallet = { path: dir, name: "py-validator", hotkey: "default" }
  let miner: TestMiner
  let caller: { hotkey: string; coldkey: string }

  beforeAll(async () => {
    caller = await pythonDendrite(await pythonEnv(envName), wallet, [], { createOnly: true })
    miner = await startTestMiner({
      scorer,
      neurons: [...subnetNeurons(), { hotkey: caller.hotkey, coldkey: caller.coldkey, stake: 5000, validatorPermit: true }]
    })
  }, 120_000)
  afterAll(async () => {
    await miner?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test("RankingRequest (no hash fields, the fuller hash) and RankingResult: is_success, 200, a rank per completion", async () => {
    const request = rankingRequest({ texts: ["short", "a somewhat longer answer", "the longest answer of the three, by a distance"] })
    const fields = { ...request, completions: [...request.completions] }
    const { results } = await pythonDendrite(await pythonEnv(envName), wallet, [
      { synapse: "RankingRequest", fields, target: miner.target },
      { synapse: "RankingRequest", fields: { ...fields, request_id: `${request.request_id}-b` }, target: miner.target, hash_fields: ["epoch_timestamp", "request_id", "prompt", "n_completions", "completions"] },
      { synapse: "RankingResult", fields: { request_id: request.request_id, cid_to_consensus: { "cid-0": 0.2 }, hotkey_to_score: { [miner.target.hotkey]: 0.7 } }, target: miner.target }
    ])
    for (const [i, reply] of results.slice(0, 2).entries()) {
      expect({ i, ok: reply.is_success, status: reply.status_code, message: reply.status_message }).toEqual({ i, ok: true, status: 200, message: "Success" })
      expect(reply.body.ranks).toEqual(request.completions.map((c) => ({ cid: c.cid, score: Math.min(1, c.text.length / 100) })))
      expect(reply.body.scoring_method).toBe("hf_model")
    }
    expect({ ok: results[2]!.is_success, status: results[2]!.status_code }).toEqual({ ok: true, status: 200 })
  })
})
