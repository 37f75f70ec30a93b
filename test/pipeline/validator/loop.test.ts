/**
 * The validator's whole loop, step by step, on the in-memory chain with real axons on loopback: query
 * step → persisted request with every valid answer → deadline → scoring (consensus, accuracy, EMA),
 * exactly once → RankingResult at every participant → weights on chain, ordered by miner quality.
 * Expected rewards come from a model written here from the rules (ρ = ±1 per miner behaviour, Laplace
 * accuracy from earlier evaluations only, softmax, EMA α), not from the code under test.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { Duration, Effect, Layer, ManagedRuntime, Option, Random, TestClock } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ChainMemoryControl } from "../../../src/adapters/chain/memory.ts"
import { rewardRule } from "../../../src/domain/scoring/reward-rule.ts"
import { keypairFromUri } from "../../../src/adapters/wallet/sr25519.ts"
import type { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { softmax } from "../../../src/domain/scoring/softmax.ts"
import { RankingRequestSynapse } from "../../../src/domain/wire/synapses.ts"
import { syntheticQuality } from "../../../src/domain/data/synthetic-preferences.ts"
import { deliverResults, retryDelaySeconds } from "../../../src/pipeline/validator/deliver-results.ts"
import { queryStep, type QueryStepResult } from "../../../src/pipeline/validator/query-step.ts"
import { scoreDueRequests } from "../../../src/pipeline/validator/score-due-requests.ts"
import { setWeights } from "../../../src/pipeline/validator/set-weights.ts"
import type { ValidatorSettingsShape } from "../../../src/pipeline/validator/settings.ts"
import { Chain } from "../../../src/services/chain.ts"
import { axonRoute } from "../../../src/services/axon.ts"
import { RequestLedger, type StoredRequest } from "../../../src/services/request-ledger.ts"
import { ScoreLedger } from "../../../src/services/score-ledger.ts"
import {
  agreesWithHumans,
  closedPort,
  minerRanks,
  modelNameOf,
  startQuietAxon,
  startTestMinerNode,
  type MinerBehaviour,
  type TestMinerNode
} from "../../support/validator-miners.ts"
import {
  idleKey,
  minerKeys,
  NETUID,
  otherValidatorKey,
  testValidatorSettings,
  validatorKey,
  worldChain,
  worldLayers,
  writeSyntheticJsonl
} from "../../support/validator-world.ts"
import { Uid } from "../../../src/domain/chain/ids.ts"
import { testClockFromNow } from "../../support/test-clock.ts"

setDefaultTimeout(30_000)

const dir = mkdtempSync(join(tmpdir(), "dojo-validator-loop-"))
const pairs = writeSyntheticJsonl(dir, "pairs.jsonl", 40, 11)
const behaviours: ReadonlyArray<MinerBehaviour> = ["good", "half", "bad"]
const miners = new Map<MinerBehaviour, TestMinerNode>()
let otherValidator: TestMinerNode
const downPort = closedPort("127.0.0.5")

/** uid 0 validator, 1 good, 2 half, 3 bad, 4 down, 5 another validator, 6 registered but not serving. */
const chainState = () =>
  worldChain([
    ...behaviours.map((b) => ({ hotkey: minerKeys[b].ss58Address, axon: { ip: miners.get(b)!.axon.bound.ip, port: miners.get(b)!.axon.bound.port } })),
    { hotkey: minerKeys.down.ss58Address, axon: { ip: "127.0.0.5", port: downPort } },
    {
      hotkey: otherValidatorKey.ss58Address,
      stake: 5000,
      validatorPermit: true,
      axon: { ip: otherValidator.axon.bound.ip, port: otherValidator.axon.bound.port }
    },
    { hotkey: idleKey.ss58Address }
  ])
const uidOf: Record<string, number> = {
  [validatorKey.ss58Address]: 0,
  [minerKeys.good.ss58Address]: 1,
  [minerKeys.half.ss58Address]: 2,
  [minerKeys.bad.ss58Address]: 3,
  [minerKeys.down.ss58Address]: 4,
  [otherValidatorKey.ss58Address]: 5,
  [idleKey.ss58Address]: 6
}
const behaviourOf = (hotkey: string): MinerBehaviour => behaviours.find((b) => minerKeys[b].ss58Address === hotkey)!

beforeAll(async () => {
  for (const [i, b] of behaviours.entries()) miners.set(b, await startTestMinerNode({ key: minerKeys[b], behaviour: b, ip: `127.0.0.${i + 2}` }))
  otherValidator = await startTestMinerNode({ key: otherValidatorKey, behaviour: "good", ip: "127.0.0.6" })
})

afterAll(async () => {
  for (const m of miners.values()) await m.stop()
  await otherValidator.stop()
  rmSync(dir, { recursive: true, force: true })
})

// The validator runs on a TestClock: deadlines and delivery retries come when the test moves the clock,
// never while a call is in flight (the dendrite's timeouts are on the same clock), so no real sleeps.
const startWorld = (settings: Partial<ValidatorSettingsShape>) =>
  // The expected figures below are the original rule's (softmax, plain mean, Laplace); the new rule is the simulation's.
  ManagedRuntime.make(
    worldLayers({ chain: chainState(), settings: testValidatorSettings({ rewardRule: rewardRule("original"), ...settings }), seedPath: pairs }).pipe(
      Layer.provide(testClockFromNow())
    )
  )
type World = ReturnType<typeof startWorld>

const advance = (world: World, seconds: number) => world.runPromise(TestClock.adjust(Duration.seconds(seconds)))

/** Virtual seconds between query steps: enough to order requests by creation (scoring goes in that order). */
const STEP_GAP = 0.1

const steps = async (world: World, prefix: string, n: number): Promise<QueryStepResult[]> => {
  const out: QueryStepResult[] = []
  // One pinned seed per step: the same requests every run.
  for (let i = 0; i < n; i++) {
    out.push(await world.runPromise(queryStep().pipe(Effect.withRandom(Random.make(`${prefix}-${i}`)))))
    await advance(world, STEP_GAP)
  }
  return out
}

const stored = (world: World, id: string) =>
  world.runPromise(Effect.flatMap(RequestLedger, (s) => s.getRequest(id))).then((o) => Option.getOrThrow(o))

/**
 * Delivers until the outbox is empty. A first attempt can be refused (401, "Nonce is too old") when two
 * results for one miner arrive out of signing order — see deliver-results.test.ts; the retry then comes
 * at its scheduled time, reached by moving the clock. Returns how many were delivered.
 */
const deliverAll = async (world: World) => {
  let delivered = await world.runPromise(deliverResults())
  for (let attempt = 1; attempt < 3; attempt++) {
    const pending = await world.runPromise(Effect.flatMap(RequestLedger, (s) => s.pendingDeliveries(Number.MAX_SAFE_INTEGER, 1000)))
    if (pending.length === 0) break
    await advance(world, retryDelaySeconds(attempt) + 0.1)
    delivered += await world.runPromise(deliverResults())
  }
  return delivered
}

const ALPHA = 0.3

/**
 * The rules, written out: a participant's reward is (ρ+1)/2 × (correct+1)/(answered+2) over evaluations
 * scored before this request, ρ = +1 when it ranks the human way and −1 otherwise (two completions);
 * scores are the softmax of rewards; each request is one EMA step over every uid (absent = reward 0).
 */
const expectedModel = (requests: ReadonlyArray<StoredRequest>) => {
  const counts = new Map<string, { correct: number; answered: number }>()
  const ema = new Map<number, number>(Object.values(uidOf).map((u) => [u, 0]))
  const perRequest = new Map<string, Record<string, number>>()
  for (const r of requests) {
    const id = r.request.request_id
    const humanWay = (b: MinerBehaviour) => b === "good" || (b === "half" && agreesWithHumans(id))
    const hotkeys = r.responses.map((x) => x.hotkey).sort()
    const rewards = hotkeys.map((h) => {
      const c = counts.get(h) ?? { correct: 0, answered: 0 }
      const rho = humanWay(behaviourOf(h)) ? 1 : -1
      return ((rho + 1) / 2) * ((c.correct + 1) / (c.answered + 2))
    })
    const scores = softmax(rewards)
    perRequest.set(id, Object.fromEntries(hotkeys.map((h, i) => [h, scores[i]!])))
    for (const [hotkey, uid] of Object.entries(uidOf)) {
      const i = hotkeys.indexOf(hotkey)
      ema.set(uid, ALPHA * (i < 0 ? 0 : scores[i]!) + (1 - ALPHA) * ema.get(uid)!)
    }
    if (r.kind === "evaluation") {
      for (const h of hotkeys) {
        const c = counts.get(h) ?? { correct: 0, answered: 0 }
        counts.set(h, { correct: c.correct + (humanWay(behaviourOf(h)) ? 1 : 0), answered: c.answered + 1 })
      }
    }
  }
  return { perRequest, ema, counts }
}

describe("validator loop on the in-memory chain (real axons, real dendrite, SQLite store)", () => {
  test("every request evaluated (evaluation.rate 1): query → persist → deadline → score once → deliver → weights", async () => {
    const world = startWorld({ evaluationRate: 1, deadlineSeconds: 1.5 })
    try {
      const results = await steps(world, "loop", 8)

      // Each step asked the four serving miners (not itself, not the other validator, not the idle uid);
      // the one that is down is simply absent.
      for (const r of results) {
        expect(r.kind).toBe("evaluation")
        expect(r.requestId).not.toBeNull()
        expect(r.queried).toBe(4)
        expect(r.kept).toBe(3)
        expect(Object.fromEntries(r.statuses)).toEqual({ 200: 3, 503: 1 })
      }
      const ids = results.map((r) => r.requestId!)
      expect(new Set(ids).size).toBe(8)
      expect(otherValidator.requests).toEqual([])

      // Persisted with all valid answers, exactly as the miners gave them.
      const requests: StoredRequest[] = []
      for (const id of ids) {
        const s = await stored(world, id)
        requests.push(s)
        expect(s.status).toBe("pending")
        expect(s.kind).toBe("evaluation")
        expect(s.deadlineAt - s.createdAt).toBeCloseTo(1.5, 9)
        const pair = s.evaluation!
        const text = (cid: string) => s.request.completions.find((c) => c.cid === cid)!.text
        expect(syntheticQuality(text(pair.chosenCid))).toBeGreaterThan(syntheticQuality(text(pair.rejectedCid)))
        expect(s.responses.map((x) => x.hotkey).sort()).toEqual(behaviours.map((b) => minerKeys[b].ss58Address).sort())
        for (const response of s.responses) {
          const b = behaviourOf(response.hotkey)
          const seen = miners.get(b)!.requests.filter((q) => q.request_id === id)
          expect(seen).toEqual([s.request])
          expect(response.uid).toBe(uidOf[response.hotkey]!)
          expect(response.ranks).toEqual([...minerRanks(b, s.request)])
          expect(response.scoringMethod).toBe("hf_model")
          expect(response.modelConfig?.model_name).toBe(modelNameOf(b))
          expect(response.source).toBe("axon")
          expect(response.humanVerified).toBe(false)
        }
      }

      // Requests were made STEP_GAP apart: just before the first deadline nothing is scored, just after it
      // only the first, and the rest once the last deadline has passed.
      await advance(world, 1.5 - 8 * STEP_GAP - 0.001)
      expect(await world.runPromise(scoreDueRequests())).toBe(0)
      await advance(world, 0.002)
      expect(await world.runPromise(scoreDueRequests())).toBe(1)
      expect((await stored(world, ids[0]!)).status).toBe("scored")
      expect((await stored(world, ids[1]!)).status).toBe("pending")
      await advance(world, 7 * STEP_GAP)
      expect(await world.runPromise(scoreDueRequests())).toBe(7)
      // Exactly once: a further pass finds nothing to score.
      expect(await world.runPromise(scoreDueRequests())).toBe(0)

      const model = expectedModel(requests)
      const scoredRequests = await Promise.all(ids.map((id) => stored(world, id)))
      for (const s of scoredRequests) {
        expect(s.status).toBe("scored")
        const result = s.result!
        // Consensus: the plain mean of the three miners' scores per completion.
        for (const c of s.request.completions) {
          const mean = s.responses.reduce((acc, x) => acc + x.ranks.find((r) => r.cid === c.cid)!.score, 0) / 3
          expect(result.cid_to_consensus[c.cid]!).toBeCloseTo(mean, 12)
        }
        const expected = model.perRequest.get(s.request.request_id)!
        expect(Object.keys(result.hotkey_to_score).sort()).toEqual(Object.keys(expected).sort())
        for (const [hotkey, score] of Object.entries(expected)) expect(result.hotkey_to_score[hotkey]!).toBeCloseTo(score, 12)
      }

      // Accuracy counts follow the miners' known behaviour.
      const counts = await world.runPromise(Effect.flatMap(RequestLedger, (s) => s.accuracyCounts(0)))
      const agreeing = ids.filter(agreesWithHumans).length
      expect(counts.get(minerKeys.good.ss58Address)).toEqual({ correct: 8, answered: 8 })
      expect(counts.get(minerKeys.half.ss58Address)).toEqual({ correct: agreeing, answered: 8 })
      expect(counts.get(minerKeys.bad.ss58Address)).toEqual({ correct: 0, answered: 8 })
      expect(counts.has(minerKeys.down.ss58Address)).toBe(false)

      // RankingResult reaches every participant once, with the stored consensus.
      expect(await deliverAll(world)).toBe(24)
      expect(await world.runPromise(deliverResults())).toBe(0)
      for (const s of scoredRequests) {
        const { scoredAt: _, ...result } = s.result!
        for (const b of behaviours) expect(miners.get(b)!.results.filter((r) => r.request_id === s.request.request_id)).toEqual([result])
      }
      expect(otherValidator.results).toEqual([])

      // EMA per uid, as the model says; ordered by miner quality.
      const scores = await world.runPromise(Effect.flatMap(ScoreLedger, (s) => s.loadScores))
      expect(scores.map((s) => s.uid)).toEqual([0, 1, 2, 3, 4, 5, 6])
      for (const s of scores) expect(s.score).toBeCloseTo(model.ema.get(s.uid)!, 12)
      const score = (uid: number) => scores.find((s) => s.uid === uid)!.score
      expect(score(1)).toBeGreaterThan(score(2))
      expect(score(2)).toBeGreaterThan(score(3))
      for (const uid of [0, 4, 5, 6]) expect(score(uid)).toBe(0)

      // Weights: refused by the rate limit at first, then set once enough blocks passed.
      const first = await world.runPromise(setWeights())
      expect(first._tag).toBe("Skipped")
      if (first._tag === "Skipped") expect(first.reason).toContain("rate limit")
      await world.runPromise(Effect.flatMap(ChainMemoryControl, (c) => c.advance(100)))
      const set = await world.runPromise(setWeights())
      expect(set._tag).toBe("Set")
      const onChain = new Map(await world.runPromise(Effect.flatMap(Chain, (c) => c.weightsOf(NETUID, Uid.make(0)))))
      const w = (uid: number) => onChain.get(Uid.make(uid)) ?? 0
      expect(w(1)).toBe(65535)
      expect(w(1)).toBeGreaterThan(w(2))
      expect(w(2)).toBeGreaterThan(w(3))
      for (const uid of [0, 4, 5, 6]) expect(w(uid)).toBe(0)
      const last = Option.getOrThrow(await world.runPromise(Effect.flatMap(ScoreLedger, (s) => s.lastWeights)))
      if (set._tag === "Set") {
        expect(last.block).toBe(set.block)
        expect(last.uids).toEqual(set.uids)
        expect(new Map(set.uids.map((u, i) => [u, set.weights[i]!]))).toEqual(onChain)
      }
    } finally {
      await world.dispose()
    }
  })

  test("evaluation.rate 0.5: hidden pairs look like any request; only they count for accuracy", async () => {
    const world = startWorld({ evaluationRate: 0.5, deadlineSeconds: 0 })
    try {
      const results = await steps(world, "mix", 12)
      const ids = results.map((r) => r.requestId!)
      const kinds = results.map((r) => r.kind)
      const evaluated = ids.filter((_, i) => kinds[i] === "evaluation")
      expect(evaluated.length).toBeGreaterThan(0)
      expect(evaluated.length).toBeLessThan(12)

      // What miners receive: the same shape either way.
      const received = miners.get("good")!.requests.filter((q) => ids.includes(q.request_id))
      expect(received.map((q) => q.request_id)).toEqual(ids)
      const shape = (q: (typeof received)[number]) =>
        JSON.stringify({ keys: Object.keys(q).sort(), n: q.n_completions, ranks: q.ranks, m: q.scoring_method, h: q.mturk_hit_id, c: q.model_config })
      expect(new Set(received.map(shape)).size).toBe(1)
      for (const [i, id] of ids.entries()) {
        const s = await stored(world, id)
        expect(s.kind).toBe(kinds[i]!)
        expect(s.evaluation === undefined).toBe(kinds[i] === "seed")
      }

      expect(await world.runPromise(scoreDueRequests())).toBe(12)
      expect(await world.runPromise(scoreDueRequests())).toBe(0)
      const counts = await world.runPromise(Effect.flatMap(RequestLedger, (s) => s.accuracyCounts(0)))
      const agreeing = evaluated.filter(agreesWithHumans).length
      expect(counts.get(minerKeys.good.ss58Address)).toEqual({ correct: evaluated.length, answered: evaluated.length })
      expect(counts.get(minerKeys.half.ss58Address)).toEqual({ correct: agreeing, answered: evaluated.length })
      expect(counts.get(minerKeys.bad.ss58Address)).toEqual({ correct: 0, answered: evaluated.length })

      const requests = await Promise.all(ids.map((id) => stored(world, id)))
      const model = expectedModel(requests)
      for (const s of requests)
        for (const [hotkey, score] of Object.entries(model.perRequest.get(s.request.request_id)!))
          expect(s.result!.hotkey_to_score[hotkey]!).toBeCloseTo(score, 12)
      const scores = await world.runPromise(Effect.flatMap(ScoreLedger, (s) => s.loadScores))
      for (const s of scores) expect(s.score).toBeCloseTo(model.ema.get(s.uid)!, 12)

      expect(await deliverAll(world)).toBe(36)
    } finally {
      await world.dispose()
    }
  })

  test("a miner that stops answering is left out of later requests' responses and results, nothing else changes", async () => {
    const world = startWorld({ evaluationRate: 1, deadlineSeconds: 0 })
    const bad = miners.get("bad")!
    try {
      const [before] = await steps(world, "stop", 1)
      expect(before!.kept).toBe(3)
      expect(await world.runPromise(scoreDueRequests())).toBe(1)
      await bad.stop()
      // Delivery to the stopped miner fails and waits for a retry; the others get theirs.
      expect(await world.runPromise(deliverResults())).toBe(2)
      const pending = await world.runPromise(Effect.flatMap(RequestLedger, (st) => st.pendingDeliveries(Date.now() / 1000 + 3600, 10)))
      expect(pending.map((p) => [p.requestId, p.hotkey, p.attempts])).toEqual([[before!.requestId!, minerKeys.bad.ss58Address, 1]])

      const [after] = await steps(world, "stop-after", 1)
      expect(after!.kept).toBe(2)
      expect(Object.fromEntries(after!.statuses)).toEqual({ 200: 2, 503: 2 })
      expect(await world.runPromise(scoreDueRequests())).toBe(1)
      const s = await stored(world, after!.requestId!)
      expect(Object.keys(s.result!.hotkey_to_score).sort()).toEqual([minerKeys.good.ss58Address, minerKeys.half.ss58Address].sort())
      expect(await world.runPromise(deliverResults())).toBe(2)
    } finally {
      await world.dispose()
    }
  })

  test("only valid answers are kept; an MTurk HIT answer is stored but takes part only once verified", async () => {
    // Miners answering wrongly in each way the validator checks, and one answering with an MTurk HIT.
    const faults: ReadonlyArray<readonly [string, (q: RankingRequest) => RankingRequest]> = [
      ["score out of range", (q) => ({ ...q, scoring_method: "hf_model", ranks: q.completions.map((c) => ({ cid: c.cid, score: 1.5 })) })],
      ["no method", (q) => ({ ...q, ranks: q.completions.map((c) => ({ cid: c.cid, score: 0.5 })) })],
      ["no ranks", (q) => ({ ...q, scoring_method: "llm_api", ranks: [] })],
      ["no hit id", (q) => ({ ...q, scoring_method: "aws_mturk" })],
      ["mturk", (q) => ({ ...q, scoring_method: "aws_mturk", mturk_hit_id: `HIT-${q.request_id}` })]
    ]
    const keys = faults.map((_, i) => keypairFromUri(`//Faulty${i}`))
    const axons = await Promise.all(
      faults.map(([, answer], i) =>
        startQuietAxon({ hotkey: keys[i]!.ss58Address, ip: `127.0.0.${10 + i}` }, [
          axonRoute(RankingRequestSynapse, { forward: (_, q) => Effect.succeed(answer(q)) })
        ])
      )
    )
    const chain = worldChain([
      { hotkey: minerKeys.good.ss58Address, axon: { ip: miners.get("good")!.axon.bound.ip, port: miners.get("good")!.axon.bound.port } },
      ...axons.map((a, i) => ({ hotkey: keys[i]!.ss58Address, axon: { ip: a.axon.bound.ip, port: a.axon.bound.port } }))
    ])
    const world = ManagedRuntime.make(
      worldLayers({ chain, settings: testValidatorSettings({ evaluationRate: 0, deadlineSeconds: 0, rewardRule: rewardRule("original") }), seedPath: pairs }).pipe(
        Layer.provide(testClockFromNow())
      )
    )
    try {
      const [step] = await steps(world, "faulty", 1)
      expect([step!.queried, step!.kept]).toEqual([6, 2])
      expect(Object.fromEntries(step!.statuses)).toEqual({ 200: 6 })
      const s = await stored(world, step!.requestId!)
      const hit = s.responses.find((r) => r.hotkey === keys[4]!.ss58Address)!
      expect(s.responses.map((r) => r.hotkey).sort()).toEqual([minerKeys.good.ss58Address, keys[4]!.ss58Address].sort())
      expect([hit.scoringMethod, hit.mturkHitId, hit.ranks, hit.humanVerified]).toEqual(["aws_mturk", `HIT-${s.request.request_id}`, [], false])
      // Scored before any human feedback: the HIT answer has no ranks, so it is no participant.
      expect(await world.runPromise(scoreDueRequests())).toBe(1)
      const scored = await stored(world, step!.requestId!)
      expect(Object.keys(scored.result!.hotkey_to_score)).toEqual([minerKeys.good.ss58Address])
      expect(scored.result!.hotkey_to_score[minerKeys.good.ss58Address]).toBe(1)
      expect(await world.runPromise(deliverResults())).toBe(1)
    } finally {
      await world.dispose()
      for (const a of axons) await a.stop()
    }
  })
})
