/**
 * The adversarial simulation: the validator's real pipeline — queryStep (real dendrite, real axons on
 * loopback), the SQLite store, scoreDueRequests (consensus, accuracy, EMA), deliverResults, setWeights
 * (the SDK's weight processing) — against a population of miners of known strategy, on the in-memory
 * chain, whose epoch then turns the weights into incentive. Deterministic under a seed: request
 * randomness is the seeded layer pinned per step (as in the crash harness), data and models come from
 * the seed, and the cheaters draw from the request's content.
 *
 * Population (`populationOf`): the demo's four honest reward models (chance, weak, medium, strong), the
 * cheaters of `miner-strategies.ts` and, unless `swarm` is 0, a sybil swarm of identical length-rule
 * hotkeys. The question is each strategy's incentive relative to the best honest miner.
 */
import { Effect, Random } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ChainMemoryControl } from "../../src/adapters/chain/memory.ts"
import { keypairFromUri } from "../../src/adapters/wallet/sr25519.ts"
import type { RankingRequest } from "../../src/domain/wire/protocol.ts"
import type { RewardRule } from "../../src/domain/scoring/reward-rule.ts"
import { generateSyntheticPreferences } from "../../src/domain/data/synthetic-preferences.ts"
import { RankingRequestSynapse, RankingResultSynapse } from "../../src/domain/wire/synapses.ts"
import { deliverResults } from "../../src/pipeline/validator/deliver-results.ts"
import { queryStep } from "../../src/pipeline/validator/query-step.ts"
import { scoreDueRequests } from "../../src/pipeline/validator/score-due-requests.ts"
import { setWeights } from "../../src/pipeline/validator/set-weights.ts"
import { axonRoute } from "../../src/services/axon.ts"
import { Chain } from "../../src/services/chain.ts"
import { allStores } from "./validator-stores.ts"
import {
  consensusEcho,
  constant,
  datasetLookup,
  honestMiners,
  longest,
  positional,
  promptOverlap,
  type Strategy,
  type StrategyKind,
  sybilSwarm,
  uniformRandom
} from "./miner-strategies.ts"
import { startQuietAxon } from "./validator-miners.ts"
import { NETUID, testValidatorSettings, worldChain, worldLayers, writeSyntheticJsonl } from "./validator-world.ts"

/** One simulated run. */
export interface SimulationOptions {
  readonly seed: number
  /** Query steps (each scored and delivered before the next). */
  readonly requests: number
  /** Size of the sybil swarm (0: none). */
  readonly swarm: number
  readonly rule: RewardRule
  /** Share of evaluations made from the seed data (new rule only). Default: the validator's. */
  readonly selfMadeShare?: number
  /** EMA α. Default 0.05 (the demo's runs are of the same length). */
  readonly alpha?: number
  /** Share of requests that are evaluations. Default 0.75, as in the demo (short runs need the samples). */
  readonly evaluationRate?: number
  /** Items per dataset (default 2000, more than a run uses, so a text rarely comes back). */
  readonly datasetSize?: number
}

/** How one miner fared. */
export interface StrategyRow {
  readonly name: string
  readonly kind: StrategyKind
  /** The swarm's members share one strategy name. */
  readonly strategy: string
  readonly uid: number
  readonly evaluated: { readonly correct: number; readonly answered: number }
  /** The validator's EMA score at the end. */
  readonly score: number
  /** Incentive from the chain's epoch over the weights set at the end. */
  readonly incentive: number
}

/** A run's outcome. */
export interface SimulationResult {
  readonly options: SimulationOptions
  readonly rows: ReadonlyArray<StrategyRow>
  readonly seconds: number
}

/** Honest miners first (worst to best), then the cheaters, then the swarm. */
export const populationOf = (options: Pick<SimulationOptions, "seed" | "swarm">, publicPairs: Parameters<typeof datasetLookup>[1]): Array<Strategy> => [
  ...honestMiners(options.seed),
  uniformRandom(options.seed),
  constant(),
  positional("first"),
  positional("last"),
  longest(),
  promptOverlap(),
  consensusEcho(options.seed),
  datasetLookup(options.seed, publicPairs),
  ...sybilSwarm(options.swarm)
]

const strategyOf = (name: string) => (name.startsWith("swarm-") ? "sybil-swarm" : name)

/** Runs the simulation once. */
export const runSimulation = async (options: SimulationOptions): Promise<SimulationResult> => {
  const started = performance.now()
  const dir = mkdtempSync(join(tmpdir(), "dojo-sim-"))
  const size = options.datasetSize ?? 2000
  const seedPath = writeSyntheticJsonl(dir, "seed.jsonl", size, 70_000 + options.seed)
  const evaluationPath = writeSyntheticJsonl(dir, "evaluation.jsonl", size, 80_000 + options.seed)
  const publicPairs = generateSyntheticPreferences({ count: size, seed: 80_000 + options.seed })
  const strategies = populationOf(options, publicPairs)

  const nodes = await Promise.all(
    strategies.map(async (strategy, i) => {
      const key = keypairFromUri(`//Sim//${strategy.name}`)
      const asked = new Map<string, RankingRequest>()
      const routes = [
        axonRoute(RankingRequestSynapse, {
          forward: (_, body) =>
            Effect.sync(() => {
              asked.set(body.request_id, body)
              return { ...body, ranks: [...strategy.answer(body)], scoring_method: "hf_model" as const, model_config: { provider: null, model_name: strategy.name } }
            })
        }),
        axonRoute(RankingResultSynapse, {
          forward: (_, body) =>
            Effect.sync(() => {
              const request = asked.get(body.request_id)
              if (request !== undefined) strategy.learn?.(request, body)
              return body
            })
        })
      ]
      const { axon, stop } = await startQuietAxon({ hotkey: key.ss58Address, ip: `127.0.0.${10 + (i % 200)}` }, routes)
      return { strategy, key, axon, stop }
    })
  )

  try {
    const settings = testValidatorSettings({
      sampleSize: nodes.length,
      deadlineSeconds: 0,
      evaluationWindowSeconds: 1e9,
      alpha: options.alpha ?? 0.05,
      evaluationRate: options.evaluationRate ?? 0.75,
      rewardRule: options.rule,
      ...(options.selfMadeShare === undefined ? {} : { selfMadeEvaluationShare: options.selfMadeShare })
    })
    const chain = worldChain(
      nodes.map((n) => ({ hotkey: n.key.ss58Address, axon: { ip: n.axon.external.ip, port: n.axon.external.port } })),
      { weightsRateLimit: 0 }
    )
    const program = Effect.gen(function* () {
      for (let k = 0; k < options.requests; k++) {
        yield* queryStep().pipe(Effect.withRandom(Random.make(`${options.seed}-${k}`)))
        yield* scoreDueRequests()
        yield* deliverResults()
      }
      const set = yield* setWeights()
      if (set._tag !== "Set") return yield* Effect.dieMessage(`weights not set: ${set.reason}`)
      yield* Effect.flatMap(ChainMemoryControl, (c) => c.nextEpoch(NETUID))
      const metagraph = yield* Effect.flatMap(Chain, (c) => c.metagraph(NETUID))
      const store = yield* allStores
      const [scores, counts] = yield* Effect.all([store.loadScores, store.accuracyCounts(0)])
      return nodes.map(({ strategy, key }): StrategyRow => {
        const neuron = metagraph.neurons.find((n) => n.hotkey === key.ss58Address)!
        return {
          name: strategy.name,
          kind: strategy.kind,
          strategy: strategyOf(strategy.name),
          uid: neuron.uid,
          evaluated: counts.get(key.ss58Address) ?? { correct: 0, answered: 0 },
          score: scores.find((s) => s.hotkey === key.ss58Address)?.score ?? 0,
          incentive: neuron.incentive
        }
      })
    })
    const rows = await Effect.runPromise(
      program.pipe(Effect.provide(worldLayers({ chain, settings, seedPath, evaluationPath, randomness: "seeded" })))
    )
    return { options, rows, seconds: (performance.now() - started) / 1000 }
  } finally {
    await Promise.all(nodes.map((n) => n.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Per strategy (the swarm as its best member), incentive over the best honest miner's. */
export const relativeIncentive = (result: SimulationResult): Map<string, number> => {
  const best = Math.max(...result.rows.filter((r) => r.kind === "honest").map((r) => r.incentive))
  const out = new Map<string, number>()
  for (const r of result.rows) out.set(r.strategy, Math.max(out.get(r.strategy) ?? 0, best > 0 ? r.incentive / best : 0))
  return out
}

/** The honest miners' incentives from worst to best model (population order). */
const honestRows = (result: SimulationResult) => result.rows.filter((r) => r.kind === "honest")

/** True when incentive strictly increases with the honest models' quality. */
export const honestOrderKept = (result: SimulationResult): boolean =>
  honestRows(result).every((r, i, all) => i === 0 || all[i - 1]!.incentive < r.incentive)

/** The targets, checked on a run with the swarm and the same run without it. */
export interface TargetCheck {
  readonly cheatersAtMost5Percent: boolean
  readonly lookupAtMost25Percent: boolean
  readonly honestOrderKept: boolean
  /** Best honest incentive over the chance-level honest one (Infinity when that is 0). */
  readonly bestOverChance: number
  /** Largest relative change of an honest miner's EMA score that the swarm caused. */
  readonly swarmShift: number
}

/** Checks the targets. */
export const checkTargets = (withSwarm: SimulationResult, withoutSwarm: SimulationResult): TargetCheck => {
  const rel = relativeIncentive(withSwarm)
  const honest = honestRows(withSwarm)
  const chance = honest[0]!.incentive
  const best = Math.max(...honest.map((r) => r.incentive))
  let swarmShift = 0
  for (const r of honest) {
    const before = withoutSwarm.rows.find((x) => x.name === r.name)!.score
    if (before > 0) swarmShift = Math.max(swarmShift, Math.abs(r.score - before) / before)
    else if (r.score > 0) swarmShift = Infinity
  }
  const cheaters = [...rel].filter(([s]) => !s.startsWith("honest-") && s !== "dataset-lookup")
  return {
    cheatersAtMost5Percent: cheaters.every(([, x]) => x <= 0.05),
    lookupAtMost25Percent: (rel.get("dataset-lookup") ?? 0) <= 0.25,
    honestOrderKept: honestOrderKept(withSwarm),
    bestOverChance: chance > 0 ? best / chance : Infinity,
    swarmShift
  }
}

/** The run as a table: per strategy its evaluations, EMA score, incentive and share of the best honest. */
export const renderSimulation = (result: SimulationResult): string => {
  const rel = relativeIncentive(result)
  const groups = new Map<string, StrategyRow[]>()
  for (const r of result.rows) groups.set(r.strategy, [...(groups.get(r.strategy) ?? []), r])
  const header = ["strategy", "kind", "hotkeys", "evaluated", "EMA score", "incentive", "vs best honest"]
  const lines = [...groups].map(([strategy, rows]) => {
    const c = rows.reduce((a, r) => a + r.evaluated.correct, 0)
    const n = rows.reduce((a, r) => a + r.evaluated.answered, 0)
    return [
      strategy,
      rows[0]!.kind,
      String(rows.length),
      `${c}/${n}`,
      Math.max(...rows.map((r) => r.score)).toPrecision(3),
      Math.max(...rows.map((r) => r.incentive)).toPrecision(3),
      `${(100 * rel.get(strategy)!).toFixed(1)} %`
    ]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const row = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ")
  return [row(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(row)].join("\n")
}
