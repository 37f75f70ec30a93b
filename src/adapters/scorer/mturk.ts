/**
 * `aws_mturk`: the human-feedback scorer. Per request it posts one HIT (the escaped HTMLQuestion of
 * src/domain/mturk/formats.ts, terms of dojo.md §2.4, configurable), makes sure the HIT's type sends
 * AssignmentSubmitted to the SNS topic, and answers at once with the HIT and no ranks; the scores come
 * later through the Lambda → miner callback.
 *
 * Notifications are set once per HIT type (every HIT with the same terms shares one). If that call
 * fails the HIT is still returned (it exists and is paid for; the miner can read it at expiry) and
 * the next request tries again.
 */
import { createHash } from "node:crypto"
import { Config, type ConfigError, Effect, Layer, Ref } from "effect"
import { buildHtmlQuestion } from "../../domain/mturk/formats.ts"
import type { RankingRequest } from "../../domain/wire/protocol.ts"
import { defaultHitTerms, type HitTerms, MTurk, type MTurkError } from "../../services/mturk.ts"
import { Scorer, type ScoreOutcome, ScorerRejected, ScorerUnavailable } from "../../services/scorer.ts"

/** Settings of the `aws_mturk` scorer. */
export interface MTurkScorerOptions {
  /** `AWS_SNS_ARN_ID`: the SNS topic the Lambda listens on. */
  readonly snsTopicArn: string
  /** Overrides of `defaultHitTerms` (reward, assignments, lifetimes, texts). */
  readonly terms?: Partial<HitTerms>
  /** `model_config.model_name` the miner declares (default "human"). */
  readonly modelName?: string
}

/** MTurk refuses a Question over 128 KiB. */
const MAX_QUESTION_BYTES = 131_072

/** A CreateHIT token tied to the request's content, so an SDK retry cannot post (and pay for) it twice. */
const requestToken = (request: RankingRequest): string =>
  createHash("sha256")
    .update(JSON.stringify([request.request_id, request.prompt, request.completions.map((c) => [c.cid, c.text])]))
    .digest("hex")

const toScorerError = (e: MTurkError) =>
  e._tag === "MTurkRequestError" && e.turkErrorCode === "AWS.MechanicalTurk.HitAlreadyExists"
    ? new ScorerRejected({ method: "aws_mturk", message: `this request already has a HIT: ${e.message}` })
    : new ScorerUnavailable({
        method: "aws_mturk",
        message: `${e.operation} failed: ${e.message}${e._tag === "MTurkRequestError" && e.turkErrorCode ? ` (${e.turkErrorCode})` : ""}`
      })

/** Builds the scorer on an `MTurk` service. */
export const make = (options: MTurkScorerOptions) =>
  Effect.gen(function* () {
    const mturk = yield* MTurk
    const terms: HitTerms = { ...defaultHitTerms, ...options.terms }
    const notified = yield* Ref.make(new Set<string>())

    const ensureNotifications = (hitTypeId: string) =>
      Effect.gen(function* () {
        if ((yield* Ref.get(notified)).has(hitTypeId)) return
        yield* mturk.updateNotificationSettings({ hitTypeId, snsTopicArn: options.snsTopicArn })
        yield* Ref.update(notified, (s) => new Set(s).add(hitTypeId))
      }).pipe(
        Effect.catchAll((e) =>
          Effect.logError("aws_mturk: could not set SNS notifications; will retry on the next HIT").pipe(
            Effect.annotateLogs({ hit_type_id: hitTypeId, error: e.message })
          )
        )
      )

    const score = Effect.fn("MTurkScorer.score")(function* (request: RankingRequest) {
      const method = "aws_mturk" as const
      if (request.modality !== "text")
        return yield* new ScorerRejected({ method, message: `workers are shown text; cannot score ${request.modality}` })
      if (request.completions.length === 0)
        return yield* new ScorerRejected({ method, message: "no completions to score" })
      const question = buildHtmlQuestion({ prompt: request.prompt, completions: request.completions })
      if (Buffer.byteLength(question, "utf8") > MAX_QUESTION_BYTES)
        return yield* new ScorerRejected({ method, message: "prompt and completions are too long for one HIT (128 KiB)" })
      const hit = yield* mturk
        .createHit({
          ...terms,
          question,
          requesterAnnotation: `dojo request ${request.request_id}`.slice(0, 255),
          uniqueRequestToken: requestToken(request)
        })
        .pipe(Effect.mapError(toScorerError))
      yield* ensureNotifications(hit.hitTypeId)
      yield* Effect.logInfo("aws_mturk: HIT created").pipe(
        Effect.annotateLogs({ request_id: request.request_id, hit_id: hit.hitId, environment: mturk.environment })
      )
      return {
        ranks: [],
        unscored: [],
        mturkHit: { hitId: hit.hitId, expiresAt: hit.expiresAt, assignments: hit.maxAssignments }
      } satisfies ScoreOutcome
    })

    return Scorer.of({
      method: "aws_mturk",
      modelConfig: { provider: null, model_name: options.modelName ?? "human" },
      score
    })
  })

/** The scorer as a layer over an `MTurk` service. */
export const layer = (options: MTurkScorerOptions): Layer.Layer<Scorer, never, MTurk> =>
  Layer.effect(Scorer, make(options))

/** The scorer as a layer, with the SNS topic from `AWS_SNS_ARN_ID`. */
export const layerConfig = (options: Omit<MTurkScorerOptions, "snsTopicArn">): Layer.Layer<Scorer, ConfigError.ConfigError, MTurk> =>
  Layer.effect(
    Scorer,
    Effect.flatMap(Config.string("AWS_SNS_ARN_ID"), (snsTopicArn) => make({ ...options, snsTopicArn }))
  )
