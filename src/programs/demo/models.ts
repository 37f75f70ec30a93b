/**
 * The demo's miners' reward models: four small models of known, clearly different quality, trained in
 * well under a second each on synthetic preferences, exported as ONNX directories the `hf_model` scorer
 * loads, and measured on pairs none of them saw.
 */
import { Effect } from "effect"
import { join } from "node:path"
import { accuracyOf, encodePreferences } from "../../domain/reward-model/training.ts"
import { rewardModelRecipes, trainRecipe } from "../../domain/reward-model/recipes.ts"
import { generateSyntheticPreferences } from "../../domain/data/synthetic-preferences.ts"
import { exportRewardModel, trainingFacts } from "../../adapters/data/reward-model-export.ts"

/** A trained, exported model and its accuracy on fresh pairs. */
export interface DemoModel {
  readonly name: string
  readonly dir: string
  readonly accuracy: number
}

/** Seed of the evaluation pairs: far from the training seeds, so no model saw them. */
const EVALUATION_SEED = 9_001

/** Trains and exports every recipe under `root`, and measures each on 2,000 unseen pairs. */
export const trainDemoModels = Effect.fn("demo.trainModels")(function* (root: string, seed: number) {
  const fresh = generateSyntheticPreferences({ count: 2000, seed: EVALUATION_SEED + seed })
  const models: DemoModel[] = []
  for (const [i, recipe] of rewardModelRecipes.entries()) {
    const trained = trainRecipe(recipe, seed + i)
    const dir = join(root, `reward-model-${recipe.name}`)
    yield* exportRewardModel(dir, { model: trained.model, tokenizer: trained.tokenizer, training: trainingFacts(trained) })
    models.push({ name: recipe.name, dir, accuracy: accuracyOf(trained.model, encodePreferences(trained.tokenizer, fresh)).accuracy })
  }
  return models
})

/** JSONL lines of synthetic pairs ({prompt, chosen, rejected}), for the validators' data sources. */
export const syntheticPairsJsonl = (count: number, seed: number): string =>
  generateSyntheticPreferences({ count, seed })
    .map((p) => JSON.stringify({ prompt: p.prompt, chosen: p.chosen, rejected: p.rejected }))
    .join("\n")
