/**
 * The adversarial simulation at full length (test/support/incentive-simulation.ts): the validator's real
 * pipeline against honest reward models of graded quality and the cheaters of issue 13, through real
 * axons on loopback and the in-memory chain. Prints, per rule, each strategy's incentive relative to the
 * best honest miner, whether the honest order is kept, and how far a sybil swarm of 10 moves the honest
 * miners' scores; and the new rule with a plain normalisation (exponent 1), which is how its exponent
 * was chosen. `bun run bench incentive` runs only this; run the file itself with `--requests N` or
 * `--seed S` to change the run.
 */
import { rewardRule, type RewardRule } from "../src/domain/scoring/reward-rule.ts"
import { checkTargets, renderSimulation, runSimulation, type SimulationResult } from "../test/support/incentive-simulation.ts"

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const seed = arg("seed", 1)
const requests = arg("requests", 300)

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : "∞")

const report = async (label: string, rule: RewardRule) => {
  const withSwarm = await runSimulation({ seed, requests, swarm: 10, rule })
  const withoutSwarm = await runSimulation({ seed, requests, swarm: 0, rule })
  const t = checkTargets(withSwarm, withoutSwarm)
  console.log(`\n--- ${label}: seed ${seed}, ${requests} requests, 12 strategies + a swarm of 10 (${withSwarm.rows.length} miners), ${withSwarm.seconds.toFixed(1)} s + ${withoutSwarm.seconds.toFixed(1)} s without the swarm`)
  console.log(renderSimulation(withSwarm))
  console.log(
    `targets: cheaters ≤ 5 %: ${t.cheatersAtMost5Percent}; lookup ≤ 25 %: ${t.lookupAtMost25Percent}; honest order kept: ${t.honestOrderKept}; ` +
      `best / chance honest: ${Number.isFinite(t.bestOverChance) ? `${t.bestOverChance.toFixed(2)}×` : "∞ (chance earns 0)"}; ` +
      `largest honest score change from the swarm: ${pct(t.swarmShift)}`
  )
  return withSwarm satisfies SimulationResult
}

await report("new rule (default): credit above chance, credit²-weighted consensus, reward² normalised", rewardRule("new"))
await report("new rule with a plain normalisation (exponent 1), for comparison", { name: "new", exponent: 1 })
await report("original rule: Laplace multiplier, plain mean, softmax T = 1", rewardRule("original"))
