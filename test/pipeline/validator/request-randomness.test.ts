/**
 * The leak of issue 13: a validator that drew a request's id, cids and "is this an evaluation?" from one
 * 31-bit splitmix seed let a miner search the seeds for the one reproducing the `request_id` it received,
 * and so learn which requests are hidden evaluations. Here a miner-side attacker runs exactly that search
 * on requests the real query step built and sent to a real axon. To keep the search to milliseconds the
 * attacker is even handed the top 11 bits of the seed (Effect's Random is pinned to seeds below 2^20);
 * the full 2^31 search is the same loop ~2,000× longer (measured: 6.3 s per pass on this machine). With
 * the seeded generator the attacker recovers every flag; with the live cryptographic layer it recovers
 * no seed and guesses no better than chance.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { Effect, ManagedRuntime, Random } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { cryptoRng } from "../../../src/adapters/request-randomness.ts"
import { rewardRule } from "../../../src/domain/scoring/reward-rule.ts"
import { makeRng, randomUuid } from "../../../src/domain/prng.ts"
import { queryStep } from "../../../src/pipeline/validator/query-step.ts"
import { startTestMinerNode, type TestMinerNode } from "../../support/validator-miners.ts"
import { minerKeys, testValidatorSettings, worldChain, worldLayers, writeSyntheticJsonl } from "../../support/validator-world.ts"

setDefaultTimeout(60_000)

const dir = mkdtempSync(join(tmpdir(), "dojo-leak-"))
const pairs = writeSyntheticJsonl(dir, "pairs.jsonl", 60, 5)
const RATE = 0.5
const STEPS = 40
const SEED_SPACE = 2 ** 20
let miner: TestMinerNode

beforeAll(async () => {
  miner = await startTestMinerNode({ key: minerKeys.good, behaviour: "good", ip: "127.0.0.2" })
})
afterAll(async () => {
  await miner.stop()
  rmSync(dir, { recursive: true, force: true })
})

/**
 * The attacker: the seed (in the space it searches) whose splitmix stream reproduces `requestId`, given
 * the validator's draw order (evaluation decision, then the sample shuffle over `candidates`, then the id).
 */
const searchSeed = (requestId: string, candidates: number): number | undefined => {
  // randomUuid draws the variant digit first, then the hex digits in order: filter on those two cheaply.
  const variant = parseInt(requestId[19]!, 16) - 8
  const first = parseInt(requestId[0]!, 16)
  for (let seed = 0; seed < SEED_SPACE; seed++) {
    const probe = makeRng(seed)
    for (let i = 0; i < candidates; i++) probe() // evaluate + (candidates − 1) shuffle draws
    if (Math.floor(probe() * 4) !== variant || Math.floor(probe() * 16) !== first) continue
    const rng = makeRng(seed)
    for (let i = 0; i < candidates; i++) rng()
    if (randomUuid(rng) === requestId) return seed
  }
  return undefined
}

const attack = async (randomness: "seeded" | "crypto") => {
  const world = ManagedRuntime.make(
    worldLayers({
      chain: worldChain([{ hotkey: minerKeys.good.ss58Address, axon: { ip: miner.axon.bound.ip, port: miner.axon.bound.port } }]),
      // The attacker replays the original rule's draws (the new rule draws once more for self-made pairs).
      settings: testValidatorSettings({ evaluationRate: RATE, rewardRule: rewardRule("original") }),
      seedPath: pairs,
      randomness
    })
  )
  miner.requests.length = 0
  const pick = makeRng("validator seeds")
  const truth: boolean[] = []
  try {
    for (let i = 0; i < STEPS; i++) {
      const seed = Math.floor(pick() * SEED_SPACE)
      const r = await world.runPromise(queryStep().pipe(Effect.withRandom(Random.fixed([seed]))))
      truth.push(r.kind === "evaluation")
    }
  } finally {
    await world.dispose()
  }
  expect(miner.requests).toHaveLength(STEPS)
  let recovered = 0
  let right = 0
  const coin = cryptoRng()
  for (const [i, request] of miner.requests.entries()) {
    const seed = searchSeed(request.request_id, 1)
    if (seed !== undefined) recovered++
    const guess = seed !== undefined ? makeRng(seed)() < RATE : coin() < 0.5
    if (guess === truth[i]) right++
  }
  return { recovered, right }
}

describe("request randomness", () => {
  test("the attack works against the seeded generator (so the search is a real one)", async () => {
    const { recovered, right } = await attack("seeded")
    expect(recovered).toBe(STEPS)
    expect(right).toBe(STEPS)
  })

  test("against the live validator's randomness a miner recovers no seed and guesses the evaluation flag at chance", async () => {
    const { recovered, right } = await attack("crypto")
    expect(recovered).toBe(0)
    // 40 fair coin flips: ≥ 31 right has probability 0.0003.
    expect(right).toBeLessThanOrEqual(30)
  })

  test("cryptoRng: values in [0, 1), no repeats over 100,000 draws, mean near 1/2", () => {
    const rng = cryptoRng()
    const seen = new Set<number>()
    let sum = 0
    for (let i = 0; i < 100_000; i++) {
      const x = rng()
      expect(x >= 0 && x < 1).toBe(true)
      seen.add(x)
      sum += x
    }
    expect(seen.size).toBe(100_000)
    expect(Math.abs(sum / 100_000 - 0.5)).toBeLessThan(0.01)
  })
})
