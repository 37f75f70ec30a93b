/**
 * The validator's own flags, with the original subnet's names and defaults: `--neuron.*` timing and
 * sampling, `--evaluation.*` for the hidden human-preference pairs, `--data.*` for where requests come from.
 */
import { Options } from "@effect/cli"
import { Config, Effect, Either, type Option } from "effect"
import { evaluationDatasets } from "../../domain/data/preference-datasets.ts"
import { parseSourceSpec } from "../../domain/data/source-spec.ts"
import { RewardRuleName } from "../../domain/scoring/reward-rule.ts"
import { defaultValidatorSettings as d } from "../../pipeline/validator/settings.ts"
import { atLeastFlag, httpUrlFlag, integerFlag, numberFlag, withNotedDefault } from "./checked-flags.ts"
import { UsageError } from "./usage-error.ts"

const positive = (flag: string, description: string, fallback: number) =>
  numberFlag(flag, (n) => n > 0, "a positive number").pipe(withNotedDefault(description, fallback))
const count = (flag: string, description: string, fallback: number) => atLeastFlag(flag, 1).pipe(withNotedDefault(description, fallback))
const fraction = (flag: string, description: string, fallback: number) =>
  numberFlag(flag, (n) => n >= 0 && n <= 1, "between 0 and 1").pipe(withNotedDefault(description, fallback))

/** Parsed validator flags. */
export interface ValidatorFlags {
  readonly stepSeconds: number
  readonly sampleSize: number
  readonly timeout: number
  readonly deadline: number
  readonly alpha: number
  readonly epochLength: Option.Option<number>
  readonly versionKey: number
  readonly mechanismId: number
  readonly vpermitTaoLimit: number
  readonly evaluationRate: number
  readonly rewardRule: RewardRuleName
  readonly selfMadeShare: number
  readonly windowHours: number
  readonly seed: string
  readonly evaluationDatasets: ReadonlyArray<string>
  readonly datasetsServerUrl: Option.Option<string>
  readonly mturkEndpoint: Option.Option<string>
}

/** The validator's flags. */
export const validatorOptions: Options.Options<ValidatorFlags> = Options.all({
  stepSeconds: positive("neuron.step_seconds", "Seconds between two queries", d.stepSeconds),
  sampleSize: count("neuron.sample_size", "Miners asked per request", d.sampleSize),
  timeout: positive("neuron.timeout", "Seconds a miner has to answer", d.queryTimeoutSeconds),
  deadline: positive("neuron.deadline", "Seconds before a request is scored (human feedback may arrive until then)", d.deadlineSeconds),
  alpha: fraction("neuron.moving_average_alpha", "Weight of a new reward in the score EMA", d.alpha),
  epochLength: atLeastFlag("neuron.epoch_length", 1).pipe(
    Options.withDescription("Blocks between weight settings (default: the subnet's tempo + 1)."),
    Options.optional
  ),
  versionKey: atLeastFlag("neuron.version_key", 0).pipe(
    Options.withDescription(`Version key sent with weights (default ${d.versionKey}).`),
    Options.withDefault(d.versionKey)
  ),
  // The chain's mechanism id is a u8.
  mechanismId: integerFlag("neuron.mechanism_id", (n) => n >= 0 && n <= 255, "0-255").pipe(
    Options.withDescription("Subnet mechanism (mecid) to set weights on; > 0 only on subnets with several mechanisms (default 0)."),
    Options.withDefault(0)
  ),
  vpermitTaoLimit: numberFlag("neuron.vpermit_tao_limit", (n) => n >= 0, "a non-negative number").pipe(
    Options.withDescription(`Stake (TAO) from which a permitted neuron counts as a validator and is not queried (default ${d.vpermitTaoLimit}).`),
    Options.withDefault(d.vpermitTaoLimit)
  ),
  evaluationRate: fraction("evaluation.rate", "Share of requests that are hidden human-preference pairs", d.evaluationRate),
  rewardRule: Options.choice("neuron.reward_rule", RewardRuleName.literals).pipe(
    Options.withDescription(
      "How miners are paid: new (accuracy credit above chance with a Wilson bound, agreement above noise, a consensus weighted by credit², " +
        "rewards squared and normalised so no work earns nothing) or original (the original subnet's softmax, plain mean and Laplace multiplier). Default new."
    ),
    Options.withDefault("new" as const)
  ),
  selfMadeShare: fraction(
    "evaluation.self_made_share",
    "Share of evaluations the validator makes itself from its seed data (a good completion against a corrupted copy); new rule only",
    d.selfMadeEvaluationShare
  ),
  windowHours: positive("evaluation.window_hours", "Hours of the accuracy window (reset when it ends)", d.evaluationWindowSeconds / 3600),
  seed: Options.text("data.seed").pipe(
    Options.withDescription("Where normal requests come from: a JSONL file or hf:<dataset>[?mapping=…] (default hf:Dahoas/synthetic-instruct-gptj-pairwise)."),
    Options.withFallbackConfig(Config.string("DOJO_DATA_SEED")),
    Options.withDefault("hf:Dahoas/synthetic-instruct-gptj-pairwise")
  ),
  evaluationDatasets: Options.text("evaluation.datasets").pipe(
    Options.withDescription("Comma-separated sources of human-preference pairs (default the five datasets of the original subnet)."),
    Options.withFallbackConfig(Config.string("DOJO_EVALUATION_DATASETS")),
    Options.withDefault(evaluationDatasets.map((e) => `hf:${e.dataset}`).join(",")),
    Options.map((s) => s.split(",").map((x) => x.trim()).filter((x) => x !== ""))
  ),
  datasetsServerUrl: httpUrlFlag("hf.datasets_server_url", "Base URL of the Hugging Face datasets-server rows API."),
  mturkEndpoint: httpUrlFlag("mturk.endpoint_url", "MTurk endpoint used to verify miners' HITs (default: the environment's AWS endpoint).")
})

/** Checks `--data.seed` and `--evaluation.datasets` before anything is read: each names a source, at least one evaluation source. */
export const checkDataSources = (flags: Pick<ValidatorFlags, "seed" | "evaluationDatasets">): Effect.Effect<void, UsageError> =>
  Effect.gen(function* () {
    if (flags.evaluationDatasets.length === 0)
      return yield* new UsageError({ message: "--evaluation.datasets names no source: give at least one JSONL file or hf:<dataset>" })
    const named = [["data.seed", flags.seed] as const, ...flags.evaluationDatasets.map((spec) => ["evaluation.datasets", spec] as const)]
    for (const [flag, spec] of named) {
      const parsed = parseSourceSpec(spec)
      if (Either.isLeft(parsed)) return yield* new UsageError({ message: `--${flag}: ${parsed.left}` })
    }
  })
