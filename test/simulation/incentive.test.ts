/**
 * The adversarial simulation in short mode (120 requests, seed 1): the validator's real pipeline against
 * honest reward models and cheaters (test/support/incentive-simulation.ts) must meet issue 13's targets
 * under the default (new) reward rule. The full run with its figures is bench/incentive-simulation.bench.ts.
 */
import { describe, expect, test } from "bun:test"
import { defaultRewardRule } from "../../src/domain/scoring/reward-rule.ts"
import { checkTargets, relativeIncentive, renderSimulation, runSimulation } from "../support/incentive-simulation.ts"

describe("incentive simulation, short mode", () => {
  test(
    "cheaters ≤ 5 % of the best honest miner, lookup ≤ 25 %, honest order kept, best ≥ 3× chance, a swarm of 10 moves honest scores ≤ 10 %",
    async () => {
      const options = { seed: 1, requests: 120, rule: defaultRewardRule }
      const withSwarm = await runSimulation({ ...options, swarm: 10 })
      const withoutSwarm = await runSimulation({ ...options, swarm: 0 })
      console.log(renderSimulation(withSwarm))
      const targets = checkTargets(withSwarm, withoutSwarm)
      console.log(JSON.stringify(targets))
      expect(withSwarm.rows.filter((r) => r.name.startsWith("swarm-"))).toHaveLength(10)
      // Every strategy took part and was evaluated (a silent miner would pass the share targets trivially).
      for (const r of withSwarm.rows) expect(r.evaluated.answered).toBeGreaterThan(40)
      expect(relativeIncentive(withSwarm).get("honest-strong")).toBe(1)
      expect(targets).toEqual({
        cheatersAtMost5Percent: true,
        lookupAtMost25Percent: true,
        honestOrderKept: true,
        bestOverChance: expect.any(Number),
        swarmShift: expect.any(Number)
      })
      expect(targets.bestOverChance).toBeGreaterThanOrEqual(3)
      expect(targets.swarmShift).toBeLessThanOrEqual(0.1)
    },
    { timeout: 300_000 }
  )
})
