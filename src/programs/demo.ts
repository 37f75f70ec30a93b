export {}
/**
 * `bun run demo` — will run a whole local Dojo subnet: the real subtensor runtime under chopsticks,
 * validators and miners as separate processes, scoring, weights and incentive read back from chain.
 * Until that is built it says so and exits non-zero rather than pretend.
 */
console.error(
  [
    "Dojo demo: not built yet.",
    "When finished, this command starts a local subtensor chain (spec 185 under chopsticks), creates a subnet,",
    "registers validators and miners of different quality, lets the validators score them against the consensus",
    "and set weights, then prints each miner's accuracy, consensus score, weight and on-chain incentive.",
    "Track progress in the README's status section."
  ].join("\n")
)
process.exit(2)
