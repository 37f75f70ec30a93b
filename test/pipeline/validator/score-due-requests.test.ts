/**
 * The scoring pass when the store refuses its commit: another writer scored the request between the
 * pass's read and its commit (`AlreadyScored`: skipped, the other scoring kept), or an MTurk merge
 * changed the request's responses (`RequestChanged`: nothing committed, scored with the merge next pass).
 * The race is made deterministic by running the other writer right after the pass reads its due requests.
 */
import { describe, expect, test } from "bun:test"
import { Effect, HashMap, Layer, Logger, ManagedRuntime, Option } from "effect"
import * as ChainMemory from "../../../src/adapters/chain/memory.ts"
import * as RequestLedgerSql from "../../../src/adapters/store/request-ledger-sql.ts"
import * as ScoreLedgerSql from "../../../src/adapters/store/score-ledger-sql.ts"
import { memoryStore, SqlLive } from "../../../src/adapters/store/sql-client.ts"
import { scoreDueRequests } from "../../../src/pipeline/validator/score-due-requests.ts"
import { ValidatorSettings } from "../../../src/pipeline/validator/settings.ts"
import {
  type DueRequest,
  RequestLedger,
  type RequestLedgerShape,
  type StoredResponse
} from "../../../src/services/request-ledger.ts"
import { testRankingRequest } from "../../support/fixtures.ts"
import { minerKeys, testValidatorSettings, worldChain } from "../../support/validator-world.ts"

const good = minerKeys.good.ss58Address
const half = minerKeys.half.ss58Address
const mturk = minerKeys.mturk.ss58Address

const request = (id: string) =>
  testRankingRequest({ request_id: id, completions: ["c1", "c2", "c3"].map((cid) => ({ cid, text: `text ${cid}` })) })

const ranked = (hotkey: string, uid: number, scores: ReadonlyArray<number>): StoredResponse => ({
  hotkey,
  uid,
  scoringMethod: "hf_model",
  modelConfig: { provider: null, model_name: "test-model" },
  ranks: scores.map((score, i) => ({ cid: `c${i + 1}`, score })),
  mturkHitId: null,
  humanVerified: false,
  source: "axon",
  receivedAt: 1
})

/** A miner that answered with an MTurk HIT: no ranks until the HIT's result is merged. */
const hitOnly: StoredResponse = {
  hotkey: mturk,
  uid: 3,
  scoringMethod: "aws_mturk",
  modelConfig: null,
  ranks: [],
  mturkHitId: "HIT-1",
  humanVerified: false,
  source: "axon",
  receivedAt: 1
}

/** A ledger that runs `race` once, right after the first `dueRequests` has read. */
const racingLedger = (race: (ledger: RequestLedgerShape, due: ReadonlyArray<DueRequest>) => Effect.Effect<unknown, unknown>) =>
  Layer.effect(
    RequestLedger,
    Effect.map(RequestLedger, (ledger): RequestLedgerShape => {
      let raced = false
      return {
        ...ledger,
        dueRequests: (now, limit) =>
          Effect.tap(ledger.dueRequests(now, limit), (due) => {
            if (raced) return Effect.void
            raced = true
            return Effect.orDie(race(ledger, due))
          })
      }
    })
  ).pipe(Layer.provide(RequestLedgerSql.layer))

interface LogLine {
  readonly message: string
  readonly requestId: string | undefined
}

const world = (race: (ledger: RequestLedgerShape, due: ReadonlyArray<DueRequest>) => Effect.Effect<unknown, unknown>) => {
  const logs: Array<LogLine> = []
  const capture = Logger.make(({ message, annotations }) => {
    logs.push({
      message: (Array.isArray(message) ? message : [message]).map(String).join(" "),
      requestId: Option.getOrUndefined(HashMap.get(annotations, "request_id")) as string | undefined
    })
  })
  const serving = (hotkey: string, port: number) => ({ hotkey, axon: { ip: "127.0.0.2", port } })
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      Layer.merge(racingLedger(race), ScoreLedgerSql.layer).pipe(Layer.provide(SqlLive(memoryStore))),
      ChainMemory.layer(worldChain([serving(good, 9001), serving(half, 9002), serving(mturk, 9003)])),
      Layer.succeed(ValidatorSettings, testValidatorSettings()),
      Logger.replace(Logger.defaultLogger, capture)
    )
  )
  const ledger = <A, E>(f: (s: RequestLedgerShape) => Effect.Effect<A, E>) => runtime.runPromise(Effect.flatMap(RequestLedger, f))
  const save = (id: string, createdAt: number, responses: ReadonlyArray<StoredResponse>) =>
    ledger((s) => s.saveRequest({ request: request(id), kind: "seed", createdAt, deadlineAt: 0, responses }))
  return { runtime, logs, ledger, save }
}

describe("scoreDueRequests when the store refuses the commit", () => {
  test("AlreadyScored: another writer's scoring stays, the request is skipped and the pass goes on", async () => {
    const w = world((ledger) =>
      ledger.recordScoring({
        requestId: "r-race",
        result: { request_id: "r-race", cid_to_consensus: { c1: 0.5 }, hotkey_to_score: { elsewhere: 1 } },
        scores: [{ uid: 9, hotkey: "elsewhere", score: 0.75 }],
        accuracyOutcomes: [],
        deliverTo: [],
        scoredAt: 1
      })
    )
    try {
      await w.save("r-race", 1, [ranked(good, 1, [0.9, 0.5, 0.1]), ranked(half, 2, [0.8, 0.4, 0.2])])
      await w.save("r-next", 2, [ranked(good, 1, [0.9, 0.5, 0.1]), ranked(half, 2, [0.1, 0.5, 0.9])])

      expect(await w.runtime.runPromise(scoreDueRequests())).toBe(1)

      const raced = Option.getOrThrow(await w.ledger((s) => s.getRequest("r-race")))
      expect(raced.result?.hotkey_to_score).toEqual({ elsewhere: 1 })
      expect(raced.result?.scoredAt).toBe(1)
      const next = Option.getOrThrow(await w.ledger((s) => s.getRequest("r-next")))
      expect(next.status).toBe("scored")
      expect(Object.keys(next.result?.hotkey_to_score ?? {}).sort()).toEqual([good, half].sort())
      // Only the pass's own commit enqueued deliveries; the skipped request got none from it.
      const outbox = await w.ledger((s) => s.pendingDeliveries(Number.MAX_SAFE_INTEGER, 100))
      expect(outbox.map((d) => d.requestId)).toEqual(["r-next", "r-next"])
      expect(w.logs.filter((l) => l.message === "request already scored; skipped").map((l) => l.requestId)).toEqual(["r-race"])
      expect(w.logs.filter((l) => l.message === "scored request").map((l) => l.requestId)).toEqual(["r-next"])
      // Nothing is left to score.
      expect(await w.runtime.runPromise(scoreDueRequests())).toBe(0)
    } finally {
      await w.runtime.dispose()
    }
  })

  test("RequestChanged: an MTurk merge after the read leaves the request pending; the next pass scores it with the merge", async () => {
    const merged = [0.95, 0.45, 0.05]
    const w = world((ledger) =>
      Effect.flatMap(
        ledger.mergeMTurkResponse({
          requestId: "r-merge",
          hotkey: mturk,
          hitId: "HIT-1",
          ranks: merged.map((score, i) => ({ cid: `c${i + 1}`, score })),
          verifiedAt: 1
        }),
        (outcome) => (outcome === "merged" ? Effect.void : Effect.dieMessage(`merge refused: ${outcome}`))
      )
    )
    try {
      await w.save("r-merge", 1, [ranked(good, 1, [0.9, 0.5, 0.1]), ranked(half, 2, [0.1, 0.5, 0.9]), hitOnly])

      expect(await w.runtime.runPromise(scoreDueRequests())).toBe(0)
      const pending = Option.getOrThrow(await w.ledger((s) => s.getRequest("r-merge")))
      expect(pending.status).toBe("pending")
      expect(pending.result).toBeUndefined()
      expect(await w.ledger((s) => s.pendingDeliveries(Number.MAX_SAFE_INTEGER, 100))).toEqual([])
      expect(w.logs.filter((l) => l.message === "request changed while scoring; scored next pass").map((l) => l.requestId)).toEqual([
        "r-merge"
      ])

      expect(await w.runtime.runPromise(scoreDueRequests())).toBe(1)
      const scored = Option.getOrThrow(await w.ledger((s) => s.getRequest("r-merge")))
      expect(scored.status).toBe("scored")
      // Scored from the merged responses: the human-verified answer takes part.
      expect(scored.responses.find((r) => r.hotkey === mturk)).toMatchObject({ source: "mturk", humanVerified: true })
      expect(Object.keys(scored.result?.hotkey_to_score ?? {}).sort()).toEqual([good, half, mturk].sort())
    } finally {
      await w.runtime.dispose()
    }
  })
})
