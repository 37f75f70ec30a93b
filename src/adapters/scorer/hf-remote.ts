/**
 * `hf_model`, remote: scores each (prompt, completion) pair with a one-logit reward model behind a
 * Hugging Face Inference endpoint, through `@huggingface/inference`. One pair per call (the client only
 * returns the first result of a batch), calls run concurrently up to a bound. The SDK's own 503 retry
 * loops forever, so it is off and Effect retries 429/502/503/504, timeouts and connection failures
 * with a capped, jittered exponential schedule. score = sigmoid(logit).
 */
import { InferenceClient, InferenceClientProviderApiError, InferenceClientProviderOutputError } from "@huggingface/inference"
import { Config, Data, Duration, Effect, Layer, Option, Redacted } from "effect"
import type { Completion, RankingRequest, Rank } from "../../domain/wire/protocol.ts"
import { Scorer, type ScoreOutcome, ScorerRejected, ScorerUnavailable } from "../../services/scorer.ts"
import { defaultRetryPolicy, type RetryPolicy, retrySchedule } from "./upstream-retry.ts"

/** Settings of the remote `hf_model` scorer. */
export interface HfRemoteOptions {
  /** `--hf.endpoint_url`: the endpoint that serves the reward model (POSTed to exactly). */
  readonly endpointUrl: string
  /** `HF_TOKEN`, sent as a Bearer token; none for an open endpoint. */
  readonly token: Redacted.Redacted<string> | undefined
  /** The model the endpoint serves, as declared in `model_config.model_name`. */
  readonly modelName: string
  /** Calls in flight at once, over all requests together (default 8). */
  readonly concurrency?: number
  /** Time limit of one call (default 30 s); a timed-out call is retried. */
  readonly callTimeout?: Duration.DurationInput
  /** Backoff for transient failures (default `defaultRetryPolicy`). */
  readonly retry?: RetryPolicy
}

/** Why one pair could not be scored (no secrets: messages are built here, not copied from the SDK). */
class PairFailure extends Data.TaggedError("PairFailure")<{
  readonly transient: boolean
  readonly message: string
}> {}

const TRANSIENT_STATUSES = new Set([429, 502, 503, 504])

const classify = (error: unknown): PairFailure => {
  if (error instanceof InferenceClientProviderApiError) {
    const status = error.httpResponse.status
    const body = error.httpResponse.body
    const detail = typeof body === "string" ? body : JSON.stringify(body)
    return new PairFailure({ transient: TRANSIENT_STATUSES.has(status), message: `HTTP ${status}: ${detail.slice(0, 200)}` })
  }
  if (error instanceof InferenceClientProviderOutputError || error instanceof SyntaxError)
    return new PairFailure({ transient: false, message: "malformed answer (expected [[{label, score}]] as JSON)" })
  // fetch rejects with a TypeError / system error when the endpoint cannot be reached.
  const name = error instanceof Error ? error.name : typeof error
  return new PairFailure({ transient: true, message: `endpoint unreachable (${name})` })
}

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)))

/** Builds the scorer service for one endpoint. */
export const make = (options: HfRemoteOptions): Scorer["Type"] => {
  const client = new InferenceClient(options.token === undefined ? "" : Redacted.value(options.token), {
    endpointUrl: options.endpointUrl,
    retry_on_error: false
  })
  const timeout = Duration.decode(options.callTimeout ?? "30 seconds")
  const schedule = retrySchedule(options.retry ?? defaultRetryPolicy)
  // One bound for the whole scorer, so concurrent requests do not multiply the load on the endpoint.
  const inFlight = Effect.unsafeMakeSemaphore(options.concurrency ?? 8)

  const logitOnce = (prompt: string, completion: Completion) =>
    Effect.tryPromise({
      try: (signal) =>
        client.textClassification(
          {
            // The endpoint takes a text pair; the SDK's type only knows a single string.
            inputs: { text: prompt, text_pair: completion.text } as unknown as string,
            parameters: { function_to_apply: "none" }
          },
          { retry_on_error: false, signal }
        ),
      catch: classify
    }).pipe(
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () => new PairFailure({ transient: true, message: `no answer within ${Duration.format(timeout)}` })
      }),
      Effect.flatMap((output) => {
        const only = output.length === 1 ? output[0] : undefined
        return only !== undefined && Number.isFinite(only.score)
          ? Effect.succeed(only.score)
          : Effect.fail(
              new PairFailure({ transient: false, message: `expected one finite logit, got ${output.length} labels` })
            )
      })
    )

  const scorePair = (prompt: string, completion: Completion) =>
    inFlight.withPermits(1)(logitOnce(prompt, completion)).pipe(
      Effect.retry({ schedule, while: (e) => e.transient }),
      Effect.map((logit): Rank => ({ cid: completion.cid, score: sigmoid(logit) })),
      Effect.either
    )

  const score = Effect.fn("HfRemoteScorer.score")(function* (request: RankingRequest) {
    if (request.modality !== "text")
      return yield* new ScorerRejected({ method: "hf_model", message: `a text reward model cannot score ${request.modality}` })
    const results = yield* Effect.forEach(request.completions, (c) => scorePair(request.prompt, c), {
      concurrency: "unbounded"
    })
    const ranks: Rank[] = []
    const unscored: string[] = []
    const failures: PairFailure[] = []
    for (const [i, result] of results.entries()) {
      const cid = request.completions[i]!.cid
      if (result._tag === "Right") ranks.push(result.right)
      else {
        unscored.push(cid)
        failures.push(result.left)
        yield* Effect.logWarning("hf_model: completion left unscored").pipe(
          Effect.annotateLogs({ request_id: request.request_id, cid, reason: result.left.message })
        )
      }
    }
    // Nothing scored because the endpoint is down or overloaded: say so instead of answering empty.
    if (ranks.length === 0 && failures.some((f) => f.transient))
      return yield* new ScorerUnavailable({
        method: "hf_model",
        message: `0 of ${unscored.length} completions scored: ${failures[0]!.message}`
      })
    const outcome: ScoreOutcome = { ranks, unscored, mturkHit: null }
    return outcome
  })

  return { method: "hf_model", modelConfig: { provider: null, model_name: options.modelName }, score }
}

/** The scorer as a layer, from explicit options. */
export const layer = (options: HfRemoteOptions): Layer.Layer<Scorer> => Layer.succeed(Scorer, make(options))

/** The scorer as a layer, with `HF_TOKEN` (optional) read from the environment. */
export const layerConfig = (options: Omit<HfRemoteOptions, "token">): Layer.Layer<Scorer, never, never> =>
  Layer.effect(
    Scorer,
    Config.option(Config.redacted("HF_TOKEN")).pipe(
      Effect.orElseSucceed(() => Option.none<Redacted.Redacted<string>>()),
      Effect.map((token) => make({ ...options, token: Option.getOrUndefined(token) }))
    )
  )
