/**
 * The `Scorer` port: how a miner turns a RankingRequest into scores. One implementation per scoring
 * method (hf_model local or remote, llm_api, aws_mturk), selected by the miner's `--scoring_method`.
 */
import { Context, Data, type Effect } from "effect"
import type { ModelConfig, RankingRequest, Rank, ScoringMethod } from "../domain/wire/protocol.ts"

/** What a scorer produced for one request. */
export interface ScoreOutcome {
  /** One rank per completion it could score (model methods: scores in [0, 1]); empty for aws_mturk. */
  readonly ranks: ReadonlyArray<Rank>
  /** Completion ids it could not score (named in logs; never given fabricated ranks). */
  readonly unscored: ReadonlyArray<string>
  /** For aws_mturk: the HIT created for this request; the human scores arrive later. */
  readonly mturkHit: { readonly hitId: string; readonly expiresAt: number; readonly assignments: number } | null
}

/** The upstream (model server, LLM API, MTurk) could not be reached or kept failing after retries. */
export class ScorerUnavailable extends Data.TaggedError("ScorerUnavailable")<{
  readonly method: ScoringMethod
  readonly message: string
}> {}

/** The request cannot be scored by this method (e.g. an image request for a text model). */
export class ScorerRejected extends Data.TaggedError("ScorerRejected")<{
  readonly method: ScoringMethod
  readonly message: string
}> {}

export type ScorerError = ScorerUnavailable | ScorerRejected

/** What the `Scorer` service offers. */
export interface ScorerShape {
  readonly method: ScoringMethod
  readonly modelConfig: ModelConfig
  readonly score: (request: RankingRequest) => Effect.Effect<ScoreOutcome, ScorerError>
}

/** Scores completions for the miner. */
export class Scorer extends Context.Tag("dojo/Scorer")<Scorer, ScorerShape>() {}
