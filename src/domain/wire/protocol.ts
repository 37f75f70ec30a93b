/**
 * Dojo's protocol: the bodies of the three synapses and their parts, with the wire's snake_case field
 * names. Decoding checks what a peer could get wrong (ids, counts, finite scores) so a handler only ever
 * sees a consistent request.
 */
import { Schema } from "effect"

/** How a miner produced its scores. */
export const ScoringMethod = Schema.Literal("hf_model", "llm_api", "aws_mturk")
export type ScoringMethod = typeof ScoringMethod.Type

/** When two responses from one miner meet, the higher priority wins (human feedback beats models). */
export const scoringMethodPriority: Readonly<Record<ScoringMethod, number>> = {
  llm_api: 0,
  hf_model: 1,
  aws_mturk: 2
}

/** LLM API providers an `llm_api` miner can use. */
export const Provider = Schema.Literal("togetherai", "openai")
export type Provider = typeof Provider.Type

/** What is being scored. */
export const Modality = Schema.Literal("text", "image")
export type Modality = typeof Modality.Type

const NonEmptyId = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128))

/**
 * A request id: any string, as the Python classes declare it (`request_id: str`), the empty one included.
 * Uniqueness is the sender's business; the axon's body limit bounds its length.
 */
export const RequestId = Schema.String

/** One completion to score, named by a completion id (cid) unique within its request. */
export const Completion = Schema.Struct({
  cid: NonEmptyId,
  text: Schema.String
})
export type Completion = typeof Completion.Type

/** A miner's score for one completion. */
export const Rank = Schema.Struct({
  cid: NonEmptyId,
  score: Schema.optionalWith(Schema.Finite, { default: () => 0 })
})
export type Rank = typeof Rank.Type

/** The model a miner says it used. */
export const ModelConfig = Schema.Struct({
  provider: Schema.optionalWith(Schema.NullOr(Provider), { default: () => null }),
  model_name: Schema.String
})
export type ModelConfig = typeof ModelConfig.Type

const nullable = <S extends Schema.Schema.Any>(schema: S) =>
  Schema.optionalWith(Schema.NullOr(schema), { default: () => null })

const RankingRequestFields = {
  /** Unix seconds when the validator created the request; older requests are served first. */
  epoch_timestamp: Schema.Finite,
  request_id: RequestId,
  prompt: Schema.String,
  n_completions: Schema.Int.pipe(Schema.nonNegative()),
  completions: Schema.Array(Completion),
  ranks: Schema.optionalWith(Schema.Array(Rank), { default: () => [] }),
  scoring_method: nullable(ScoringMethod),
  model_config: nullable(ModelConfig),
  mturk_hit_id: nullable(Schema.String),
  modality: Schema.optionalWith(Modality, { default: () => "text" as const })
}

const uniqueCids = (items: ReadonlyArray<{ readonly cid: string }>): string | undefined => {
  const seen = new Set<string>()
  for (const { cid } of items) {
    if (seen.has(cid)) return cid
    seen.add(cid)
  }
  return undefined
}

const RankingRequestStruct = Schema.Struct(RankingRequestFields).pipe(
  Schema.filter((r) => {
    if (r.n_completions !== r.completions.length)
      return `n_completions is ${r.n_completions} but completions has ${r.completions.length} items`
    const dupCompletion = uniqueCids(r.completions)
    if (dupCompletion !== undefined) return `completions: cid ${JSON.stringify(dupCompletion)} appears twice`
    const dupRank = uniqueCids(r.ranks)
    if (dupRank !== undefined) return `ranks: cid ${JSON.stringify(dupRank)} appears twice`
    const known = new Set(r.completions.map((c) => c.cid))
    const stray = r.ranks.find((rank) => !known.has(rank.cid))
    if (stray !== undefined) return `ranks: cid ${JSON.stringify(stray.cid)} is not one of the completions`
    return true
  })
)

/**
 * A validator's request to score completions, and the miner's answer in `ranks`. Python 9.x peers send
 * `model_config` as `model_config_` (a pydantic v2 reserved name); both are accepted, `model_config` is written.
 */
export const RankingRequest = Schema.transform(
  Schema.Struct({
    ...RankingRequestFields,
    model_config_: Schema.optional(Schema.NullOr(ModelConfig))
  }),
  Schema.typeSchema(RankingRequestStruct),
  {
    strict: true,
    decode: ({ model_config_, ...rest }) => ({
      ...rest,
      model_config: rest.model_config ?? model_config_ ?? null
    }),
    encode: (r) => r
  }
)
export type RankingRequest = typeof RankingRequest.Type

/** The consensus a validator reached on one request, sent back to every participant. */
export const RankingResult = Schema.Struct({
  request_id: RequestId,
  cid_to_consensus: Schema.Record({ key: Schema.String, value: Schema.Finite }),
  hotkey_to_score: Schema.Record({ key: Schema.String, value: Schema.Finite })
})
export type RankingResult = typeof RankingResult.Type

/** MTurk environments. */
export const MTurkEnvironment = Schema.Literal("sandbox", "production")
export type MTurkEnvironment = typeof MTurkEnvironment.Type

/**
 * Short-lived AWS credentials, scoped to ListAssignmentsForHIT on the miner's account, so the validator
 * can check the HIT with MTurk itself. Secrets decode into `Redacted` so they never print.
 */
export const AWSCredentials = Schema.Struct({
  access_key_id: Schema.String,
  secret_access_key: Schema.Redacted(Schema.String),
  session_token: Schema.Redacted(Schema.String),
  /** ISO-8601; a string, because the Python dendrite cannot serialise a datetime. */
  access_expiration: Schema.String,
  environment: MTurkEnvironment
})
export type AWSCredentials = typeof AWSCredentials.Type

/**
 * A miner's human-feedback result for a request it answered with an MTurk HIT. The Python class has the
 * first three fields only; `request_id` is ours and optional (a Python miner never sends it, and a Python
 * validator ignores it): without it the validator finds the request by the sender's HIT id.
 */
export const MTurkResponse = Schema.Struct({
  mturk_hit_id: NonEmptyId,
  aws_credentials: nullable(AWSCredentials),
  completion_id_to_score: Schema.Record({ key: Schema.String, value: Schema.Finite }),
  /** The request the HIT was made for; saves the validator a lookup by HIT id. */
  request_id: nullable(RequestId)
})
export type MTurkResponse = typeof MTurkResponse.Type
