import { afterAll, beforeEach, describe, expect, test } from "bun:test"
import { ConfigProvider, Effect, Either, Layer, Random, Redacted } from "effect"
import * as LlmScorer from "../../../src/adapters/scorer/llm.ts"
import { LABEL_ALPHABET, LABEL_LENGTH } from "../../../src/domain/scoring/llm-scoring.ts"
import type { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { Scorer, type ScoreOutcome } from "../../../src/services/scorer.ts"
import { testCompletions, testRankingRequest } from "../../support/fixtures.ts"
import { type ChatBody, type ChatReply, startOpenAIStub } from "../../support/stubs/openai.ts"

const KEY = "tg-test-key-123"
const stub = startOpenAIStub({ apiKey: KEY })
afterAll(() => stub.stop())

const fastRetry = { baseDelay: "2 millis", maxDelay: "10 millis", maxRetries: 3 } as const
const scorer = (overrides: Partial<LlmScorer.LlmOptions> = {}) =>
  LlmScorer.make({
    provider: "togetherai",
    apiKey: Redacted.make(KEY),
    baseURL: stub.baseURL,
    retry: fastRetry,
    callTimeout: "2 seconds",
    ...overrides
  })

const request = (texts: ReadonlyArray<string>, cids = texts.map((_, i) => `cid-${i}`)): RankingRequest =>
  testRankingRequest({ prompt: "write a haiku about rain", completions: testCompletions(texts, (i) => cids[i]!) })

/** What the LLM was shown: the prompt and the labelled completions, in presentation order. */
const shown = (body: ChatBody): { prompt: string; completions: Array<{ completion_id: string; text: string }> } =>
  JSON.parse(body.messages.find((m) => m.role === "user")!.content)

/** A fake judge: score = length of the text / 100, keyed by the labels it was shown. */
const judge = (body: ChatBody): ChatReply => ({
  kind: "content",
  content: JSON.stringify({
    scores: shown(body).completions.map((c) => ({ completion_id: c.completion_id, score: c.text.length / 100 }))
  })
})

const run = (r: RankingRequest, s = scorer(), seed?: number) =>
  Effect.runPromise(
    Effect.either(seed === undefined ? s.score(r) : s.score(r).pipe(Effect.withRandom(Random.make(seed))))
  )
const scoreOf = (o: ScoreOutcome, cid: string) => o.ranks.find((r) => r.cid === cid)?.score

beforeEach(() => {
  stub.requests.length = 0
  stub.setBehaviour(judge)
})

describe("llm_api scorer", () => {
  test("one JSON-mode call at temperature 0; scores mapped back to cids in request order", async () => {
    const texts = ["soft rain on the roof", "rain", "drops fall, the city hums, puddles hold the sky"]
    const outcome = Either.getOrThrow(await run(request(texts)))
    expect(outcome.unscored).toEqual([])
    expect(outcome.ranks.map((r) => r.cid)).toEqual(["cid-0", "cid-1", "cid-2"])
    for (const [i, text] of texts.entries()) expect(scoreOf(outcome, `cid-${i}`)).toBeCloseTo(text.length / 100, 12)
    expect(stub.requests).toHaveLength(1)
    const rec = stub.requests[0]!
    expect(rec.path).toBe("/v1/chat/completions")
    expect(rec.authorization).toBe(`Bearer ${KEY}`)
    const body = rec.body as Record<string, any>
    expect(body.model).toBe("mistralai/Mixtral-8x7B-Instruct-v0.1")
    expect(body.temperature).toBe(0)
    expect(body.response_format).toEqual({ type: "json_object" })
    expect(body.stream ?? false).toBe(false)
    const user = JSON.parse(body.messages[1].content)
    expect(user.prompt).toBe("write a haiku about rain")
    expect(new Set(user.completions.map((c: any) => c.text))).toEqual(new Set(texts))
  })

  test("declares provider and model; openai provider uses its own default model", () => {
    expect(scorer().modelConfig).toEqual({ provider: "togetherai", model_name: "mistralai/Mixtral-8x7B-Instruct-v0.1" })
    expect(scorer({ provider: "openai", modelName: "gpt-4o" }).modelConfig).toEqual({ provider: "openai", model_name: "gpt-4o" })
    expect(scorer().method).toBe("llm_api")
  })

  test("the labels shown never contain a cid, are neutral and distinct", async () => {
    const cids = ["0", "1", "a", "b", "first", "second"]
    const texts = cids.map((c) => `completion ${c}`)
    Either.getOrThrow(await run(request(texts, cids)))
    const content = (stub.requests[0]!.body as any).messages[1].content as string
    const labels = JSON.parse(content).completions.map((c: any) => c.completion_id) as string[]
    expect(new Set(labels).size).toBe(cids.length)
    for (const label of labels) {
      expect(label).toHaveLength(LABEL_LENGTH)
      for (const ch of label) expect(LABEL_ALPHABET).toContain(ch)
    }
    for (const cid of cids) expect(content).not.toContain(`"${cid}"`)
  })

  test("neither the presentation order nor the labels' sort order reveal the request order", async () => {
    // With 3 completions, which original completion is shown first, and which gets the alphabetically
    // smallest label, must each be (close to) uniform over many requests with different seeds.
    const trials = 300
    const firstShown = [0, 0, 0]
    const smallestLabel = [0, 0, 0]
    const texts = ["t0", "t1", "t2"]
    for (let seed = 1; seed <= trials; seed++) {
      stub.requests.length = 0
      Either.getOrThrow(await run(request(texts), scorer(), seed))
      const shownNow = JSON.parse((stub.requests[0]!.body as any).messages[1].content).completions as Array<{
        completion_id: string
        text: string
      }>
      firstShown[texts.indexOf(shownNow[0]!.text)]!++
      const sorted = [...shownNow].sort((a, b) => a.completion_id.localeCompare(b.completion_id))
      smallestLabel[texts.indexOf(sorted[0]!.text)]!++
    }
    // Expected 100 each; a leak (no shuffle, sorted labels) would give 300/0/0.
    for (const count of [...firstShown, ...smallestLabel]) {
      expect(count).toBeGreaterThan(60)
      expect(count).toBeLessThan(140)
    }
  })

  test("the same seed gives the same labels (the shuffle is reproducible in tests)", async () => {
    const texts = ["a", "b", "c", "d"]
    Either.getOrThrow(await run(request(texts), scorer(), 42))
    Either.getOrThrow(await run(request(texts), scorer(), 42))
    Either.getOrThrow(await run(request(texts), scorer(), 43))
    const [x, y, z] = stub.requests.map((r) => (r.body as any).messages[1].content)
    expect(x).toBe(y)
    expect(x).not.toBe(z)
  })

  test("429 then success: retried by Effect, the SDK itself does not retry", async () => {
    stub.enqueue({ kind: "status", status: 429, message: "Rate limit reached", headers: { "retry-after": "0" } })
    stub.enqueue({ kind: "status", status: 503, message: "overloaded" })
    const outcome = Either.getOrThrow(await run(request(["x", "yy"])))
    expect(outcome.ranks).toHaveLength(2)
    expect(stub.requests).toHaveLength(3)
  })

  test("a call that does not answer in time is retried", async () => {
    stub.enqueue({ kind: "hang" })
    const outcome = Either.getOrThrow(await run(request(["x"]), scorer({ callTimeout: "100 millis" })))
    expect(outcome.ranks).toHaveLength(1)
    expect(stub.requests).toHaveLength(2)
  })

  test("500 every time: unavailable after maxRetries + 1 calls", async () => {
    stub.setBehaviour(() => ({ kind: "status", status: 500, message: "internal" }))
    const result = await run(request(["x"]))
    expect(Either.isLeft(result) && result.left._tag).toBe("ScorerUnavailable")
    expect(stub.requests).toHaveLength(fastRetry.maxRetries + 1)
  })

  test("400 is a rejection, 401 unavailable; neither retried, the key never in the error", async () => {
    stub.enqueue({ kind: "status", status: 400, message: "context length exceeded" })
    const bad = await run(request(["x"]))
    expect(Either.isLeft(bad) && bad.left._tag).toBe("ScorerRejected")
    const denied = await run(request(["x"]), scorer({ apiKey: Redacted.make("sk-wrong-key") }))
    expect(Either.isLeft(denied) && denied.left._tag).toBe("ScorerUnavailable")
    expect(stub.requests).toHaveLength(2)
    expect(JSON.stringify([bad, denied])).not.toContain("sk-wrong-key")
    expect(JSON.stringify([bad, denied])).not.toContain(KEY)
  })

  test("garbage JSON, a non-JSON body, an empty or truncated reply: every completion unscored, no crash", async () => {
    const replies: ChatReply[] = [
      { kind: "content", content: "Sure! Here are the scores: first is best." },
      { kind: "content", content: null },
      { kind: "content", content: '{"scores": [{"completion_id": "', finishReason: "length" },
      { kind: "content", content: '{"ranking": [1, 2]}' },
      { kind: "raw", contentType: "text/html", body: "<html>bad gateway</html>" }
    ]
    for (const reply of replies) {
      stub.enqueue(reply)
      const outcome = Either.getOrThrow(await run(request(["x", "y"])))
      expect(outcome).toEqual({ ranks: [], unscored: ["cid-0", "cid-1"], mturkHit: null })
    }
  })

  test("missing ids, unknown ids, bad entries and conflicting scores: only those unscored; scores clamped", async () => {
    stub.setBehaviour((body) => {
      const [a, b, c, d] = shown(body).completions.map((x) => x.completion_id)
      return {
        kind: "content",
        content:
          "```json\n" +
          JSON.stringify({
            scores: [
              { completion_id: a, score: 1.7 }, // clamped to 1
              { completion_id: `#${b!.toLowerCase()}`, score: -3 }, // label normalised, clamped to 0
              { completion_id: c, score: 0.2 },
              { completion_id: c, score: 0.9 }, // conflicting → unscored
              { completion_id: "ZZZZ-not-shown", score: 0.5 },
              { completion_id: d, score: "high" } // malformed → unscored
            ]
          }) +
          "\n```"
      }
    })
    const texts = ["t0", "t1", "t2", "t3", "t4"] // t4 is never mentioned
    const outcome = Either.getOrThrow(await run(request(texts)))
    const shownTexts = shown(stub.requests[0]!.body as ChatBody).completions.map((c) => c.text)
    const cidOfShown = (i: number) => `cid-${texts.indexOf(shownTexts[i]!)}`
    expect(scoreOf(outcome, cidOfShown(0))).toBe(1)
    expect(scoreOf(outcome, cidOfShown(1))).toBe(0)
    expect(new Set(outcome.unscored)).toEqual(new Set([cidOfShown(2), cidOfShown(3), cidOfShown(4)]))
    expect(outcome.ranks).toHaveLength(2)
  })

  test("image requests and oversized requests are rejected without a call; empty requests need none", async () => {
    const image = await run({ ...request(["x"]), modality: "image" })
    expect(Either.isLeft(image) && image.left._tag).toBe("ScorerRejected")
    const big = await run(request(["a", "b", "c"]), scorer({ maxCompletions: 2 }))
    expect(Either.isLeft(big) && big.left._tag).toBe("ScorerRejected")
    expect(Either.getOrThrow(await run(request([])))).toEqual({ ranks: [], unscored: [], mturkHit: null })
    expect(stub.requests).toHaveLength(0)
  })

  test("layerConfig reads the provider's key from the environment; a missing key fails at startup", async () => {
    const program = Effect.gen(function* () {
      const s = yield* Scorer
      return yield* s.score(request(["abc"]))
    })
    const withEnv = (env: Record<string, string>, provider: "togetherai" | "openai") =>
      program.pipe(
        Effect.provide(
          LlmScorer.layerConfig({ provider, baseURL: stub.baseURL, retry: fastRetry }).pipe(
            Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
          )
        ),
        Effect.either,
        Effect.runPromise
      )
    const ok = Either.getOrThrow(await withEnv({ TOGETHER_API_KEY: KEY }, "togetherai"))
    expect(ok.ranks).toHaveLength(1)
    const missing = await withEnv({ TOGETHER_API_KEY: KEY }, "openai")
    expect(Either.isLeft(missing)).toBe(true)
    expect(JSON.stringify(missing)).toContain("OPENAI_API_KEY")
  })
})
