import { afterAll, beforeEach, describe, expect, test } from "bun:test"
import { Effect, Either, Redacted } from "effect"
import type { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import * as HfRemoteScorer from "../../../src/adapters/scorer/hf-remote.ts"
import type { ScoreOutcome } from "../../../src/services/scorer.ts"
import { testCompletions, testRankingRequest } from "../../support/fixtures.ts"
import { type HfPair, startHfInferenceStub, toyLogit } from "../../support/stubs/hf-inference.ts"

const stub = startHfInferenceStub({ token: "hf_test_token" })
afterAll(() => stub.stop())

const fastRetry = { baseDelay: "2 millis", maxDelay: "10 millis", maxRetries: 3 } as const
const scorer = (overrides: Partial<HfRemoteScorer.HfRemoteOptions> = {}) =>
  HfRemoteScorer.make({
    endpointUrl: stub.endpointUrl,
    token: Redacted.make("hf_test_token"),
    modelName: "OpenAssistant/reward-model-deberta-v3-large-v2",
    retry: fastRetry,
    callTimeout: "2 seconds",
    ...overrides
  })

const request = (texts: ReadonlyArray<string>, prompt = "why is the sky blue"): RankingRequest =>
  testRankingRequest({ prompt, completions: testCompletions(texts, (i) => `cid-${i}`) })

const run = (s: ReturnType<typeof scorer>, r: RankingRequest) => Effect.runPromise(Effect.either(s.score(r)))
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))
const scoreOf = (o: ScoreOutcome, cid: string) => o.ranks.find((r) => r.cid === cid)?.score

const defaultBehaviour = (pair: HfPair) => ({ kind: "logit" as const, logit: toyLogit(pair) })

beforeEach(() => {
  stub.requests.length = 0
  stub.setBehaviour(defaultBehaviour)
})

describe("hf_model remote scorer", () => {
  test("one pair per call, wire format as the endpoint expects, score = sigmoid(logit)", async () => {
    const texts = ["the sky is blue because of rayleigh scattering", "no idea", "blue sky"]
    const outcome = Either.getOrThrow(await run(scorer(), request(texts)))
    expect(outcome.unscored).toEqual([])
    expect(outcome.mturkHit).toBeNull()
    for (const [i, text] of texts.entries())
      expect(scoreOf(outcome, `cid-${i}`)).toBeCloseTo(sigmoid(toyLogit({ text: "why is the sky blue", textPair: text })), 12)
    expect(stub.requests).toHaveLength(3)
    for (const r of stub.requests) {
      expect(r.method).toBe("POST")
      expect(r.path).toBe("/models/reward-model")
      expect(r.authorization).toBe("Bearer hf_test_token")
      expect(r.contentType).toContain("application/json")
      expect(r.body).toMatchObject({ inputs: { text: "why is the sky blue" }, parameters: { function_to_apply: "none" } })
    }
    expect(new Set(stub.requests.map((r) => (r.body as any).inputs.text_pair))).toEqual(new Set(texts))
  })

  test("declares its model; no token means no Authorization header", async () => {
    const open = startHfInferenceStub()
    try {
      const s = scorer({ endpointUrl: open.endpointUrl, token: undefined })
      expect(s.method).toBe("hf_model")
      expect(s.modelConfig).toEqual({ provider: null, model_name: "OpenAssistant/reward-model-deberta-v3-large-v2" })
      Either.getOrThrow(await run(s, request(["a"])))
      expect(open.requests[0]?.authorization).toBeNull()
    } finally {
      await open.stop()
    }
  })

  test("calls run concurrently, bounded over all requests", async () => {
    let inFlight = 0
    let peak = 0
    stub.setBehaviour(async (pair) => {
      inFlight++
      peak = Math.max(peak, inFlight)
      await Bun.sleep(20)
      inFlight--
      return defaultBehaviour(pair)
    })
    const s = scorer({ concurrency: 3 })
    const texts = Array.from({ length: 8 }, (_, i) => `t${i}`)
    const outcomes = await Promise.all([run(s, request(texts)), run(s, request(texts))])
    for (const o of outcomes) expect(Either.getOrThrow(o).ranks).toHaveLength(8)
    expect(peak).toBe(3) // over both requests together
  })

  test("429 and 503 are retried until the endpoint answers", async () => {
    const attempts = new Map<string, number>()
    stub.setBehaviour((pair) => {
      const n = (attempts.get(pair.textPair) ?? 0) + 1
      attempts.set(pair.textPair, n)
      if (n === 1) return { kind: "status", status: 429, json: { error: "Rate limit reached" } }
      if (n === 2) return { kind: "status", status: 503, json: { error: "Model is loading", estimated_time: 1 } }
      return defaultBehaviour(pair)
    })
    const outcome = Either.getOrThrow(await run(scorer(), request(["x", "y"])))
    expect(outcome.ranks).toHaveLength(2)
    expect([...attempts.values()]).toEqual([3, 3])
  })

  test("a call that does not answer in time is retried", async () => {
    const attempts = new Map<string, number>()
    stub.setBehaviour((pair) => {
      const n = (attempts.get(pair.textPair) ?? 0) + 1
      attempts.set(pair.textPair, n)
      return n === 1 ? { kind: "hang" } : defaultBehaviour(pair)
    })
    const outcome = Either.getOrThrow(await run(scorer({ callTimeout: "100 millis" }), request(["slow"])))
    expect(outcome.ranks).toHaveLength(1)
    expect(attempts.get("slow")).toBe(2)
  })

  test("500, garbage JSON, a flat list, a non-JSON body and two labels leave those completions unscored", async () => {
    const replies = {
      good: null,
      e500: { kind: "status", status: 500, json: { error: "CUDA out of memory" } },
      garbage: { kind: "raw", contentType: "application/json", body: "{not json" },
      flat: { kind: "raw", contentType: "application/json", body: '[{"label":"LABEL_0","score":1}]' },
      html: { kind: "raw", contentType: "text/html", body: "<html>oops</html>" },
      twoLabels: { kind: "labels", labels: [{ label: "LABEL_0", score: 0.1 }, { label: "LABEL_1", score: 0.9 }] }
    } as const
    stub.setBehaviour((pair) => replies[pair.textPair as keyof typeof replies] ?? defaultBehaviour(pair))
    const texts = Object.keys(replies)
    const outcome = Either.getOrThrow(await run(scorer(), request(texts)))
    expect(outcome.ranks.map((r) => r.cid)).toEqual(["cid-0"])
    expect(outcome.unscored).toEqual(["cid-1", "cid-2", "cid-3", "cid-4", "cid-5"])
    // 500 and malformed answers are not retried: one call each.
    expect(stub.requests).toHaveLength(texts.length)
  })

  test("an endpoint that keeps answering 503 makes the request fail as unavailable, after the retries", async () => {
    stub.setBehaviour(() => ({ kind: "status", status: 503, json: { error: "overloaded" } }))
    const result = await run(scorer(), request(["a", "b"]))
    expect(Either.isLeft(result) && result.left._tag).toBe("ScorerUnavailable")
    expect(stub.requests).toHaveLength(2 * (fastRetry.maxRetries + 1))
  })

  test("a dead endpoint fails as unavailable; the token never appears in the error", async () => {
    const dead = startHfInferenceStub()
    const url = dead.endpointUrl
    await dead.stop()
    const result = await run(scorer({ endpointUrl: url }), request(["a"]))
    expect(Either.isLeft(result) && result.left._tag).toBe("ScorerUnavailable")
    expect(JSON.stringify(result)).not.toContain("hf_test_token")
  })

  test("a wrong token is a 401: unscored, not retried, token not echoed", async () => {
    const result = await run(scorer({ token: Redacted.make("wrong-token") }), request(["a"]))
    const outcome = Either.getOrThrow(result)
    expect(outcome.unscored).toEqual(["cid-0"])
    expect(stub.requests).toHaveLength(1)
    expect(JSON.stringify(outcome)).not.toContain("wrong-token")
  })

  test("an image request is rejected; an empty request scores nothing without calling out", async () => {
    const image = await run(scorer(), { ...request(["a"]), modality: "image" })
    expect(Either.isLeft(image) && image.left._tag).toBe("ScorerRejected")
    const empty = Either.getOrThrow(await run(scorer(), request([])))
    expect(empty).toEqual({ ranks: [], unscored: [], mturkHit: null })
    expect(stub.requests).toHaveLength(0)
  })
})
