import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Layer, Option } from "effect"
import fc from "fast-check"
import type { Metagraph, Neuron } from "../../../src/domain/chain/metagraph.ts"
import type { RankingResult } from "../../../src/domain/wire/protocol.ts"
import { RankingRequestSynapse, RankingResultSynapse } from "../../../src/domain/wire/synapses.ts"
import { blacklistReason } from "../../../src/domain/blacklist-reason.ts"
import { MinerStore } from "../../../src/services/miner-store.ts"
import { Scorer } from "../../../src/services/scorer.ts"
import {
  ChainMemoryControl,
  dendriteFor,
  noPermitKey,
  poorKey,
  rankingRequest,
  startTestMiner,
  strangerKey,
  validatorKey,
  type TestMiner
} from "./miner-fixture.ts"
import { testNeuron } from "../../support/fixtures.ts"
import { Netuid } from "../../../src/domain/chain/ids.ts"

const neuron = (uid: number, hotkey: string, stake: number, validatorPermit: boolean): Neuron =>
  testNeuron(uid, { hotkey, coldkey: `cold-${uid}`, stake, validatorPermit })

describe("blacklistReason (pure)", () => {
  test("allowed exactly when registered, holding a permit and staking at least the minimum", () => {
    const arbNeuron = fc.record({ stake: fc.double({ min: 0, max: 1e6, noNaN: true }), permit: fc.boolean() })
    fc.assert(
      fc.property(fc.array(arbNeuron, { maxLength: 8 }), fc.nat({ max: 9 }), fc.double({ min: 0, max: 1e5, noNaN: true }), (ns, pick, minStake) => {
        const metagraph: Metagraph = { netuid: Netuid.make(1), block: 1, neurons: ns.map((n, uid) => neuron(uid, `hk${uid}`, n.stake, n.permit)) }
        const caller = ns[pick]
        const reason = blacklistReason(metagraph, `hk${pick}`, minStake)
        const allowed = caller !== undefined && caller.permit && caller.stake >= minStake
        expect(Option.isNone(reason)).toBe(allowed)
        if (caller === undefined) expect(Option.getOrThrow(reason)).toContain("Unrecognized hotkey")
      })
    )
  })

  test("each refusal says why", () => {
    const metagraph: Metagraph = { netuid: Netuid.make(7), block: 1, neurons: [neuron(0, "v", 5000, true), neuron(1, "m", 5000, false), neuron(2, "p", 1, true)] }
    expect(Option.getOrThrow(blacklistReason(metagraph, "x", 1000))).toBe("Unrecognized hotkey x: not registered on subnet 7")
    expect(Option.getOrThrow(blacklistReason(metagraph, "m", 1000))).toBe("Not a validator: uid 1 has no validator permit")
    expect(Option.getOrThrow(blacklistReason(metagraph, "p", 1000))).toBe("Stake 1 TAO of uid 2 is below the minimum of 1000 TAO")
    expect(Option.getOrThrow(blacklistReason(metagraph, null, 1000))).toBe("Missing dendrite hotkey")
    expect(Option.isNone(blacklistReason(metagraph, "v", 1000))).toBe(true)
  })
})

describe("blacklist on the miner's axon (real HTTP, in-memory chain)", () => {
  let m: TestMiner
  const scored: string[] = []
  const scorer = Layer.succeed(Scorer, {
    method: "hf_model",
    modelConfig: { provider: null, model_name: "m" },
    score: (r) => Effect.sync(() => (scored.push(r.request_id), { ranks: r.completions.map((c) => ({ cid: c.cid, score: 0.5 })), unscored: [], mturkHit: null }))
  })
  const callers = { validator: dendriteFor(validatorKey), poor: dendriteFor(poorKey), noPermit: dendriteFor(noPermitKey), stranger: dendriteFor(strangerKey) }
  const result: RankingResult = { request_id: "r1", cid_to_consensus: { a: 0.5 }, hotkey_to_score: {} }

  beforeAll(async () => {
    // No background refresh during the suite: the last test refreshes by hand.
    m = await startTestMiner({ scorer, settings: { metagraphRefreshSeconds: 3600 } })
  })
  afterAll(async () => {
    await m.stop()
    for (const c of Object.values(callers)) await c.dispose()
  })

  test("unknown hotkey, no permit, too little stake: 403 with the reason, for RankingRequest and RankingResult; nothing runs", async () => {
    const cases = [
      [callers.stranger, "Unrecognized hotkey"],
      [callers.noPermit, "no validator permit"],
      [callers.poor, "below the minimum of 1000 TAO"]
    ] as const
    for (const [caller, why] of cases) {
      const request = rankingRequest()
      const r = await caller.call((d) => d.call(m.target, RankingRequestSynapse, request))
      expect(r.statusCode).toBe(403)
      expect(r.statusMessage).toContain(why)
      expect(scored).not.toContain(request.request_id)
      const res = await caller.call((d) => d.call(m.target, RankingResultSynapse, result))
      expect(res.statusCode).toBe(403)
      expect(res.statusMessage).toContain(why)
    }
    expect(await m.run(Effect.flatMap(MinerStore, (s) => s.recentResults(10)))).toEqual([])
  })

  test("a validator with a permit and enough stake is served", async () => {
    const r = await callers.validator.call((d) => d.call(m.target, RankingRequestSynapse, rankingRequest()))
    expect(r.statusCode).toBe(200)
  })

  test("the decision follows the refreshed metagraph, not a per-request chain read", async () => {
    await m.run(Effect.flatMap(ChainMemoryControl, (c) => c.setStake(poorKey.ss58Address, 2000)))
    const before = await callers.poor.call((d) => d.call(m.target, RankingRequestSynapse, rankingRequest()))
    expect(before.statusCode).toBe(403)
    await m.run(m.miner.view.refresh)
    const after = await callers.poor.call((d) => d.call(m.target, RankingRequestSynapse, rankingRequest()))
    expect(after.statusCode).toBe(200)
  })
})
