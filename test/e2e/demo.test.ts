/**
 * The demo in its short mode, as a user runs it: a real local subnet of separate processes. Checks the
 * exit code, that weights landed on chain (non-zero weights read back from chain), that the printed
 * table's incentive follows the miners' accuracy, and that the random-scoring miner earns at most 5 % of
 * the best miner's incentive (the default, new reward rule).
 */
import { expect, test } from "bun:test"
import { repoRoot } from "../support/shared.ts"

test("bun run demo --short: incentive follows accuracy, the random miner earns ≤ 5 %, weights on chain", async () => {
  const proc = Bun.spawn(["bun", "run", "src/programs/demo.ts", "--short", "--timeout", "400"], {
    cwd: repoRoot,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, OPENAI_API_KEY: "", TOGETHER_API_KEY: "", AWS_ACCESS_KEY_ID: "" }
  })
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()])
  const code = await proc.exited
  if (code !== 0) console.error(out.slice(-4000), err.slice(-4000))
  expect(code).toBe(0)

  const header = out.split("\n").findIndex((l) => l.startsWith("uid  miner"))
  const rows = out
    .split("\n")
    .slice(header + 2)
    .filter((l) => /^\d+\s+miner-/.test(l))
    .map((l) => {
      const [uid, name, method, accuracy, evaluated, score, weight, incentive] = l.trim().split(/\s+/)
      return { uid: Number(uid), name, method, accuracy: Number(accuracy), evaluated, score: Number(score), weight: Number(weight), incentive: Number(incentive) }
    })
  expect(rows.map((r) => r.name).sort()).toEqual(["miner-chance", "miner-medium", "miner-random", "miner-strong", "miner-weak"])
  // Weights landed: read back from chain, they sum to one, and the best model has the most.
  expect(rows.reduce((a, r) => a + r.weight, 0)).toBeCloseTo(1, 2)
  const models = rows.filter((r) => r.name !== "miner-random")
  expect(models[0]!.weight).toBeGreaterThan(0.5)
  // The table is printed best accuracy first; incentive must strictly decrease along it, except that
  // models the rule pays (next to) nothing — under 1 % of the best, chance level — come at the bottom.
  const nothing = (x: number) => x < 0.01 * models[0]!.incentive
  for (let i = 1; i < models.length; i++) {
    expect(models[i - 1]!.accuracy).toBeGreaterThan(models[i]!.accuracy)
    if (nothing(models[i - 1]!.incentive)) expect(nothing(models[i]!.incentive)).toBe(true)
    else if (!nothing(models[i]!.incentive)) expect(models[i - 1]!.incentive).toBeGreaterThan(models[i]!.incentive)
  }
  expect(nothing(models.at(-1)!.incentive)).toBe(true) // the chance-level model
  const random = rows.find((r) => r.name === "miner-random")!
  expect(random.method).toBe("random-scores(cheater)")
  expect(random.incentive).toBeLessThanOrEqual(0.05 * models[0]!.incentive)
  expect(out).toContain("✓ incentive follows accuracy")
  // The validator's RankingResults reached every miner (read from the miners' own stores).
  const received = out.match(/RankingResults received by miners: (.*)/)![1]!.split(", ").map((x) => Number(x.split(" ")[1]))
  expect(received).toHaveLength(5)
  for (const n of received) expect(n).toBeGreaterThan(0)
}, 480_000)
