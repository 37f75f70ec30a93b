/**
 * The scoring API for applications, as an `@effect/platform` HttpApi (so its OpenAPI document comes from
 * the same definitions that decode and encode):
 *
 * - `POST /api/v1/score` `{prompt, completions: [2..32 strings of ≤ 32 KiB]}` → the consensus of the
 *   miners that answered within the timeout, the request id and the cids given to the completions.
 * - `GET /api/v1/score/{id}` → `pending` until the request is scored after its deadline, then the final
 *   consensus; only for the key that created it (any other caller gets 404).
 * - `GET /api/v1/openapi.json` → the OpenAPI 3.1 document (no key needed).
 *
 * Every call needs an API key, `Authorization: Bearer <key>` or `x-api-key: <key>`. Checks run in this
 * order and nothing is stored unless all pass: key (401) → rate limit (429, with Retry-After) → body size
 * (413, before any parsing) → JSON limits over the raw bytes (depth, sizes, numbers, UTF-8: 400 naming the
 * field) → JSON and schema (400, naming the field) → miners (503 if none answered).
 *
 * This file is the API's definition (limits, bodies, errors with their statuses, security, routes): what
 * the OpenAPI document says. Its handlers are in score-api-handlers.ts.
 */
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, HttpApiSecurity, OpenApi } from "@effect/platform"
import { Context, Schema } from "effect"
import type { JsonLimits } from "../../domain/wire/json-limits.ts"
import type { ApiKey } from "../../services/api-key-store.ts"

/** Largest request body read (1 MiB); a larger one is refused before parsing. */
export const MAX_BODY_BYTES = 1024 * 1024
/** Largest completion, in UTF-8 bytes (32 KiB). */
export const MAX_COMPLETION_BYTES = 32 * 1024
/** Fewest and most completions per request. */
export const MIN_COMPLETIONS = 2
export const MAX_COMPLETIONS = 32
/** Largest prompt, in UTF-8 bytes (64 KiB). */
export const MAX_PROMPT_BYTES = 64 * 1024

/**
 * What the body may contain, checked over its raw bytes before parsing (a score request nests 2 levels).
 * The fields' own limits (completions, their sizes, the prompt) are the schema's, with exact messages;
 * these only bound the work on a hostile body.
 */
export const SCORE_API_JSON_LIMITS: JsonLimits = { maxDepth: 8, maxItems: 64, maxStringBytes: 6 * MAX_PROMPT_BYTES, maxNumberChars: 32 }

// ---------------------------------------------------------------------------------------------------
// Errors: each names its HTTP status; the body is the error's JSON (`_tag`, `message`, …).

/** The body is not JSON or not a valid score request; `field` names what is wrong ("body" for the whole). */
export class BadRequest extends Schema.TaggedError<BadRequest>()(
  "BadRequest",
  { field: Schema.String, message: Schema.String },
  HttpApiSchema.annotations({ status: 400, description: "The body is not JSON or a field is invalid; `field` names it." })
) {}

/** No key, a malformed key, or a key that is unknown or revoked. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 401, description: "Missing, unknown or revoked API key." })
) {}

/** No such request for this key. */
export class NotFound extends Schema.TaggedError<NotFound>()(
  "NotFound",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 404, description: "No request with this id was made with this API key." })
) {}

/** The body is larger than `limit_bytes`. */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()(
  "PayloadTooLarge",
  { limit_bytes: Schema.Int, message: Schema.String },
  HttpApiSchema.annotations({ status: 413, description: "The body is larger than 1 MiB." })
) {}

/** The key used up its requests per minute; try again after `retry_after_seconds` (also in Retry-After). */
export class RateLimited extends Schema.TaggedError<RateLimited>()(
  "RateLimited",
  { retry_after_seconds: Schema.Int, message: Schema.String },
  HttpApiSchema.annotations({ status: 429, description: "Per-key rate limit reached; see the Retry-After header." })
) {}

/** No miner gave a usable answer in time (or the chain could not be read); nothing was stored. */
export class MinersUnavailable extends Schema.TaggedError<MinersUnavailable>()(
  "MinersUnavailable",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 503, description: "No miner answered within the timeout; nothing was stored." })
) {}

/** The validator failed (store or wallet); details are in its log, never in the answer. */
export class InternalError extends Schema.TaggedError<InternalError>()(
  "InternalError",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 500, description: "The validator failed; nothing was stored." })
) {}

// ---------------------------------------------------------------------------------------------------
// Bodies

const utf8Bytes = (s: string): number => Buffer.byteLength(s, "utf8")

const CompletionText = Schema.String.pipe(
  Schema.filter((s) => utf8Bytes(s) <= MAX_COMPLETION_BYTES || `is ${utf8Bytes(s)} bytes of UTF-8; the limit is ${MAX_COMPLETION_BYTES}`, {
    description: `a completion, at most ${MAX_COMPLETION_BYTES} bytes of UTF-8`,
    jsonSchema: { maxLength: MAX_COMPLETION_BYTES }
  })
)

/** `POST /api/v1/score` body. */
export const ScoreRequestBody = Schema.Struct({
  prompt: Schema.String.pipe(
    Schema.filter((s) => utf8Bytes(s) <= MAX_PROMPT_BYTES || `is ${utf8Bytes(s)} bytes of UTF-8; the limit is ${MAX_PROMPT_BYTES}`, {
      jsonSchema: { maxLength: MAX_PROMPT_BYTES }
    })
  ).annotations({ description: `The prompt the completions answer, at most ${MAX_PROMPT_BYTES} bytes of UTF-8.` }),
  completions: Schema.Array(CompletionText).pipe(
    Schema.minItems(MIN_COMPLETIONS, { message: () => `needs at least ${MIN_COMPLETIONS} completions` }),
    Schema.maxItems(MAX_COMPLETIONS, { message: () => `takes at most ${MAX_COMPLETIONS} completions` })
  ).annotations({ description: `${MIN_COMPLETIONS} to ${MAX_COMPLETIONS} completions to score.` })
}).annotations({ identifier: "ScoreRequest" })
export type ScoreRequestBody = typeof ScoreRequestBody.Type

const Scores = Schema.Record({ key: Schema.String, value: Schema.Number })

/** `POST /api/v1/score` answer. */
export const ScoreResponse = Schema.Struct({
  request_id: Schema.String,
  cid_to_consensus: Scores.annotations({ description: "Per completion id, the mean of the answering miners' scores in [0, 1]." }),
  hotkey_to_score: Scores.annotations({ description: "Per answering miner, its agreement with the consensus (softmax; sums to 1)." }),
  completions: Schema.Array(Schema.Struct({ cid: Schema.String, text: Schema.String })).annotations({
    description: "The completion ids, in the order the completions were sent."
  }),
  responses: Schema.Int.annotations({ description: "Miners whose answers were kept." }),
  queried: Schema.Int.annotations({ description: "Miners asked." }),
  deadline_at: Schema.Number.annotations({ description: "Unix seconds after which the request is scored again (GET /api/v1/score/{id})." })
}).annotations({ identifier: "ScoreResponse" })

/** `GET /api/v1/score/{id}` answer. */
export const ScoreStatus = Schema.Struct({
  request_id: Schema.String,
  status: Schema.Literal("pending", "scored"),
  deadline_at: Schema.Number,
  result: Schema.optional(
    Schema.Struct({
      cid_to_consensus: Scores,
      hotkey_to_score: Scores,
      scored_at: Schema.Number.annotations({ description: "Unix seconds of the final scoring." })
    })
  )
}).annotations({ identifier: "ScoreStatus" })

// ---------------------------------------------------------------------------------------------------
// Authentication

/** The key of the authenticated caller (provided to the handlers by `ApiKeyAuth`). */
export class ApiCaller extends Context.Tag("dojo/ApiCaller")<ApiCaller, ApiKey>() {}

/** Bearer token or `x-api-key` header; both name the same key. */
export class ApiKeyAuth extends HttpApiMiddleware.Tag<ApiKeyAuth>()("dojo/ApiKeyAuth", {
  failure: Schema.Union(Unauthorized, InternalError),
  provides: ApiCaller,
  security: {
    bearer: HttpApiSecurity.bearer,
    apiKey: HttpApiSecurity.apiKey({ in: "header", key: "x-api-key" })
  }
}) {}

// ---------------------------------------------------------------------------------------------------
// The API

/** The scoring endpoints. */
export class ScoreGroup extends HttpApiGroup.make("score")
  .add(
    HttpApiEndpoint.post("score", "/score")
      .setPayload(ScoreRequestBody)
      .addSuccess(ScoreResponse)
      .addError(BadRequest)
      .addError(PayloadTooLarge)
      .addError(RateLimited)
      .addError(MinersUnavailable)
      .addError(InternalError)
      .annotate(OpenApi.Summary, "Score completions now with the miners that answer in time")
  )
  .add(
    HttpApiEndpoint.get("result", "/score/:id")
      .setPath(Schema.Struct({ id: Schema.String }))
      .addSuccess(ScoreStatus)
      .addError(NotFound)
      .addError(InternalError)
      .annotate(OpenApi.Summary, "The final result of a request, after its deadline")
  )
  .middleware(ApiKeyAuth)
  .prefix("/api/v1") {}

/** The scoring API. */
export class ScoreApi extends HttpApi.make("dojo-score")
  .add(ScoreGroup)
  .annotate(OpenApi.Title, "Dojo scoring API")
  .annotate(OpenApi.Version, "1")
  .annotate(
    OpenApi.Description,
    "Scores an application's completions with the consensus of a Dojo subnet's miners. Keys are created with `bun run src/programs/api-keys.ts create`."
  ) {}

/** Where the OpenAPI document is served. */
export const OPENAPI_PATH = "/api/v1/openapi.json"

