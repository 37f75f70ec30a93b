import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Layer, Option } from "effect"
import type { RankingResult } from "../../../src/domain/wire/protocol.ts"
import { RankingResultSynapse } from "../../../src/domain/wire/synapses.ts"
import { MinerStore } from "../../../src/services/miner-store.ts"
import { Scorer, ScorerUnavailable } from "../../../src/services/scorer.ts"
import { dendriteFor, minerHotkey, startTestMiner, strangerKey, validatorKey, type TestMiner } from "./miner-fixture.ts"

describe("RankingResult handler (real axon, in-memory chain, SQLite store)", () => {
  let m: TestMiner
  const validator = dendriteFor(validatorKey)
  const stranger = dendriteFor(strangerKey)
  const recent = () => m.run(Effect.flatMap(MinerStore, (s) => s.recentResults(10)))
  const scorer = Layer.succeed(Scorer, {
    method: "hf_model",
    modelConfig: { provider: null, model_name: "m" },
    score: () => Effect.fail(new ScorerUnavailable({ method: "hf_model", message: "not used here" }))
  })

  beforeAll(async () => {
    m = await startTestMiner({ scorer })
  })
  afterAll(async () => {
    await m.stop()
    await validator.dispose()
    await stranger.dispose()
  })

  test("records the consensus and this miner's own score, once per request and validator", async () => {
    const result: RankingResult = {
      request_id: "req-42",
      cid_to_consensus: { a: 0.25, b: 0.75 },
      hotkey_to_score: { [minerHotkey.ss58Address]: 0.6, someoneElse: 0.4 }
    }
    const r = await validator.call((d) => d.call(m.target, RankingResultSynapse, result))
    expect(r.statusCode).toBe(200)
    expect(Option.getOrThrow(r.body)).toEqual(result)
    const again = await validator.call((d) => d.call(m.target, RankingResultSynapse, result))
    expect(again.statusCode).toBe(200)
    const rows = await recent()
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      requestId: "req-42",
      validatorHotkey: validatorKey.ss58Address,
      cidToConsensus: { a: 0.25, b: 0.75 },
      myScore: 0.6
    })
  })

  test("a result that does not score this miner is kept with no score of its own", async () => {
    const result: RankingResult = { request_id: "req-43", cid_to_consensus: { a: 1 }, hotkey_to_score: { other: 1 } }
    expect((await validator.call((d) => d.call(m.target, RankingResultSynapse, result))).statusCode).toBe(200)
    const row = (await recent()).find((x) => x.requestId === "req-43")
    expect(row?.myScore).toBeNull()
  })

  test("from an unknown hotkey: 403 and nothing stored", async () => {
    const before = await recent()
    const result: RankingResult = { request_id: "forged", cid_to_consensus: { a: 1 }, hotkey_to_score: { [minerHotkey.ss58Address]: 1 } }
    const r = await stranger.call((d) => d.call(m.target, RankingResultSynapse, result))
    expect(r.statusCode).toBe(403)
    expect(await recent()).toEqual(before)
  })
})
