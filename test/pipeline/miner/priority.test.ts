import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Layer } from "effect"
import fc from "fast-check"
import { RankingRequestSynapse } from "../../../src/domain/wire/synapses.ts"
import { requestPriority } from "../../../src/domain/request-priority.ts"
import { Scorer } from "../../../src/services/scorer.ts"
import { until } from "../../adapters/axon/axon-fixture.ts"
import { dendriteFor, rankingRequest, startTestMiner, validatorKey, type TestMiner } from "./miner-fixture.ts"

describe("requestPriority (pure)", () => {
  test("an older request (smaller epoch_timestamp) always ranks higher", () => {
    const epoch = fc.double({ min: 0, max: 4e9, noNaN: true })
    fc.assert(
      fc.property(epoch, epoch, (a, b) => {
        const pa = requestPriority(rankingRequest({ epoch: a }))
        const pb = requestPriority(rankingRequest({ epoch: b }))
        expect(Math.sign(pa - pb)).toBe(Math.sign(b - a))
      })
    )
  })
})

describe("priority on the miner's axon (one worker, real HTTP)", () => {
  let m: TestMiner
  const validator = dendriteFor(validatorKey)
  const order: string[] = []
  let release: () => void = () => {}
  const blocked = new Promise<void>((resolve) => (release = resolve))
  const scorer = Layer.succeed(Scorer, {
    method: "hf_model",
    modelConfig: { provider: null, model_name: "m" },
    score: (r) =>
      Effect.gen(function* () {
        order.push(r.request_id)
        if (r.request_id === "blocker") yield* Effect.promise(() => blocked)
        return { ranks: r.completions.map((c) => ({ cid: c.cid, score: 0.5 })), unscored: [], mturkHit: null }
      })
  })

  beforeAll(async () => {
    m = await startTestMiner({ scorer, maxWorkers: 1 })
  })
  afterAll(async () => {
    await m.stop()
    await validator.dispose()
  })

  test("while the worker is busy, waiting requests are served oldest first", async () => {
    const send = (id: string, epoch: number) =>
      validator.call((d) => d.call(m.target, RankingRequestSynapse, rankingRequest({ id, epoch })))
    const blocker = send("blocker", 5000)
    await until(async () => order.length === 1, "the blocker to start")
    const waiting = [send("new", 3000), send("newest", 4000), send("oldest", 1000), send("old", 2000)]
    await until(async () => (await m.run(m.miner.axon.queued)) === 4, "four requests to queue")
    release()
    const replies = await Promise.all([blocker, ...waiting])
    expect(replies.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200])
    expect(order).toEqual(["blocker", "oldest", "old", "new", "newest"])
  })
})
