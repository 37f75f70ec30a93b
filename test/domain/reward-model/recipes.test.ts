import { describe, expect, setDefaultTimeout, test } from "bun:test"
import { rewardModelRecipes, trainRecipe } from "../../../src/domain/reward-model/recipes.ts"
import { accuracyOf, encodePreferences } from "../../../src/domain/reward-model/training.ts"
import { generateSyntheticPreferences } from "../../../src/domain/data/synthetic-preferences.ts"

// Model training and ONNX sessions take seconds when the shared 2-core machine is busy.
setDefaultTimeout(30_000)

describe("reward model recipes", () => {
  // scored like the validator's accuracy check: chosen vs rejected, no prompt
  const evalPairs = generateSyntheticPreferences({ count: 800, seed: 31337 }).map((p) => ({ chosen: p.chosen, rejected: p.rejected }))

  test("for any seed, accuracy follows the recipe order with clear gaps, and 'chance' is near 0.5", () => {
    for (const seed of [1, 2, 3]) {
      const acc = rewardModelRecipes.map((r) => {
        const t = trainRecipe(r, seed)
        return accuracyOf(t.model, encodePreferences(t.tokenizer, evalPairs)).accuracy
      })
      for (let i = 1; i < acc.length; i++) expect(acc[i]!).toBeGreaterThan(acc[i - 1]! + 0.05)
      expect(Math.abs(acc[0]! - 0.5)).toBeLessThan(0.1)
      expect(acc[acc.length - 1]!).toBeGreaterThan(0.9)
    }
  })
})
