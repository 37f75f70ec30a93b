/**
 * `llm_api`: asks an LLM (TogetherAI or OpenAI, through the `openai` SDK) to score all completions of a
 * request in one JSON-mode chat call at temperature 0. Completions are shown shuffled under random
 * neutral labels (src/domain/scoring/llm-scoring.ts) and mapped back to cids; scores are clamped to [0, 1].
 *
 * Retries: the SDK's are off (`maxRetries: 0`); Effect retries 408/409/429/5xx, timeouts and connection
 * failures with the shared capped, jittered exponential schedule. A reply that is unparsable or misses
 * completions is not retried (temperature 0 would repeat it): those completions are `unscored` and logged.
 */
import OpenAI, { APIConnectionError, APIError } from "openai"
import { Chunk, Config, Data, Duration, Effect, Layer, Random, Redacted } from "effect"
import { LABEL_SPACE, labelCompletions, labelFromNumber, readScores, scoringMessages } from "../../domain/scoring/llm-scoring.ts"
import type { Provider, RankingRequest } from "../../domain/wire/protocol.ts"
import { Scorer, type ScoreOutcome, ScorerRejected, ScorerUnavailable } from "../../services/scorer.ts"
import { defaultRetryPolicy, type RetryPolicy, retrySchedule } from "./upstream-retry.ts"

/** TogetherAI's OpenAI-compatible API. */
export const TOGETHER_BASE_URL = "https://api.together.xyz/v1"
/** OpenAI's API. */
export const OPENAI_BASE_URL = "https://api.openai.com/v1"

/** The model used when `--model_name` is not given. */
export const defaultModelName = (provider: Provider): string =>
  provider === "togetherai" ? "mistralai/Mixtral-8x7B-Instruct-v0.1" : "gpt-4o-mini"

/** Settings of the `llm_api` scorer. */
export interface LlmOptions {
  /** `--llm_provider`. */
  readonly provider: Provider
  /** `--model_name` (default: `defaultModelName(provider)`). */
  readonly modelName?: string
  /** `TOGETHER_API_KEY` or `OPENAI_API_KEY`. */
  readonly apiKey: Redacted.Redacted<string>
  /** Overrides the provider's API base URL (tests, proxies). */
  readonly baseURL?: string
  /** Time limit of one call (default 60 s); a timed-out call is retried. */
  readonly callTimeout?: Duration.DurationInput
  /** Backoff for transient failures (default `defaultRetryPolicy`). */
  readonly retry?: RetryPolicy
  /** Most completions one request may have (default 64): more would not fit one reply. */
  readonly maxCompletions?: number
}

/** One failed call, described without anything from the request headers. */
class CallFailure extends Data.TaggedError("CallFailure")<{
  readonly transient: boolean
  readonly status: number | undefined
  readonly message: string
}> {}

const classify = (error: unknown): CallFailure => {
  if (error instanceof APIConnectionError)
    return new CallFailure({ transient: true, status: undefined, message: error.message || "connection failed" })
  if (error instanceof APIError) {
    const status = error.status
    const transient = status === undefined || status === 408 || status === 409 || status === 429 || status >= 500
    return new CallFailure({ transient, status, message: `HTTP ${status ?? "?"}: ${String(error.message).slice(0, 200)}` })
  }
  return new CallFailure({ transient: false, status: undefined, message: error instanceof Error ? error.name : "unknown error" })
}

// Distinct labels drawn from the Random service (tests fix its seed).
const drawLabels = (n: number) =>
  Effect.gen(function* () {
    const labels = new Set<string>()
    while (labels.size < n) labels.add(labelFromNumber(yield* Random.nextIntBetween(0, LABEL_SPACE)))
    return [...labels]
  })

/** Builds the scorer service. */
export const make = (options: LlmOptions): Scorer["Type"] => {
  const modelName = options.modelName ?? defaultModelName(options.provider)
  const timeout = Duration.decode(options.callTimeout ?? "60 seconds")
  const client = new OpenAI({
    apiKey: Redacted.value(options.apiKey),
    baseURL: options.baseURL ?? (options.provider === "togetherai" ? TOGETHER_BASE_URL : OPENAI_BASE_URL),
    maxRetries: 0,
    timeout: Duration.toMillis(timeout)
  })
  const schedule = retrySchedule(options.retry ?? defaultRetryPolicy)
  const maxCompletions = options.maxCompletions ?? 64

  const ask = (messages: ReturnType<typeof scoringMessages>, n: number) =>
    Effect.tryPromise({
      try: (signal) =>
        client.chat.completions.create(
          {
            model: modelName,
            messages: [...messages],
            temperature: 0,
            response_format: { type: "json_object" },
            max_tokens: 256 + 48 * n
          },
          { signal, maxRetries: 0 }
        ),
      catch: classify
    }).pipe(Effect.retry({ schedule, while: (e) => e.transient }))

  const score = Effect.fn("LlmScorer.score")(function* (request: RankingRequest) {
    const method = "llm_api" as const
    if (request.modality !== "text")
      return yield* new ScorerRejected({ method, message: `an LLM judge cannot score ${request.modality}` })
    if (request.completions.length > maxCompletions)
      return yield* new ScorerRejected({ method, message: `more than ${maxCompletions} completions in one request` })
    if (request.completions.length === 0) return { ranks: [], unscored: [], mturkHit: null } satisfies ScoreOutcome

    const shuffled = Chunk.toReadonlyArray(yield* Random.shuffle(request.completions))
    const labelled = labelCompletions(shuffled, yield* drawLabels(shuffled.length))
    const reply = yield* ask(scoringMessages(request.prompt, labelled), labelled.length).pipe(
      Effect.mapError((e) =>
        e.status === 400 || e.status === 422
          ? new ScorerRejected({ method, message: e.message })
          : new ScorerUnavailable({ method, message: e.message })
      )
    )
    const choice = reply.choices?.[0]
    const read = readScores(
      choice?.message?.content ?? null,
      labelled,
      request.completions.map((c) => c.cid)
    )
    if (read.unscored.length > 0)
      yield* Effect.logWarning("llm_api: completions left unscored").pipe(
        Effect.annotateLogs({
          request_id: request.request_id,
          unscored: read.unscored.join(","),
          problems: read.problems.join("; "),
          finish_reason: String(choice?.finish_reason ?? "none")
        })
      )
    else if (read.problems.length > 0)
      yield* Effect.logDebug("llm_api: reply had stray entries").pipe(
        Effect.annotateLogs({ request_id: request.request_id, problems: read.problems.join("; ") })
      )
    return { ranks: read.ranks, unscored: read.unscored, mturkHit: null } satisfies ScoreOutcome
  })

  return { method: "llm_api", modelConfig: { provider: options.provider, model_name: modelName }, score }
}

/** The scorer as a layer, from explicit options. */
export const layer = (options: LlmOptions): Layer.Layer<Scorer> => Layer.succeed(Scorer, make(options))

/** The scorer as a layer; the key comes from `TOGETHER_API_KEY` or `OPENAI_API_KEY` by provider. */
export const layerConfig = (options: Omit<LlmOptions, "apiKey">) =>
  Layer.effect(
    Scorer,
    Config.redacted(options.provider === "togetherai" ? "TOGETHER_API_KEY" : "OPENAI_API_KEY").pipe(
      Effect.map((apiKey) => make({ ...options, apiKey }))
    )
  )
