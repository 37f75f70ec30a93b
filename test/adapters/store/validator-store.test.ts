/**
 * The validator's stores (request ledger, score ledger, API keys, dashboard read model) against real
 * databases, all four over one `SqlClient`: the same suite on an SQLite file and on PostgreSQL.
 * Failures are injected by the database itself (a trigger raising half-way through a transaction).
 */
import { SqlClient } from "@effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { validatorMigrations } from "../../../src/adapters/store/migrations.ts"
import { Effect, Layer, Option } from "effect"
import fc from "fast-check"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqlLive, type StoreConfig } from "../../../src/adapters/store/sql-client.ts"
import * as ApiKeyStoreSql from "../../../src/adapters/store/api-key-store-sql.ts"
import * as DashboardReadModelSql from "../../../src/adapters/store/dashboard-read-model-sql.ts"
import * as RequestLedgerSql from "../../../src/adapters/store/request-ledger-sql.ts"
import * as ScoreLedgerSql from "../../../src/adapters/store/score-ledger-sql.ts"
import * as ValidatorStoreSql from "../../../src/adapters/store/validator-store.ts"
import type { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { ApiKeyStore } from "../../../src/services/api-key-store.ts"
import { DashboardReadModel } from "../../../src/services/dashboard-read-model.ts"
import { RequestLedger, type ScoringRecord, type StoredResponse } from "../../../src/services/request-ledger.ts"
import { ScoreLedger } from "../../../src/services/score-ledger.ts"
import { allStores, type AllStores, writeScores } from "../../support/validator-stores.ts"
import { injectFailure, removeFailure, storeBackends, storeUrl, withRuntime } from "../../support/store-backends.ts"

const request = (id: string, cids: ReadonlyArray<string> = ["c1", "c2", "c3"]): RankingRequest => ({
  epoch_timestamp: 1_700_000_000.125,
  request_id: id,
  prompt: `prompt of ${id}`,
  n_completions: cids.length,
  completions: cids.map((cid) => ({ cid, text: `text ${cid}` })),
  ranks: [],
  scoring_method: null,
  model_config: null,
  mturk_hit_id: null,
  modality: "text"
})

const response = (hotkey: string, uid: number, overrides: Partial<StoredResponse> = {}): StoredResponse => ({
  hotkey,
  uid,
  scoringMethod: "hf_model",
  modelConfig: { provider: null, model_name: "OpenAssistant/reward-model-deberta-v3-large-v2" },
  ranks: [
    { cid: "c1", score: 0.1 + uid / 10 },
    { cid: "c2", score: 0.7 },
    { cid: "c3", score: 1 / 3 }
  ],
  mturkHitId: null,
  humanVerified: false,
  source: "axon",
  receivedAt: 1_000 + uid,
  ...overrides
})

const scoring = (requestId: string, overrides: Partial<ScoringRecord> = {}): ScoringRecord => ({
  requestId,
  result: { request_id: requestId, cid_to_consensus: { c1: 0.25, c2: 0.5 }, hotkey_to_score: { a: 0.6, b: 0.4 } },
  scores: [
    { uid: 1, hotkey: "a", score: 0.3 },
    { uid: 2, hotkey: "b", score: 0.2 }
  ],
  accuracyOutcomes: [
    { hotkey: "a", outcome: "correct" },
    { hotkey: "b", outcome: "wrong" }
  ],
  deliverTo: [
    { hotkey: "a", ip: "127.0.0.2", port: 9001 },
    { hotkey: "b", ip: "127.0.0.3", port: 9002 }
  ],
  scoredAt: 5_000,
  ...overrides
})

/** The store plus a raw SQL client on the same database (for triggers and counts). */
const layerFor = (config: StoreConfig) => ValidatorStoreSql.layerSql.pipe(Layer.provideMerge(SqlLive(config)))

const store = <A, E>(f: (s: AllStores) => Effect.Effect<A, E>) => Effect.flatMap(allStores, f)

const count = (table: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql.unsafe<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table}`), (rows) => Number(rows[0]?.n))
  )

const seed = (requestId: string, deadlineAt = 100, hotkeys: ReadonlyArray<string> = ["a", "b"]) =>
  store((s) =>
    s.saveRequest({
      request: request(requestId),
      kind: "seed",
      createdAt: 10,
      deadlineAt,
      responses: hotkeys.map((h, i) => response(h, i + 1))
    })
  )

const bits = (x: number) => {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  return view.getBigUint64(0)
}

for (const backend of storeBackends()) {
  describe(`validator stores on ${backend.name}`, () => {
    beforeAll(backend.setup, 120_000)
    afterAll(backend.teardown)

    const run = async <A>(
      body: (run: <X, E>(e: Effect.Effect<X, E, ValidatorStoreSql.ValidatorStores | SqlClient.SqlClient>) => Promise<X>) => Promise<A>
    ) => withRuntime(layerFor(await backend.fresh()), body)

    test("saveRequest then getRequest gives back the request, its kind, evaluation, key and responses in order", () =>
      run(async (run) => {
        const responses = [
          response("z", 7),
          response("a", 3, { scoringMethod: "llm_api", modelConfig: { provider: "togetherai", model_name: "m" } }),
          response("m", 5, { scoringMethod: "aws_mturk", modelConfig: null, ranks: [], mturkHitId: "HIT1" })
        ]
        await run(
          store((s) =>
            s.saveRequest({
              request: request("r1"),
              kind: "evaluation",
              evaluation: { chosenCid: "c2", rejectedCid: "c1" },
              apiKeyId: "key-1",
              createdAt: 1_700_000_000.5,
              deadlineAt: 1_700_028_800.5,
              responses
            })
          )
        )
        const got = Option.getOrThrow(await run(store((s) => s.getRequest("r1"))))
        expect(got.request).toEqual(request("r1"))
        expect(got.kind).toBe("evaluation")
        expect(got.evaluation).toEqual({ chosenCid: "c2", rejectedCid: "c1" })
        expect(got.apiKeyId).toBe("key-1")
        expect(got.createdAt).toBe(1_700_000_000.5)
        expect(got.deadlineAt).toBe(1_700_028_800.5)
        expect(got.status).toBe("pending")
        expect(got.result).toBeUndefined()
        expect(got.responses).toEqual(responses)
        expect(Option.isNone(await run(store((s) => s.getRequest("nope"))))).toBe(true)
      }))

    test("saveRequest is all or nothing: a failure on the third response leaves no request and no response", () =>
      run(async (run) => {
        await run(injectFailure("fail_response", "responses", "INSERT", "NEW.hotkey = 'boom'"))
        const failed = await run(
          Effect.either(
            store((s) =>
              s.saveRequest({
                request: request("r1"),
                kind: "seed",
                createdAt: 1,
                deadlineAt: 2,
                responses: [response("a", 1), response("b", 2), response("boom", 3)]
              })
            )
          )
        )
        expect(failed._tag).toBe("Left")
        if (failed._tag === "Left") {
          expect(failed.left.operation).toBe("saveRequest")
          expect(failed.left.message).toContain("injected failure")
        }
        expect(Option.isNone(await run(store((s) => s.getRequest("r1"))))).toBe(true)
        expect(await run(count("requests"))).toBe(0)
        expect(await run(count("responses"))).toBe(0)
        // A duplicate request id fails too and leaves the first one as it was.
        await run(removeFailure("fail_response", "responses"))
        await run(seed("r1"))
        const again = await run(
          Effect.either(
            store((s) =>
              s.saveRequest({ request: request("r1"), kind: "api", createdAt: 9, deadlineAt: 9, responses: [response("q", 9)] })
            )
          )
        )
        expect(again._tag).toBe("Left")
        const kept = Option.getOrThrow(await run(store((s) => s.getRequest("r1"))))
        expect(kept.kind).toBe("seed")
        expect(kept.responses.map((r) => r.hotkey)).toEqual(["a", "b"])
      }))

    test("dueRequests: pending requests past their deadline, oldest first, up to the limit", () =>
      run(async (run) => {
        const save = (id: string, createdAt: number, deadlineAt: number) =>
          store((s) =>
            s.saveRequest({
              request: request(id),
              kind: id === "old" ? "evaluation" : "seed",
              ...(id === "old" ? { evaluation: { chosenCid: "c1", rejectedCid: "c3" } } : {}),
              createdAt,
              deadlineAt,
              responses: [response(`${id}-m`, 1)]
            })
          )
        await run(save("late", 30, 130))
        await run(save("old", 10, 110))
        await run(save("mid", 20, 120))
        await run(save("future", 5, 1_000))
        const due = await run(store((s) => s.dueRequests(125, 10)))
        expect(due.map((d) => d.request.request_id)).toEqual(["old", "mid"])
        expect(due[0]?.kind).toBe("evaluation")
        expect(due[0]?.evaluation).toEqual({ chosenCid: "c1", rejectedCid: "c3" })
        expect(due[1]?.evaluation).toBeUndefined()
        expect(due[0]?.responses.map((r) => r.hotkey)).toEqual(["old-m"])
        expect((await run(store((s) => s.dueRequests(130, 2)))).map((d) => d.request.request_id)).toEqual(["old", "mid"])
        // The deadline itself counts as passed.
        expect((await run(store((s) => s.dueRequests(130, 10)))).map((d) => d.request.request_id)).toEqual([
          "old",
          "mid",
          "late"
        ])
        await run(store((s) => s.recordScoring(scoring("old"))))
        expect((await run(store((s) => s.dueRequests(1_000_000, 10)))).map((d) => d.request.request_id)).toEqual([
          "future",
          "mid",
          "late"
        ])
      }))

    test("recordScoring stores the result, replaces the EMA vector, adds outcomes, enqueues deliveries, exactly once", () =>
      run(async (run) => {
        await run(writeScores([{ uid: 9, hotkey: "gone", score: 0.9 }]))
        await run(seed("r1"))
        await run(store((s) => s.recordScoring(scoring("r1"))))
        const got = Option.getOrThrow(await run(store((s) => s.getRequest("r1"))))
        expect(got.status).toBe("scored")
        expect(got.result).toEqual({ ...scoring("r1").result, scoredAt: 5_000 })
        expect(await run(store((s) => s.loadScores))).toEqual(scoring("r1").scores)
        const counts = await run(store((s) => s.accuracyCounts(0)))
        expect(Object.fromEntries(counts)).toEqual({ a: { correct: 1, answered: 1 }, b: { correct: 0, answered: 1 } })
        const deliveries = await run(store((s) => s.pendingDeliveries(5_000, 10)))
        expect(deliveries).toEqual([
          { requestId: "r1", hotkey: "a", ip: "127.0.0.2", port: 9001, attempts: 0, result: scoring("r1").result },
          { requestId: "r1", hotkey: "b", ip: "127.0.0.3", port: 9002, attempts: 0, result: scoring("r1").result }
        ])
        // A second scoring is refused and changes nothing.
        const again = await run(
          Effect.either(store((s) => s.recordScoring(scoring("r1", { scores: [{ uid: 1, hotkey: "a", score: 0.99 }] }))))
        )
        expect(again._tag === "Left" && again.left._tag).toBe("AlreadyScored")
        expect(await run(store((s) => s.loadScores))).toEqual(scoring("r1").scores)
        expect(await run(count("deliveries"))).toBe(2)
        expect(await run(count("accuracy_outcomes"))).toBe(2)
        const unknown = await run(Effect.either(store((s) => s.recordScoring(scoring("nope")))))
        expect(unknown._tag === "Left" && unknown.left._tag).toBe("UnknownRequest")
      }))

    test("recordScoring is all or nothing: a failure on the last delivery row leaves the request pending and scores untouched", () =>
      run(async (run) => {
        const before = [{ uid: 4, hotkey: "old", score: 0.125 }]
        await run(writeScores(before))
        await run(seed("r1"))
        await run(injectFailure("fail_delivery", "deliveries", "INSERT", "NEW.hotkey = 'boom'"))
        const failed = await run(
          Effect.either(
            store((s) =>
              s.recordScoring(
                scoring("r1", {
                  deliverTo: [
                    { hotkey: "a", ip: "127.0.0.2", port: 1 },
                    { hotkey: "boom", ip: "127.0.0.3", port: 2 }
                  ]
                })
              )
            )
          )
        )
        expect(failed._tag === "Left" && failed.left._tag).toBe("StoreError")
        if (failed._tag === "Left" && failed.left._tag === "StoreError")
          expect(failed.left.message).toContain("injected failure")
        const got = Option.getOrThrow(await run(store((s) => s.getRequest("r1"))))
        expect(got.status).toBe("pending")
        expect(got.result).toBeUndefined()
        expect(await run(store((s) => s.loadScores))).toEqual(before)
        expect((await run(store((s) => s.accuracyCounts(0)))).size).toBe(0)
        expect(await run(count("deliveries"))).toBe(0)
        // Once the fault is gone the same scoring goes through.
        await run(removeFailure("fail_delivery", "deliveries"))
        await run(store((s) => s.recordScoring(scoring("r1"))))
        expect(await run(store((s) => s.loadScores))).toEqual(scoring("r1").scores)
      }))

    test("two concurrent recordScoring calls on one request: exactly one wins", () =>
      run(async (run) => {
        await run(seed("r1"))
        const attempt = (score: number) =>
          Effect.either(store((s) => s.recordScoring(scoring("r1", { scores: [{ uid: 1, hotkey: "a", score }] }))))
        const [x, y] = await run(Effect.all([attempt(0.111), attempt(0.222)], { concurrency: 2 }))
        const outcomes = [x, y].map((e) => (e._tag === "Right" ? "scored" : e.left._tag)).sort()
        expect(outcomes).toEqual(["AlreadyScored", "scored"])
        const winner = x._tag === "Right" ? 0.111 : 0.222
        expect(await run(store((s) => s.loadScores))).toEqual([{ uid: 1, hotkey: "a", score: winner }])
        expect(await run(count("deliveries"))).toBe(2)
        expect(await run(count("accuracy_outcomes"))).toBe(2)
      }))

    test("two processes racing to score one request: exactly one wins", async () => {
      const config = await backend.fresh()
      await withRuntime(layerFor(config), (run) => run(seed("race")))
      const script = join(import.meta.dir, "../../support/score-race.ts")
      const startAt = String(Date.now() + 2_500)
      const children = ["P", "Q"].map((label) =>
        Bun.spawn([process.execPath, script, storeUrl(config), "race", label, startAt], { stdout: "pipe", stderr: "pipe" })
      )
      const outputs = await Promise.all(
        children.map(async (child) => {
          const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
          if (code !== 0) throw new Error(`race child failed (${code}): ${err}`)
          return (JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as { outcome: string }).outcome
        })
      )
      expect([...outputs].sort()).toEqual(["AlreadyScored", "scored"])
      const winner = outputs[0] === "scored" ? "P" : "Q"
      await withRuntime(layerFor(config), async (run) => {
        expect(await run(store((s) => s.loadScores))).toEqual([{ uid: 0, hotkey: winner, score: 1 }])
        expect(await run(count("deliveries"))).toBe(1)
        expect(await run(count("accuracy_outcomes"))).toBe(1)
      })
    }, 60_000)

    test("outbox: due deliveries, delivered ones leave, failures retry later and give up after maxAttempts", () =>
      run(async (run) => {
        await run(seed("r1"))
        await run(store((s) => s.recordScoring(scoring("r1"))))
        expect((await run(store((s) => s.pendingDeliveries(4_999, 10)))).length).toBe(0)
        expect((await run(store((s) => s.pendingDeliveries(5_000, 1)))).map((d) => d.hotkey)).toEqual(["a"])
        await run(store((s) => s.markDelivered("r1", "a", 5_001)))
        expect((await run(store((s) => s.pendingDeliveries(5_001, 10)))).map((d) => d.hotkey)).toEqual(["b"])
        expect(await run(store((s) => s.markDeliveryFailed("r1", "b", "connection refused", 5_100, 3)))).toBe("pending")
        expect((await run(store((s) => s.pendingDeliveries(5_099, 10)))).length).toBe(0)
        const retry = await run(store((s) => s.pendingDeliveries(5_100, 10)))
        expect(retry.map((d) => [d.hotkey, d.attempts])).toEqual([["b", 1]])
        expect(await run(store((s) => s.markDeliveryFailed("r1", "b", "timeout", 5_200, 3)))).toBe("pending")
        expect(await run(store((s) => s.markDeliveryFailed("r1", "b", "timeout", 5_300, 3)))).toBe("failed")
        expect((await run(store((s) => s.pendingDeliveries(1e12, 10)))).length).toBe(0)
        expect((await run(store((s) => s.stats))).deliveriesPending).toBe(0)
        // Given-up and delivered rows stay as they are.
        expect(await run(store((s) => s.markDeliveryFailed("r1", "b", "again", 6_000, 3)))).toBe("failed")
        expect(await run(store((s) => s.markDeliveryFailed("r1", "a", "late", 6_000, 3)))).toBe("delivered")
        expect(await run(store((s) => s.markDeliveryFailed("r1", "zz", "x", 6_000, 3)))).toBe("unknown")
      }))

    test("mergeMTurkResponse: merged, duplicate, hit-mismatch, not-participant, unknown-request, already-scored", () =>
      run(async (run) => {
        const mturk = response("h", 3, { scoringMethod: "aws_mturk", modelConfig: null, ranks: [], mturkHitId: "HIT-1" })
        await run(
          store((s) =>
            s.saveRequest({
              request: request("r1"),
              kind: "seed",
              createdAt: 1,
              deadlineAt: 2,
              responses: [response("a", 1), mturk, response("x", 4, { mturkHitId: "HIT-X" })]
            })
          )
        )
        const ranks = [
          { cid: "c1", score: 7.5 },
          { cid: "c2", score: 3.25 },
          { cid: "c3", score: 10 }
        ]
        const merge = (hotkey: string, hitId: string, requestId = "r1") =>
          store((s) => s.mergeMTurkResponse({ requestId, hotkey, hitId, ranks, verifiedAt: 50 }))
        expect(await run(merge("h", "HIT-2"))).toBe("hit-mismatch")
        expect(await run(merge("a", "HIT-1"))).toBe("hit-mismatch") // a's response names no HIT
        expect(await run(merge("nobody", "HIT-1"))).toBe("not-participant")
        expect(await run(merge("h", "HIT-1", "nope"))).toBe("unknown-request")
        expect(Option.getOrThrow(await run(store((s) => s.getRequest("r1")))).responses[1]).toEqual(mturk)
        expect(await run(merge("h", "HIT-1"))).toBe("merged")
        const merged = Option.getOrThrow(await run(store((s) => s.getRequest("r1")))).responses
        expect(merged.map((r) => r.hotkey)).toEqual(["a", "h", "x"])
        expect(merged[1]).toEqual({
          ...mturk,
          scoringMethod: "aws_mturk",
          ranks,
          humanVerified: true,
          source: "mturk",
          verifiedAt: 50
        })
        expect(merged[0]).toEqual(response("a", 1))
        expect(await run(merge("h", "HIT-1"))).toBe("duplicate")
        await run(store((s) => s.recordScoring(scoring("r1"))))
        expect(await run(merge("x", "HIT-X"))).toBe("already-scored")
        expect(Option.getOrThrow(await run(store((s) => s.getRequest("r1")))).responses[2]?.source).toBe("axon")
      }))

    test("a scoring computed before an MTurk merge cannot commit over it; recomputed, it can", () =>
      run(async (run) => {
        const mturk = response("h", 3, { scoringMethod: "aws_mturk", modelConfig: null, ranks: [], mturkHitId: "HIT-1" })
        await run(store((s) => s.saveRequest({ request: request("r1"), kind: "seed", createdAt: 1, deadlineAt: 2, responses: [response("a", 1), mturk] })))
        const [read] = await run(store((s) => s.dueRequests(10, 10)))
        // Refused merges change nothing, not even the revision.
        expect(await run(store((s) => s.mergeMTurkResponse({ requestId: "r1", hotkey: "h", hitId: "HIT-9", ranks: [], verifiedAt: 5 })))).toBe("hit-mismatch")
        expect(Option.getOrThrow(await run(store((s) => s.getRequest("r1")))).revision).toBe(read!.revision)
        expect(await run(store((s) => s.mergeMTurkResponse({ requestId: "r1", hotkey: "h", hitId: "HIT-1", ranks: [{ cid: "c1", score: 0.7 }], verifiedAt: 6 })))).toBe("merged")
        const stale = await run(Effect.either(store((s) => s.recordScoring(scoring("r1", { revision: read!.revision })))))
        expect(stale._tag === "Left" && stale.left._tag).toBe("RequestChanged")
        expect(Option.getOrThrow(await run(store((s) => s.getRequest("r1")))).status).toBe("pending")
        expect(await run(count("deliveries"))).toBe(0)
        const [fresh] = await run(store((s) => s.dueRequests(10, 10)))
        expect(fresh!.responses[1]!.humanVerified).toBe(true)
        await run(store((s) => s.recordScoring(scoring("r1", { revision: fresh!.revision }))))
        expect(Option.getOrThrow(await run(store((s) => s.getRequest("r1")))).status).toBe("scored")
      }))

    test("mergeMTurkResponse is all or nothing: a failing response update leaves the response as it was", () =>
      run(async (run) => {
        const mturk = response("h", 3, { scoringMethod: "aws_mturk", modelConfig: null, ranks: [], mturkHitId: "HIT-1" })
        await run(store((s) => s.saveRequest({ request: request("r1"), kind: "seed", createdAt: 1, deadlineAt: 2, responses: [mturk] })))
        await run(injectFailure("fail_merge", "responses", "UPDATE", "NEW.source = 'mturk'"))
        const failed = await run(
          Effect.either(
            store((s) =>
              s.mergeMTurkResponse({ requestId: "r1", hotkey: "h", hitId: "HIT-1", ranks: [{ cid: "c1", score: 1 }], verifiedAt: 9 })
            )
          )
        )
        expect(failed._tag === "Left" && failed.left.message).toContain("injected failure")
        const got = Option.getOrThrow(await run(store((s) => s.getRequest("r1"))))
        expect(got.responses).toEqual([mturk])
        expect(got.status).toBe("pending")
      }))

    test("accuracy window counts outcomes at or after its start; pruning deletes older ones", () =>
      run(async (run) => {
        for (const [id, at, outcome] of [
          ["e1", 1_000, "correct"],
          ["e2", 2_000, "wrong"],
          ["e3", 3_000, "correct"]
        ] as const) {
          await run(seed(id))
          await run(
            store((s) =>
              s.recordScoring(
                scoring(id, {
                  scoredAt: at,
                  accuracyOutcomes: [
                    { hotkey: "a", outcome },
                    { hotkey: "b", outcome: "correct" }
                  ]
                })
              )
            )
          )
        }
        const window = async (since: number) => Object.fromEntries(await run(store((s) => s.accuracyCounts(since))))
        expect(await window(0)).toEqual({ a: { correct: 2, answered: 3 }, b: { correct: 3, answered: 3 } })
        expect(await window(2_000)).toEqual({ a: { correct: 1, answered: 2 }, b: { correct: 2, answered: 2 } })
        expect(await window(3_000.5)).toEqual({})
        expect(await run(store((s) => s.pruneAccuracy(2_000)))).toBe(2)
        expect(await window(0)).toEqual({ a: { correct: 1, answered: 2 }, b: { correct: 2, answered: 2 } })
        expect(await run(store((s) => s.pruneAccuracy(2_000)))).toBe(0)
      }))

    test("weights, score snapshots and history", () =>
      run(async (run) => {
        expect(Option.isNone(await run(store((s) => s.lastWeights)))).toBe(true)
        await run(store((s) => s.recordWeights({ block: 100, uids: [0, 1], weights: [65535, 0], versionKey: 1, at: 10 })))
        await run(store((s) => s.recordWeights({ block: 200, uids: [1, 2], weights: [1, 65535], versionKey: 1, at: 20 })))
        expect(Option.getOrThrow(await run(store((s) => s.lastWeights)))).toEqual({
          block: 200,
          uids: [1, 2],
          weights: [1, 65535],
          versionKey: 1,
          at: 20
        })
        await run(store((s) => s.recordWeights({ block: 200, uids: [3], weights: [65535], versionKey: 2, at: 21 })))
        expect(Option.getOrThrow(await run(store((s) => s.lastWeights))).uids).toEqual([3])
        await run(store((s) => s.recordScoreSnapshot(10, [{ uid: 0, hotkey: "a", score: 0.5, weight: 1 }])))
        await run(
          store((s) =>
            s.recordScoreSnapshot(20, [
              { uid: 1, hotkey: "b", score: 0.25, weight: 0.5 },
              { uid: 0, hotkey: "a", score: 0.75, weight: 0.5 }
            ])
          )
        )
        expect(await run(store((s) => s.scoreHistory(15)))).toEqual([
          { at: 20, uid: 0, hotkey: "a", score: 0.75, weight: 0.5 },
          { at: 20, uid: 1, hotkey: "b", score: 0.25, weight: 0.5 }
        ])
        expect((await run(store((s) => s.scoreHistory(0)))).length).toBe(3)
      }))

    test("API keys: create, find by hash, revoke, list", () =>
      run(async (run) => {
        const key = { id: "k1", name: "rlhf loop", keyHash: "hash-1", rateLimitPerMinute: 60, createdAt: 100 }
        await run(store((s) => s.createApiKey(key)))
        await run(store((s) => s.createApiKey({ ...key, id: "k2", name: "other", keyHash: "hash-2", createdAt: 200 })))
        expect(Option.getOrThrow(await run(store((s) => s.findApiKey("hash-1"))))).toEqual(key)
        expect(Option.isNone(await run(store((s) => s.findApiKey("hash-3"))))).toBe(true)
        const dup = await run(Effect.either(store((s) => s.createApiKey({ ...key, id: "k3" }))))
        expect(dup._tag).toBe("Left")
        expect(await run(store((s) => s.revokeApiKey("k1")))).toBe(true)
        expect(await run(store((s) => s.revokeApiKey("k1")))).toBe(false)
        expect(Option.isNone(await run(store((s) => s.findApiKey("hash-1"))))).toBe(true)
        const listed = await run(store((s) => s.listApiKeys))
        expect(listed.map((k) => [k.id, k.revokedAt !== undefined])).toEqual([
          ["k1", true],
          ["k2", false]
        ])
      }))

    test("recentRequests and stats", () =>
      run(async (run) => {
        await run(seed("r1"))
        await run(
          store((s) =>
            s.saveRequest({ request: request("r2"), kind: "api", createdAt: 20, deadlineAt: 30, responses: [response("a", 1)] })
          )
        )
        await run(store((s) => s.recordScoring(scoring("r1"))))
        const recent = await run(store((s) => s.recentRequests(10)))
        expect(recent.map((r) => [r.requestId, r.kind, r.status, r.responseCount, r.nCompletions])).toEqual([
          ["r2", "api", "pending", 1, 3],
          ["r1", "seed", "scored", 2, 3]
        ])
        expect(recent[0]?.prompt).toBe("prompt of r2")
        expect(recent[1]?.result?.cid_to_consensus).toEqual({ c1: 0.25, c2: 0.5 })
        expect((await run(store((s) => s.recentRequests(1)))).length).toBe(1)
        const stats = await run(store((s) => s.stats))
        expect({ ...stats, storeBytes: 0 }).toEqual({
          requests: 2,
          pending: 1,
          scored: 1,
          responses: 3,
          deliveriesPending: 2,
          storeBytes: 0
        })
        expect(stats.storeBytes).toBeGreaterThan(0)
      }))

    test("doubles round-trip bit-exact through scores, ranks and results (-0 reads back as 0)", () =>
      run(async (run) => {
        const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0))
        let n = 0
        await fc.assert(
          fc.asyncProperty(fc.array(finite, { minLength: 1, maxLength: 8 }), async (xs) => {
            const id = `f${++n}`
            const scores = xs.map((score, uid) => ({ uid, hotkey: `h${uid}`, score }))
            const ranks = xs.map((score, i) => ({ cid: `c${i}`, score }))
            const cids = ranks.map((r) => r.cid)
            await run(
              store((s) =>
                s.saveRequest({
                  request: { ...request(id, cids), epoch_timestamp: xs[0] ?? 0 },
                  kind: "seed",
                  createdAt: xs[0] ?? 0,
                  deadlineAt: 0,
                  responses: [response("a", 1, { ranks, receivedAt: xs.at(-1) ?? 0 })]
                })
              )
            )
            const result = {
              request_id: id,
              cid_to_consensus: Object.fromEntries(ranks.map((r) => [r.cid, r.score])),
              hotkey_to_score: { a: xs[0] ?? 0 }
            }
            await run(store((s) => s.recordScoring({ ...scoring(id), result, scores, scoredAt: xs[0] ?? 0 })))
            const loaded = await run(store((s) => s.loadScores))
            expect(loaded.map((s) => bits(s.score))).toEqual(xs.map(bits))
            const got = Option.getOrThrow(await run(store((s) => s.getRequest(id))))
            expect(got.responses[0]?.ranks.map((r) => bits(r.score))).toEqual(xs.map(bits))
            expect(bits(got.responses[0]?.receivedAt ?? NaN)).toBe(bits(xs.at(-1) ?? 0))
            expect(bits(got.request.epoch_timestamp)).toBe(bits(xs[0] ?? 0))
            expect(bits(got.createdAt)).toBe(bits(xs[0] ?? 0))
            expect(Object.values(got.result?.cid_to_consensus ?? {}).map(bits)).toEqual(xs.map(bits))
          }),
          { numRuns: 30 }
        )
        // Neither SQLite's REAL storage nor the PostgreSQL text protocol keeps the sign of zero.
        await run(writeScores([{ uid: 0, hotkey: "z", score: -0 }]))
        const [zero] = await run(store((s) => s.loadScores))
        expect(zero?.score === 0).toBe(true)
      }), 60_000)

    test("migrations run once: reopening the database keeps the data and applies nothing again", async () => {
      const config = await backend.fresh()
      await withRuntime(layerFor(config), (run) => run(seed("kept")))
      await withRuntime(layerFor(config), async (run) => {
        expect(Option.isSome(await run(store((s) => s.getRequest("kept"))))).toBe(true)
        expect(await run(count("dojo_validator_migrations"))).toBe(Object.keys(validatorMigrations).length)
        await run(seed("second"))
      })
      await withRuntime(layerFor(config), async (run) => {
        expect((await run(store((s) => s.stats))).requests).toBe(2)
      })
    })
  })
}

describe("SQLite file settings", () => {
  test("opens in WAL mode with full sync, a busy timeout and foreign keys, creating missing directories", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dojo-sqlite-"))
    try {
      const config: StoreConfig = { _tag: "sqlite", filename: join(dir, "nested", "deeper", "store.sqlite") }
      const pragmas = await withRuntime(layerFor(config), (run) =>
        run(
          Effect.flatMap(SqlClient.SqlClient, (sql) =>
            Effect.all([
              sql.unsafe<Record<string, unknown>>("PRAGMA journal_mode"),
              sql.unsafe<Record<string, unknown>>("PRAGMA synchronous"),
              sql.unsafe<Record<string, unknown>>("PRAGMA busy_timeout"),
              sql.unsafe<Record<string, unknown>>("PRAGMA foreign_keys")
            ])
          )
        )
      )
      expect(pragmas.map((rows) => Object.values(rows[0] ?? {})[0])).toEqual(["wal", 2, 10_000, 1])
      expect(existsSync(config.filename)).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test("a store that cannot be opened is a StoreError, not a crash", async () => {
    // A directory where the file should be (the driver refuses it), and a directory that cannot be made.
    for (const filename of [tmpdir(), "/proc/no/such/dir/x.sqlite"]) {
      const layer = ValidatorStoreSql.layer({ _tag: "sqlite", filename })
      const result = await Effect.runPromise(Effect.either(Effect.provide(allStores, layer)))
      expect(result._tag === "Left" && result.left._tag).toBe("StoreError")
      expect(result._tag === "Left" && result.left.operation).toBe("open")
    }
  })
})

describe("ValidatorStoreSql.layerTest (in-memory SQLite)", () => {
  test("is a working, empty store each time it is provided", async () => {
    const once = Effect.gen(function* () {
      const s = yield* allStores
      const before = (yield* s.stats).requests
      yield* s.saveRequest({ request: request("m1"), kind: "seed", createdAt: 1, deadlineAt: 2, responses: [] })
      return [before, (yield* s.stats).requests]
    })
    expect(await Effect.runPromise(Effect.provide(once, ValidatorStoreSql.layerTest))).toEqual([0, 1])
    expect(await Effect.runPromise(Effect.provide(once, ValidatorStoreSql.layerTest))).toEqual([0, 1])
  })
})

describe("each store's own test layer (in-memory SQLite)", () => {
  test("builds on its own database, migrated, and works", async () => {
    const ledger = Effect.flatMap(RequestLedger, (s) => s.dueRequests(Number.MAX_SAFE_INTEGER, 10))
    const scores = Effect.flatMap(ScoreLedger, (s) => s.loadScores)
    const keys = Effect.flatMap(ApiKeyStore, (s) =>
      Effect.zipRight(s.createApiKey({ id: "k1", name: "n", keyHash: "h1", rateLimitPerMinute: 1, createdAt: 1 }), s.listApiKeys)
    )
    const readModel = Effect.flatMap(DashboardReadModel, (s) => Effect.map(s.stats, (x) => x.requests))
    expect(await Effect.runPromise(Effect.provide(ledger, RequestLedgerSql.layerTest))).toEqual([])
    expect(await Effect.runPromise(Effect.provide(scores, ScoreLedgerSql.layerTest))).toEqual([])
    expect((await Effect.runPromise(Effect.provide(keys, ApiKeyStoreSql.layerTest))).map((k) => k.id)).toEqual(["k1"])
    expect(await Effect.runPromise(Effect.provide(readModel, DashboardReadModelSql.layerTest))).toBe(0)
  })
})
