/**
 * The miner's own flags, with the original subnet's names: `--scoring_method`, `--model_name`,
 * `--llm_provider`, `--aws_mturk_environment`, plus `--hf.*` (local model or Inference endpoint),
 * `--mturk.*` (HIT terms, endpoint overrides) and `--blacklist.min_stake`. Secrets come only from the
 * environment: HF_TOKEN, TOGETHER_API_KEY / OPENAI_API_KEY, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
 * AWS_SNS_ARN_ID, AWS_ASSUME_ROLE_ARN, DOJO_CALLBACK_SECRET.
 */
import { Options } from "@effect/cli"
import { Option } from "effect"
import { MTurkEnvironment, Provider, ScoringMethod } from "../../domain/wire/protocol.ts"
import { defaultMinerSettings } from "../../pipeline/miner/settings.ts"
import { defaultHitTerms } from "../../services/mturk.ts"
import { atLeastFlag, httpUrlFlag, numberFlag, withNotedDefault } from "./checked-flags.ts"

/** Parsed miner flags. */
export interface MinerFlags {
  readonly scoringMethod: ScoringMethod
  readonly modelName: Option.Option<string>
  readonly hfEndpointUrl: Option.Option<string>
  readonly hfBatchSize: number
  readonly llmProvider: Provider
  readonly llmBaseUrl: Option.Option<string>
  readonly mturkEnvironment: Option.Option<MTurkEnvironment>
  readonly mturkEndpointUrl: Option.Option<string>
  readonly stsEndpointUrl: Option.Option<string>
  readonly mturkReward: string
  readonly mturkMaxAssignments: number
  readonly mturkLifetime: number
  readonly mturkAssignmentDuration: number
  readonly minStake: number
  readonly randomScores: boolean
}

const atLeast = (flag: string, min: number, description: string, fallback: number) => atLeastFlag(flag, min).pipe(withNotedDefault(description, fallback))

const url = httpUrlFlag

/** The miner's flags. */
export const minerOptions: Options.Options<MinerFlags> = Options.all({
  scoringMethod: Options.choice("scoring_method", ScoringMethod.literals).pipe(
    Options.withDescription(
      "How completions are scored: hf_model (a reward model, local ONNX or --hf.endpoint_url), llm_api (TogetherAI/OpenAI) or aws_mturk (human workers)."
    )
  ),
  modelName: Options.text("model_name").pipe(
    Options.withDescription(
      "hf_model: a local model directory or Hugging Face model id (default OpenAssistant/reward-model-deberta-v3-large-v2); " +
        "llm_api: the model (default mistralai/Mixtral-8x7B-Instruct-v0.1 on TogetherAI)."
    ),
    Options.optional
  ),
  hfEndpointUrl: url("hf.endpoint_url", "hf_model: score through this Hugging Face Inference endpoint (token from HF_TOKEN) instead of locally."),
  hfBatchSize: atLeast("hf.batch_size", 1, "hf_model local: pairs per forward pass", 16),
  llmProvider: Options.choice("llm_provider", Provider.literals).pipe(
    Options.withDescription("llm_api: togetherai (TOGETHER_API_KEY) or openai (OPENAI_API_KEY), default togetherai."),
    Options.withDefault("togetherai" as const)
  ),
  llmBaseUrl: url("llm.base_url", "llm_api: an OpenAI-compatible API URL instead of the provider's."),
  mturkEnvironment: Options.choice("aws_mturk_environment", MTurkEnvironment.literals).pipe(
    Options.withDescription("aws_mturk: sandbox or production (required with aws_mturk); keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY."),
    Options.optional
  ),
  mturkEndpointUrl: url("mturk.endpoint_url", "aws_mturk: MTurk requester endpoint override (default: the environment's)."),
  stsEndpointUrl: url("sts.endpoint_url", "aws_mturk: STS endpoint override for the validators' verification credentials."),
  mturkReward: Options.text("mturk.reward").pipe(
    Options.filterMap((s) => (/^\d+\.\d{2}$/.test(s) ? Option.some(s) : Option.none()), "--mturk.reward must be dollars like 0.01"),
    Options.withDescription(`aws_mturk: reward per assignment in USD (default ${defaultHitTerms.reward}).`),
    Options.withDefault(defaultHitTerms.reward)
  ),
  mturkMaxAssignments: atLeast("mturk.max_assignments", 1, "aws_mturk: workers per HIT", defaultHitTerms.maxAssignments),
  mturkLifetime: atLeast("mturk.lifetime", 30, "aws_mturk: seconds a HIT is offered", defaultHitTerms.lifetimeSeconds),
  mturkAssignmentDuration: atLeast("mturk.assignment_duration", 30, "aws_mturk: seconds a worker has per assignment", defaultHitTerms.assignmentDurationSeconds),
  minStake: numberFlag("blacklist.min_stake", (n) => n >= 0, "a non-negative number").pipe(
    Options.withDescription(`Least stake (TAO) a caller needs besides a validator permit (default ${defaultMinerSettings.minStake}).`),
    Options.withDefault(defaultMinerSettings.minStake)
  ),
  randomScores: Options.boolean("demo.random_scores").pipe(
    Options.withDescription(
      "Demo only: answer with uniform random scores instead of the scoring method's (a cheater, to show that the incentive rule pays it nothing). Never on a real subnet."
    )
  )
})

/** The HF model used when `--model_name` is not given (dojo.md §2.2's default). */
export const DEFAULT_HF_MODEL = "OpenAssistant/reward-model-deberta-v3-large-v2"
