/**
 * The scoring API's handlers: `ScoreApi` (score-api.ts) served over the validator store and the scoring
 * pipeline (pipeline/validator/score-api.ts). The checks run in the order score-api.ts documents; here
 * the API key is looked up, the body read and parsed within its limits, and the pipeline's outcomes
 * become the API's errors. Nothing is stored unless every check passes.
 */
import { HttpApiBuilder, HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Either, Layer, Option, ParseResult, Redacted, Schema } from "effect"
import { parseLimitedJson, refusalText } from "../../domain/wire/json-limits.ts"
import { ApiKeyStore } from "../../services/api-key-store.ts"
import { finalResult, scoreNow } from "../../pipeline/validator/score-api.ts"
import { readRequestBody } from "./bounded-body.ts"
import { findKey, makeRateLimiter } from "./api-keys.ts"
import {
  ApiCaller,
  ApiKeyAuth,
  BadRequest,
  InternalError,
  MAX_BODY_BYTES,
  MinersUnavailable,
  NotFound,
  OPENAPI_PATH,
  PayloadTooLarge,
  RateLimited,
  SCORE_API_JSON_LIMITS,
  ScoreApi,
  ScoreRequestBody,
  Unauthorized
} from "./score-api.ts"

// ---------------------------------------------------------------------------------------------------
// Authentication

const BEARER = /^Bearer +(\S+) *$/i

/**
 * Reads the key from the request itself rather than from the decoded scheme, so that both schemes give
 * the same precise reason (the middleware tries them in turn and reports the last one's failure).
 */
const authenticate = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  const authorization = request.headers["authorization"]
  const header = request.headers["x-api-key"]
  let presented: Redacted.Redacted<string>
  if (authorization !== undefined) {
    const m = BEARER.exec(authorization)
    if (m === null) return yield* new Unauthorized({ message: "the Authorization header must be `Bearer <API key>`" })
    presented = Redacted.make(m[1]!)
  } else if (header !== undefined && header.trim() !== "") {
    presented = Redacted.make(header.trim())
  } else {
    return yield* new Unauthorized({ message: "missing API key: send `Authorization: Bearer <key>` or `x-api-key: <key>`" })
  }
  const found = yield* findKey(presented).pipe(
    Effect.catchTag("StoreError", (e) =>
      Effect.logError("API key lookup failed").pipe(
        Effect.annotateLogs({ error: e.message }),
        Effect.zipRight(Effect.fail(new InternalError({ message: "the validator could not check the API key; try again later" })))
      )
    )
  )
  if (Option.isNone(found)) return yield* new Unauthorized({ message: "unknown or revoked API key" })
  return found.value
})

/** `ApiKeyAuth` over the validator store. */
export const ApiKeyAuthLive: Layer.Layer<ApiKeyAuth, never, ApiKeyStore> = Layer.effect(
  ApiKeyAuth,
  Effect.gen(function* () {
    const store = yield* ApiKeyStore
    const run = Effect.provideService(authenticate, ApiKeyStore, store)
    return ApiKeyAuth.of({ bearer: () => run, apiKey: () => run })
  })
)

// ---------------------------------------------------------------------------------------------------
// Handlers

/** Reads at most `limit` bytes of body; larger ones fail with 413 whether or not a content-length was sent. */
const readBody = (request: HttpServerRequest.HttpServerRequest, limit: number) =>
  readRequestBody(request, limit).pipe(
    Effect.mapError((e) =>
      e._tag === "BodyTooLarge"
        ? new PayloadTooLarge({ limit_bytes: limit, message: `the body is larger than ${limit} bytes` })
        : new BadRequest({ field: "body", message: "body: could not be read" })
    )
  )

/** `completions[3]`, `prompt`, or `body` for the whole. */
const fieldName = (path: ReadonlyArray<PropertyKey>): string =>
  path.length === 0 ? "body" : path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("")

const truncate = (s: string, max = 200): string => (s.length <= max ? s : `${s.slice(0, max)}…`)

// Unknown fields are refused, as the OpenAPI document says (`additionalProperties: false`): a misspelt
// field is named rather than silently ignored.
const decodeScoreRequest = Schema.decodeUnknown(ScoreRequestBody, { onExcessProperty: "error" })

/** The body as a score request, or a 400 naming the first bad field (limits first, then JSON, then the schema). */
const parseScoreRequest = (bytes: Uint8Array) =>
  Effect.gen(function* () {
    const json = parseLimitedJson(bytes, SCORE_API_JSON_LIMITS)
    if (Either.isLeft(json)) return yield* new BadRequest({ field: json.left.field, message: truncate(refusalText(json.left)) })
    return yield* decodeScoreRequest(json.right).pipe(
      Effect.mapError((error) => {
        const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
        const field = fieldName(issue?.path ?? [])
        return new BadRequest({ field, message: `${field}: ${truncate(issue?.message ?? "invalid")}` })
      })
    )
  })

const retryAfter = (seconds: number) =>
  HttpApp.appendPreResponseHandler((_request, response) => Effect.succeed(HttpServerResponse.setHeader(response, "retry-after", String(seconds))))

/** The handlers, with one rate limiter for the life of the server. */
export const ScoreGroupLive = HttpApiBuilder.group(ScoreApi, "score", (handlers) =>
  Effect.gen(function* () {
    const limiter = yield* makeRateLimiter
    return handlers
      .handleRaw("score", ({ request }) =>
        Effect.gen(function* () {
          const caller = yield* ApiCaller
          const decision = yield* limiter.take(caller.id, caller.rateLimitPerMinute)
          if (decision._tag === "Limited") {
            yield* retryAfter(decision.retryAfterSeconds)
            return yield* new RateLimited({
              retry_after_seconds: decision.retryAfterSeconds,
              message: `rate limit of ${caller.rateLimitPerMinute} requests per minute reached; retry in ${decision.retryAfterSeconds} s`
            })
          }
          const body = yield* readBody(request, MAX_BODY_BYTES).pipe(Effect.flatMap(parseScoreRequest))
          const scored = yield* scoreNow({ prompt: body.prompt, completions: body.completions, apiKeyId: caller.id }).pipe(
            Effect.catchAll((e): Effect.Effect<never, MinersUnavailable | InternalError> => {
              if (e._tag === "NoMinersAnswered") return Effect.fail(new MinersUnavailable({ message: e.message }))
              const transient = e._tag === "ChainTimeout" || e._tag === "ChainUnavailable"
              return Effect.logError("scoring request failed").pipe(
                Effect.annotateLogs({ error: e.message, api_key_id: caller.id }),
                Effect.zipRight(
                  Effect.fail(
                    transient
                      ? new MinersUnavailable({ message: "the validator cannot reach the chain right now; nothing was stored, try again later" })
                      : new InternalError({ message: "the validator failed to score the request; nothing was stored" })
                  )
                )
              )
            })
          )
          return {
            request_id: scored.requestId,
            cid_to_consensus: scored.consensus.cid_to_consensus,
            hotkey_to_score: scored.consensus.hotkey_to_score,
            completions: scored.completions,
            responses: scored.responses,
            queried: scored.queried,
            deadline_at: scored.deadlineAt
          }
        })
      )
      .handle("result", ({ path }) =>
        Effect.gen(function* () {
          const caller = yield* ApiCaller
          const found = yield* finalResult(path.id, caller.id).pipe(
            Effect.catchTag("StoreError", (e) =>
              Effect.logError("reading a request failed").pipe(
                Effect.annotateLogs({ error: e.message }),
                Effect.zipRight(Effect.fail(new InternalError({ message: "the validator could not read the request; try again later" })))
              )
            )
          )
          if (Option.isNone(found)) return yield* new NotFound({ message: `no request ${JSON.stringify(truncate(path.id, 80))} for this API key` })
          const r = found.value
          return {
            request_id: r.requestId,
            status: r.status,
            deadline_at: r.deadlineAt,
            ...(r.result === undefined
              ? {}
              : { result: { cid_to_consensus: r.result.cid_to_consensus, hotkey_to_score: r.result.hotkey_to_score, scored_at: r.result.scoredAt } })
          }
        })
      )
  })
)

/** The API's routes, handlers and OpenAPI document, sharing one router. */
const ScoreApiLive = HttpApiBuilder.middlewareOpenApi({ path: OPENAPI_PATH }).pipe(
  Layer.provideMerge(HttpApiBuilder.api(ScoreApi)),
  Layer.provide(ScoreGroupLive),
  Layer.provide(ApiKeyAuthLive),
  Layer.provideMerge(HttpApiBuilder.Router.Live),
  Layer.provideMerge(HttpApiBuilder.Middleware.layer)
)

/** Builds the scoring API as one `HttpApp` (routes under `/api/v1`), living as long as the scope. */
export const makeScoreApiApp = Effect.gen(function* () {
  const context = yield* Layer.build(ScoreApiLive)
  return yield* Effect.provide(HttpApiBuilder.httpApp, context)
})
