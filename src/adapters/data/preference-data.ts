/**
 * The live PreferenceData layer: a seed source and one or more evaluation sources, each named by a
 * spec — a JSONL path (`data/pairs.jsonl`, `jsonl:…`) or a Hugging Face dataset (`hf:Anthropic/hh-rlhf`,
 * `hf:org/name?config=c&split=s&mapping=prompt=q,chosen=a,rejected=b`).
 */
import { FetchHttpClient, type FileSystem, type HttpClient } from "@effect/platform"
import { Effect, Either, Layer, Random, type Redacted } from "effect"
import { parseSourceSpec } from "../../domain/data/source-spec.ts"
import { PreferenceData, PreferenceDataError, type PreferenceSource } from "../../services/preference-data.ts"
import { hfRowsSource } from "./preference-hf-rows.ts"
import { jsonlSource } from "./preference-jsonl.ts"

export interface PreferenceDataOptions {
  readonly seed: string
  readonly evaluation: ReadonlyArray<string>
  readonly datasetsServerUrl?: string
  readonly hfToken?: Redacted.Redacted<string> | undefined
}

/** Builds one source from its spec. */
export const sourceFromSpec = (
  spec: string,
  options: Pick<PreferenceDataOptions, "datasetsServerUrl" | "hfToken"> = {}
): Effect.Effect<PreferenceSource, PreferenceDataError, FileSystem.FileSystem | HttpClient.HttpClient> =>
  Either.match(parseSourceSpec(spec), {
    onLeft: (message) => Effect.fail(new PreferenceDataError({ source: spec, message })),
    onRight: (parsed) =>
      parsed._tag === "Jsonl"
        ? jsonlSource(parsed.path)
        : hfRowsSource({
            dataset: parsed.dataset,
            mapping: parsed.mapping,
            ...(parsed.config === undefined ? {} : { config: parsed.config }),
            ...(parsed.split === undefined ? {} : { split: parsed.split }),
            ...(options.datasetsServerUrl === undefined ? {} : { baseUrl: options.datasetsServerUrl }),
            token: options.hfToken
          })
  })

/** Picks one of several sources at random for each item, so no dataset's position is predictable. */
const mixed = (sources: ReadonlyArray<PreferenceSource>): PreferenceSource => ({
  name: sources.map((s) => s.name).join("+"),
  next: Random.nextIntBetween(0, sources.length).pipe(Effect.flatMap((i) => sources[i]!.next))
})

/** The live layer (HTTP through fetch). */
export const layer = (options: PreferenceDataOptions): Layer.Layer<PreferenceData, PreferenceDataError, FileSystem.FileSystem> =>
  Layer.effect(
    PreferenceData,
    Effect.gen(function* () {
      if (options.evaluation.length === 0)
        return yield* new PreferenceDataError({ source: "evaluation", message: "at least one evaluation source is needed" })
      const seed = yield* sourceFromSpec(options.seed, options)
      const evaluation = yield* Effect.forEach(options.evaluation, (spec) => sourceFromSpec(spec, options))
      return { seed, evaluation: mixed(evaluation) }
    })
  ).pipe(Layer.provide(FetchHttpClient.layer))
