/**
 * The validator's MTurkResponse handling, over its real axon and a miner's real signed dendrite, with
 * the MTurk stub standing in for Amazon: a verified response is merged with means recomputed from the
 * assignments MTurk lists (the miner's own numbers are ignored) and then counts ×1.2 in consensus;
 * forged credentials, a HIT MTurk does not know for those credentials, a mismatched HIT, a sender that
 * did not answer (or is not registered), an already scored request and malformed input are refused
 * with the refusal's status on the wire and change nothing in the store. The merge path runs once more
 * against PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { Effect, Either, Exit, ManagedRuntime, Option, Redacted, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as DendriteLive from "../../../src/adapters/dendrite/dendrite.ts"
import { rewardRule } from "../../../src/domain/scoring/reward-rule.ts"
import * as MTurkClient from "../../../src/adapters/mturk/client.ts"
import type { StoreConfig } from "../../../src/adapters/store/sql-client.ts"
import type { Keypair } from "../../../src/domain/wallet/keypair.ts"
import { buildHtmlQuestion } from "../../../src/domain/mturk/formats.ts"
import type { MTurkResponse, RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { softmax } from "../../../src/domain/scoring/softmax.ts"
import { spearman } from "../../../src/domain/scoring/spearman.ts"
import { MTurkResponseSynapse } from "../../../src/domain/wire/synapses.ts"
import { handleMTurkResponse } from "../../../src/pipeline/validator/mturk-response.ts"
import { Refusal } from "../../../src/domain/refusal.ts"
import { mturkResponseRoute } from "../../../src/pipeline/validator/mturk-route.ts"
import { scoreDueRequests } from "../../../src/pipeline/validator/score-due-requests.ts"
import { Axon, type ServingAxon } from "../../../src/services/axon.ts"
import { Dendrite } from "../../../src/services/dendrite.ts"
import { defaultHitTerms } from "../../../src/services/mturk.ts"
import { type StoredResponse } from "../../../src/services/request-ledger.ts"
import { allStores, type AllStores } from "../../support/validator-stores.ts"
import { testRankingRequest } from "../../support/fixtures.ts"
import { startPostgres, type TestPostgres } from "../../support/postgres.ts"
import { startMTurkStub } from "../../support/stubs/mturk.ts"
import { idleKey, minerKeys, testValidatorSettings, validatorKey, worldChain, worldLayers, writeSyntheticJsonl } from "../../support/validator-world.ts"

setDefaultTimeout(30_000)

const MINER_AWS_KEY = "ASIAMINERSESSION"
const mturk = startMTurkStub({ accessKeyIds: [MINER_AWS_KEY] })
const dir = mkdtempSync(join(tmpdir(), "dojo-validator-mturk-"))
const pairs = writeSyntheticJsonl(dir, "pairs.jsonl", 4, 3)
const strangerKey = minerKeys.down // never registered in this subnet

const cids = ["c1", "c2", "c3"]
const rankingRequest = (id: string): RankingRequest =>
  testRankingRequest({
    request_id: id,
    prompt: `Which answer explains the tides best? (${id})`,
    completions: cids.map((cid) => ({ cid, text: `answer ${cid} to ${id}` }))
  })

/** The miner's HITs on the stub (created with its own long-lived key, as its scorer does). */
const createHit = (request: RankingRequest) =>
  Effect.runPromise(
    MTurkClient.make({
      environment: "sandbox",
      endpoint: mturk.endpoint,
      credentials: { accessKeyId: MINER_AWS_KEY, secretAccessKey: Redacted.make("miner-secret") },
      maxAttempts: 1
    })
      .createHit({ ...defaultHitTerms, question: buildHtmlQuestion({ prompt: request.prompt, completions: request.completions }) })
      .pipe(Effect.map((h) => h.hitId))
  )

const credentials = (accessKeyId = MINER_AWS_KEY) => ({
  access_key_id: accessKeyId,
  secret_access_key: Redacted.make("session-secret"),
  session_token: Redacted.make("session-token"),
  access_expiration: new Date(Date.now() + 900_000).toISOString(),
  environment: "sandbox" as const
})

const modelResponse = (key: Keypair, uid: number, scores: ReadonlyArray<number>): StoredResponse => ({
  hotkey: key.ss58Address,
  uid,
  scoringMethod: "hf_model",
  modelConfig: { provider: null, model_name: "reward-model" },
  ranks: cids.map((cid, i) => ({ cid, score: scores[i]! })),
  mturkHitId: null,
  humanVerified: false,
  source: "axon",
  receivedAt: 1_718_000_001
})
const hitResponse = (hitId: string): StoredResponse => ({
  hotkey: minerKeys.mturk.ss58Address,
  uid: 3,
  scoringMethod: "aws_mturk",
  modelConfig: null,
  ranks: [],
  mturkHitId: hitId,
  humanVerified: false,
  source: "axon",
  receivedAt: 1_718_000_001
})

/** Workers' sliders: they put c3 first, then c1, then c2 — not the consensus order, so ρ < 1 and the ×1.2 shows. */
const sliders = [
  { c1: 6, c2: 1, c3: 9 },
  { c1: 5, c2: 2, c3: 10 },
  { c1: 7, c2: 1, c3: 8 }
]
const expectedMeans = { c1: (6 - 1) / 9, c2: (4 / 3 - 1) / 9, c3: (9 - 1) / 9 }
const goodScores = [0.9, 0.1, 0.5]
const badScores = [0.5, 0.9, 0.1]

/** A validator (store, chain, its axon serving MTurkResponse) and the mturk miner's dendrite. */
const startValidator = async (storeConfig?: StoreConfig) => {
  const runtime = ManagedRuntime.make(
    worldLayers({
      // uid 1 good, 2 bad, 3 the MTurk miner, 4 registered but answering nothing.
      chain: worldChain([
        { hotkey: minerKeys.good.ss58Address },
        { hotkey: minerKeys.bad.ss58Address },
        { hotkey: minerKeys.mturk.ss58Address },
        { hotkey: idleKey.ss58Address }
      ]),
      // The expected figures are the original rule's (softmax at temperature 1, Laplace multiplier).
      settings: testValidatorSettings({ evaluationRate: 0, rewardRule: rewardRule("original") }),
      seedPath: pairs,
      mturkEndpoint: mturk.endpoint,
      ...(storeConfig === undefined ? {} : { store: storeConfig })
    })
  )
  const scope = Effect.runSync(Scope.make())
  const axon: ServingAxon = await runtime.runPromise(
    Effect.gen(function* () {
      return yield* (yield* Axon).serve([yield* mturkResponseRoute])
    }).pipe(Scope.extend(scope))
  )
  const dendrites = new Map<string, ManagedRuntime.ManagedRuntime<Dendrite, never>>()
  /** Sends `body` to the validator's axon, signed by `key`; returns the HTTP status. */
  const send = async (key: Keypair, body: MTurkResponse) => {
    let d = dendrites.get(key.ss58Address)
    if (d === undefined) dendrites.set(key.ss58Address, (d = ManagedRuntime.make(DendriteLive.layer({ hotkey: key }))))
    const target = { ip: axon.bound.ip, port: axon.bound.port, hotkey: validatorKey.ss58Address }
    return (await d.runPromise(Effect.flatMap(Dendrite, (x) => x.call(target, MTurkResponseSynapse, body)))).statusCode
  }
  /** The handler itself, for the exact refusal. */
  const handle = (sender: Keypair, body: MTurkResponse) => runtime.runPromise(handleMTurkResponse(sender.ss58Address, body).pipe(Effect.either))
  const store = <A, E>(f: (s: AllStores) => Effect.Effect<A, E>) => runtime.runPromise(Effect.flatMap(allStores, f))
  /** Everything a refused response could have touched. */
  const snapshot = async () =>
    store((s) =>
      Effect.gen(function* () {
        const stats = yield* s.stats
        return {
          requests: yield* s.recentRequests(100),
          all: yield* Effect.forEach(yield* s.recentRequests(100), (r) => s.getRequest(r.requestId)),
          scores: yield* s.loadScores,
          accuracy: [...(yield* s.accuracyCounts(0))],
          deliveries: yield* s.pendingDeliveries(1e12, 100),
          counts: { ...stats, storeBytes: 0 }
        }
      })
    )
  return {
    runtime,
    send,
    handle,
    store,
    snapshot,
    stop: async () => {
      for (const d of dendrites.values()) await d.dispose()
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await runtime.dispose()
    }
  }
}
type Validator = Awaited<ReturnType<typeof startValidator>>

/** Stores a request answered by the good and bad model miners and by the MTurk miner with `hitId`. */
const storeRequest = async (v: Validator, id: string, hitId: string) => {
  const now = Date.now() / 1000
  await v.store((s) =>
    s.saveRequest({
      request: rankingRequest(id),
      kind: "seed",
      // Already past its deadline: scoring waits only for the test to run it.
      createdAt: now - 10,
      deadlineAt: now - 5,
      responses: [modelResponse(minerKeys.good, 1, goodScores), modelResponse(minerKeys.bad, 2, badScores), hitResponse(hitId)]
    })
  )
}

const mturkResponse = (requestId: string | null, hitId: string, overrides: Partial<MTurkResponse> = {}): MTurkResponse => ({
  mturk_hit_id: hitId,
  aws_credentials: credentials(),
  // What the miner claims; the validator must not take it (MTurk says otherwise).
  completion_id_to_score: { c1: 1, c2: 1, c3: 0 },
  request_id: requestId,
  ...overrides
})

/** The refusal in a handler outcome (anything else, a StoreError included, fails the test). */
const refusal = (outcome: Either.Either<unknown, unknown>) => {
  const left = Either.isLeft(outcome) ? outcome.left : undefined
  expect(left).toBeInstanceOf(Refusal)
  return left instanceof Refusal ? { status: left.status, reason: left.message } : { status: 0, reason: "" }
}

const listCalls = () => mturk.requests.filter((r) => r.operation === "ListAssignmentsForHIT").length

afterAll(async () => {
  await mturk.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe("MTurkResponse at the validator (SQLite store, MTurk stub)", () => {
  let v: Validator
  let hitA: string
  let hitGarbage: string
  const foreignHit = "3FOREIGNACCOUNTHIT0000000000000"

  beforeAll(async () => {
    v = await startValidator()
    hitA = await createHit(rankingRequest("req-a"))
    for (const s of sliders) mturk.submitAssignment(hitA, { scores: s })
    hitGarbage = await createHit(rankingRequest("req-garbage"))
    mturk.submitAssignment(hitGarbage, { answerXml: "<not-xml" })
    mturk.submitAssignment(hitGarbage, { scores: { c1: 11, c2: 0, c3: "x" } })
    await storeRequest(v, "req-a", hitA)
    await storeRequest(v, "req-foreign", foreignHit)
    await storeRequest(v, "req-garbage", hitGarbage)
  })
  afterAll(async () => v.stop())

  test("refused responses change nothing: forged, foreign HIT, mismatched HIT, non-participant, stranger, malformed, unknown", async () => {
    const before = await v.snapshot()
    const cases: ReadonlyArray<{ name: string; sender: Keypair; body: MTurkResponse; status: number; calls: number }> = [
      { name: "credentials MTurk does not recognise", sender: minerKeys.mturk, body: mturkResponse("req-a", hitA, { aws_credentials: credentials("AKIDFORGED") }), status: 502, calls: 1 },
      { name: "a HIT of another account (unknown to MTurk for these credentials)", sender: minerKeys.mturk, body: mturkResponse("req-foreign", foreignHit), status: 502, calls: 1 },
      { name: "a HIT other than the one it answered with", sender: minerKeys.mturk, body: mturkResponse("req-a", hitGarbage), status: 403, calls: 0 },
      { name: "a registered neuron that did not answer", sender: idleKey, body: mturkResponse("req-a", hitA), status: 403, calls: 0 },
      { name: "a participant sending another's HIT", sender: minerKeys.good, body: mturkResponse("req-a", hitA), status: 403, calls: 0 },
      // A Python miner sends no request id: the request is found by (sender, HIT), and a HIT the sender never answered with is unknown.
      { name: "no request id and a HIT the sender never answered with", sender: minerKeys.mturk, body: mturkResponse(null, "3NEVERANSWEREDHIT0000000000000"), status: 404, calls: 0 },
      { name: "no credentials", sender: minerKeys.mturk, body: mturkResponse("req-a", hitA, { aws_credentials: null }), status: 400, calls: 0 },
      { name: "an unknown request", sender: minerKeys.mturk, body: mturkResponse("req-nope", hitA), status: 404, calls: 0 },
      { name: "only malformed assignments", sender: minerKeys.mturk, body: mturkResponse("req-garbage", hitGarbage), status: 400, calls: 1 }
    ]
    for (const c of cases) {
      // Over the wire the miner gets the refusal's status; the handler's own verdict says why.
      const callsBefore = listCalls()
      const wire = await v.send(c.sender, c.body)
      const outcome = refusal(await v.handle(c.sender, c.body))
      expect({ name: c.name, wire, status: outcome.status }).toEqual({ name: c.name, wire: c.status, status: c.status })
      // Only the cases that get as far as MTurk ask it (once on the wire, once directly).
      expect({ name: c.name, calls: listCalls() - callsBefore }).toEqual({ name: c.name, calls: 2 * c.calls })
    }
    // A neuron that is not registered is refused before its signature is even checked.
    expect(await v.send(strangerKey, mturkResponse("req-a", hitA))).toBe(403)
    expect(await v.snapshot()).toEqual(before)
  })

  test("a verified response is merged with the means recomputed from MTurk's assignments, idempotently", async () => {
    const callsBefore = listCalls()
    expect(await v.send(minerKeys.mturk, mturkResponse("req-a", hitA))).toBe(200)
    // MTurk was asked with the miner's short-lived credentials.
    const asked = mturk.requests.filter((r) => r.operation === "ListAssignmentsForHIT").slice(callsBefore)
    expect(asked.map((r) => [r.accessKeyId, r.securityToken, r.body.HITId])).toEqual([[MINER_AWS_KEY, "session-token", hitA]])

    const stored = Option.getOrThrow(await v.store((s) => s.getRequest("req-a")))
    const merged = stored.responses.find((r) => r.hotkey === minerKeys.mturk.ss58Address)!
    expect(merged.scoringMethod).toBe("aws_mturk")
    expect(merged.humanVerified).toBe(true)
    expect(merged.source).toBe("mturk")
    expect(merged.mturkHitId).toBe(hitA)
    expect(merged.verifiedAt).toBeGreaterThan(0)
    expect(merged.ranks.map((r) => r.cid)).toEqual(cids)
    for (const r of merged.ranks) expect(r.score).toBeCloseTo(expectedMeans[r.cid as keyof typeof expectedMeans], 12)
    // The other participants' responses are untouched.
    expect(stored.responses.filter((r) => r.hotkey !== minerKeys.mturk.ss58Address)).toEqual([
      modelResponse(minerKeys.good, 1, goodScores),
      modelResponse(minerKeys.bad, 2, badScores)
    ])

    // Sent again: accepted as a duplicate, nothing changes.
    const before = await v.snapshot()
    expect(await v.send(minerKeys.mturk, mturkResponse("req-a", hitA))).toBe(200)
    const again = await v.handle(minerKeys.mturk, mturkResponse("req-a", hitA))
    expect(Either.isRight(again) && again.right.outcome).toBe("duplicate")
    // As a Python miner sends it (no request id): found by sender and HIT, the same duplicate.
    const pythonStyle = await v.handle(minerKeys.mturk, mturkResponse(null, hitA))
    expect(Either.isRight(pythonStyle) && pythonStyle.right.outcome).toBe("duplicate")
    expect(await v.send(minerKeys.mturk, mturkResponse(null, hitA))).toBe(200)
    expect(await v.snapshot()).toEqual(before)
  })

  test("in consensus the verified human response counts ×1.2; once scored, further human feedback is refused", async () => {
    expect(await v.runtime.runPromise(scoreDueRequests())).toBe(3)
    const stored = Option.getOrThrow(await v.store((s) => s.getRequest("req-a")))
    const human = cids.map((c) => expectedMeans[c as keyof typeof expectedMeans])
    const consensus = cids.map((_, i) => (goodScores[i]! + badScores[i]! + human[i]!) / 3)
    for (const [i, cid] of cids.entries()) expect(stored.result!.cid_to_consensus[cid]!).toBeCloseTo(consensus[i]!, 12)
    // Nobody has an evaluation yet: accuracy multiplier 1/2 for all (Laplace prior).
    const rhoHuman = spearman(human, consensus)
    expect(rhoHuman).toBeCloseTo(0.5, 12)
    const rewards = [goodScores, badScores].map((s) => ((spearman(s, consensus) + 1) / 2) * 0.5)
    const humanReward = Math.min(1, (rhoHuman * 1.2 + 1) / 2) * 0.5
    const [good, bad, human3] = softmax([...rewards, humanReward])
    const scores = stored.result!.hotkey_to_score
    expect(scores[minerKeys.good.ss58Address]!).toBeCloseTo(good!, 12)
    expect(scores[minerKeys.bad.ss58Address]!).toBeCloseTo(bad!, 12)
    expect(scores[minerKeys.mturk.ss58Address]!).toBeCloseTo(human3!, 12)
    // Without the boost it would have been less.
    expect(softmax([...rewards, ((rhoHuman + 1) / 2) * 0.5])[2]!).toBeLessThan(scores[minerKeys.mturk.ss58Address]!)

    // The unverified HIT answers (foreign HIT, garbage HIT) took no part: no usable ranks.
    const foreign = Option.getOrThrow(await v.store((s) => s.getRequest("req-foreign")))
    expect(Object.keys(foreign.result!.hotkey_to_score).sort()).toEqual([minerKeys.good.ss58Address, minerKeys.bad.ss58Address].sort())

    const before = await v.snapshot()
    expect(await v.send(minerKeys.mturk, mturkResponse("req-a", hitA))).toBe(409)
    expect(refusal(await v.handle(minerKeys.mturk, mturkResponse("req-a", hitA))).status).toBe(409)
    expect(await v.snapshot()).toEqual(before)
  })
})

describe("MTurkResponse at the validator on PostgreSQL", () => {
  let pg: TestPostgres
  let v: Validator
  beforeAll(async () => {
    pg = await startPostgres()
    v = await startValidator({ _tag: "postgres", url: Redacted.make(pg.url), maxConnections: 4 })
  })
  afterAll(async () => {
    await v?.stop()
    await pg?.stop()
  })

  test("verified merge, duplicate, and a refused forgery that changes nothing", async () => {
    const hit = await createHit(rankingRequest("pg-a"))
    for (const s of sliders) mturk.submitAssignment(hit, { scores: s })
    await storeRequest(v, "pg-a", hit)

    const before = await v.snapshot()
    expect(refusal(await v.handle(minerKeys.mturk, mturkResponse("pg-a", hit, { aws_credentials: credentials("AKIDFORGED") }))).status).toBe(502)
    expect(refusal(await v.handle(idleKey, mturkResponse("pg-a", hit))).status).toBe(403)
    expect(await v.snapshot()).toEqual(before)

    expect(await v.send(minerKeys.mturk, mturkResponse("pg-a", hit))).toBe(200)
    const merged = Option.getOrThrow(await v.store((s) => s.getRequest("pg-a"))).responses.find((r) => r.hotkey === minerKeys.mturk.ss58Address)!
    expect([merged.humanVerified, merged.source, merged.scoringMethod]).toEqual([true, "mturk", "aws_mturk"])
    for (const r of merged.ranks) expect(r.score).toBeCloseTo(expectedMeans[r.cid as keyof typeof expectedMeans], 12)
    const again = await v.handle(minerKeys.mturk, mturkResponse("pg-a", hit))
    expect(Either.isRight(again) && again.right.outcome).toBe("duplicate")

    expect(await v.runtime.runPromise(scoreDueRequests())).toBe(1)
    expect(refusal(await v.handle(minerKeys.mturk, mturkResponse("pg-a", hit))).status).toBe(409)
  })
})
