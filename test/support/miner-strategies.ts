/**
 * Miner strategies for the adversarial simulation: honest reward models of graded quality (the demo's
 * recipes, scored in process exactly as the exported model would score) and cheaters that do no real
 * work — uniform random, a constant, first/last completion wins, length and prompt-overlap heuristics,
 * echoing the consensus of earlier RankingResults, and looking evaluation pairs up in the public dataset.
 *
 * Random draws come from a generator seeded by the run's seed, the strategy and the request's *texts*
 * (not its ids): the same request content gets the same answer in every run, so two runs that differ
 * only in who else takes part (with and without a swarm) see the same cheaters.
 */
import type { PreferencePair } from "../../src/domain/data/preference-pair.ts"
import { makeRng, type Rng } from "../../src/domain/prng.ts"
import type { Rank, RankingRequest, RankingResult } from "../../src/domain/wire/protocol.ts"
import { textScorer } from "../../src/domain/reward-model/training.ts"
import { rewardModelRecipes, trainRecipe } from "../../src/domain/reward-model/recipes.ts"

/** What a strategy is, for the report. */
export type StrategyKind = "honest" | "cheater"

/** A miner's way of answering. */
export interface Strategy {
  readonly name: string
  readonly kind: StrategyKind
  /** Scores in [0, 1] for the request's completions. */
  readonly answer: (request: RankingRequest) => ReadonlyArray<Rank>
  /** Sees every RankingResult delivered to it (with the request it answered). */
  readonly learn?: (request: RankingRequest, result: RankingResult) => void
}

const contentRng = (seed: number, name: string, request: RankingRequest): Rng =>
  makeRng(`${seed}:${name}:${request.prompt}\u0000${request.completions.map((c) => c.text).sort().join("\u0000")}`)

/** Per completion a draw in [0, 1), given to texts in sorted order so the answer ignores the shown order. */
const drawsByText = (rng: Rng, request: RankingRequest): Map<string, number> => {
  const draws = new Map<string, number>()
  for (const text of request.completions.map((c) => c.text).sort()) if (!draws.has(text)) draws.set(text, rng())
  return draws
}

const byText = (request: RankingRequest, score: (text: string, index: number) => number): ReadonlyArray<Rank> =>
  request.completions.map((c, i) => ({ cid: c.cid, score: Math.min(1, Math.max(0, score(c.text, i))) }))

const words = (text: string) => text.toLowerCase().match(/[a-z]+/g) ?? []

/** An honest miner: a trained reward model. */
export const honest = (name: string, score: (prompt: string, text: string) => number): Strategy => ({
  name,
  kind: "honest",
  answer: (request) => byText(request, (text) => score(request.prompt, text))
})

/** Trains the demo's four recipes (chance, weak, medium, strong) with the run's seed, as honest miners. */
export const honestMiners = (seed: number): Array<Strategy> =>
  rewardModelRecipes.map((recipe, i) => honest(`honest-${recipe.name}`, textScorer(trainRecipe(recipe, seed + i))))

/** Uniform random scores. */
export const uniformRandom = (seed: number, name = "random"): Strategy => ({
  name,
  kind: "cheater",
  answer: (request) => {
    const draws = drawsByText(contentRng(seed, name, request), request)
    return byText(request, (text) => draws.get(text)!)
  }
})

/** The same score for everything. */
export const constant = (name = "constant", value = 0.5): Strategy => ({ name, kind: "cheater", answer: (r) => byText(r, () => value) })

/** The completion shown first (or last) wins, the others in shown order. */
export const positional = (which: "first" | "last"): Strategy => ({
  name: `${which}-wins`,
  kind: "cheater",
  answer: (request) => {
    const n = request.completions.length
    return byText(request, (_, i) => (n === 1 ? 1 : which === "first" ? 1 - i / (n - 1) : i / (n - 1)))
  }
})

/** The longer completion wins. */
export const longest = (name = "length"): Strategy => ({
  name,
  kind: "cheater",
  answer: (request) => {
    const max = Math.max(1, ...request.completions.map((c) => c.text.length))
    return byText(request, (text) => text.length / max)
  }
})

/** Keyword heuristic: the completion sharing more words with the prompt wins (a cheap "relevance" score). */
export const promptOverlap = (name = "keyword"): Strategy => ({
  name,
  kind: "cheater",
  answer: (request) => {
    const prompt = new Set(words(request.prompt))
    return byText(request, (text) => {
      const ws = words(text)
      return ws.length === 0 ? 0 : ws.filter((w) => prompt.has(w)).length / ws.length
    })
  }
})

/**
 * Echoes the consensus: remembers the consensus score each text got in earlier RankingResults and gives
 * it again when the text comes back; texts it has not seen get random scores.
 */
export const consensusEcho = (seed: number, name = "consensus-echo"): Strategy => {
  const remembered = new Map<string, number>()
  return {
    name,
    kind: "cheater",
    answer: (request) => {
      const draws = drawsByText(contentRng(seed, name, request), request)
      return byText(request, (text) => remembered.get(text) ?? draws.get(text)!)
    },
    learn: (request, result) => {
      for (const c of request.completions) {
        const s = result.cid_to_consensus[c.cid]
        if (s !== undefined) remembered.set(c.text, s)
      }
    }
  }
}

/** Looks the pair up in the public evaluation dataset: answers those perfectly, everything else at random. */
export const datasetLookup = (seed: number, publicPairs: ReadonlyArray<PreferencePair>, name = "dataset-lookup"): Strategy => {
  const key = (prompt: string, a: string, b: string) => [prompt, ...[a, b].sort()].join("\u0000")
  const table = new Map(publicPairs.map((p) => [key(p.prompt ?? "", p.chosen, p.rejected), p.chosen] as const))
  const random = uniformRandom(seed, name)
  return {
    name,
    kind: "cheater",
    answer: (request) => {
      const [a, b] = request.completions
      const chosen = request.completions.length === 2 ? table.get(key(request.prompt, a!.text, b!.text)) : undefined
      return chosen === undefined ? random.answer(request) : byText(request, (text) => (text === chosen ? 0.9 : 0.1))
    }
  }
}

/** `n` hotkeys answering identically with one cheap heuristic (the length rule). */
export const sybilSwarm = (n: number): Array<Strategy> =>
  Array.from({ length: n }, (_, i) => longest(`swarm-${String(i + 1).padStart(2, "0")}`))
