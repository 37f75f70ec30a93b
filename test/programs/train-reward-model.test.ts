import { afterAll, describe, expect, test } from "bun:test"
import { BunContext } from "@effect/platform-bun"
import { Effect, Schema } from "effect"
import { readdirSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as HfLocal from "../../src/adapters/scorer/hf-local.ts"
import { RankingRequest } from "../../src/domain/wire/protocol.ts"
import { generateSyntheticPreferences } from "../../src/domain/data/synthetic-preferences.ts"
import { Scorer } from "../../src/services/scorer.ts"
import { repoRoot } from "../support/shared.ts"
import { removeTempDirs, tempDir } from "../support/reward-model-dir.ts"

afterAll(removeTempDirs)

const train = (args: ReadonlyArray<string>) => {
  const proc = Bun.spawnSync(["bun", "run", "src/programs/train-reward-model.ts", ...args], { cwd: repoRoot, stdout: "pipe", stderr: "pipe" })
  const stdout = proc.stdout.toString()
  return { code: proc.exitCode, stdout, stderr: proc.stderr.toString(), lines: stdout.trimEnd().split("\n") }
}

// Each test starts `bun` processes; on a busy 2-core machine that takes seconds.
const SPAWN_TIMEOUT = 60_000

const LAST_LINE = /^held-out accuracy: (\d\.\d{3}) \((\d+)\/(\d+)\)$/

const accuracyLine = (lines: ReadonlyArray<string>) => {
  const m = LAST_LINE.exec(lines[lines.length - 1] ?? "")
  expect(m).not.toBeNull()
  return { accuracy: Number(m![1]), correct: Number(m![2]), total: Number(m![3]) }
}

const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))

describe("train-reward-model", () => {
  test("--synthetic: progress per epoch, a loadable model directory, held-out accuracy as the last line", async () => {
    const out = join(tempDir(), "rm")
    const r = train(["--synthetic", "500", "--out", out, "--epochs", "3", "--dim", "8", "--seed", "4"])
    expect(r.code).toBe(0)
    expect(r.lines.filter((l) => /^epoch \d\/3 +loss /.test(l))).toHaveLength(3)
    const acc = accuracyLine(r.lines)
    expect(acc.total).toBe(100)
    expect(acc.accuracy).toBeGreaterThanOrEqual(0.9)
    expect(acc.correct).toBe(Math.round(acc.accuracy * acc.total))

    const files = filesUnder(out).map((f) => f.slice(out.length + 1)).sort()
    expect(files).toEqual(["config.json", "onnx/model.onnx", "tokenizer.json", "tokenizer_config.json"])
    for (const f of filesUnder(out)) expect(statSync(f).size).toBeLessThan(1 << 20)

    const request = Schema.decodeUnknownSync(RankingRequest)({
      epoch_timestamp: 1,
      request_id: "r",
      prompt: "How do I start a monthly budget?",
      n_completions: 2,
      completions: [
        { cid: "good", text: "Happy to help: first list your income, then check expenses carefully, for example rent." },
        { cid: "bad", text: "Ugh, whatever, dunno, google budget stuff yourself, pointless question." }
      ]
    })
    const ranks = await Effect.runPromise(
      Effect.flatMap(Scorer, (s) => s.score(request)).pipe(Effect.provide(HfLocal.layer({ model: out })), Effect.provide(BunContext.layer))
    )
    const score = Object.fromEntries(ranks.ranks.map((x) => [x.cid, x.score]))
    expect(score.good!).toBeGreaterThan(score.bad!)
  }, SPAWN_TIMEOUT)

  test("--data JSONL (prompt optional) trains; --shuffle-labels stays near chance", () => {
    const dir = tempDir()
    const data = join(dir, "pairs.jsonl")
    const pairs = generateSyntheticPreferences({ count: 600, seed: 12 })
    writeFileSync(
      data,
      pairs.map((p, i) => JSON.stringify(i % 3 === 0 ? { chosen: p.chosen, rejected: p.rejected } : { prompt: p.prompt, chosen: p.chosen, rejected: p.rejected })).join("\n") + "\n\n"
    )
    const good = train(["--data", data, "--out", join(dir, "good"), "--epochs", "3", "--holdout", "0.25"])
    expect(good.code).toBe(0)
    const g = accuracyLine(good.lines)
    expect(g.total).toBe(150)
    expect(g.accuracy).toBeGreaterThanOrEqual(0.9)

    const control = train(["--data", data, "--out", join(dir, "control"), "--epochs", "3", "--holdout", "0.25", "--shuffle-labels"])
    expect(control.code).toBe(0)
    expect(Math.abs(accuracyLine(control.lines).accuracy - 0.5)).toBeLessThan(0.15)
  }, SPAWN_TIMEOUT)

  test("usage errors exit 2 with the reason", () => {
    const dir = tempDir()
    const neither = train(["--out", join(dir, "x")])
    expect(neither.code).toBe(2)
    expect(neither.stderr).toContain("exactly one of --data FILE or --synthetic N")

  }, SPAWN_TIMEOUT)

  test("a bad JSONL line is named; a missing data file is refused", () => {
    const dir = tempDir()
    const data = join(dir, "bad.jsonl")
    writeFileSync(data, '{"chosen": "a", "rejected": "b"}\n{"chosen": "a"}\n')
    const bad = train(["--data", data, "--out", join(dir, "y")])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("bad.jsonl:2:")
    expect(bad.stderr).toContain("rejected: is missing")

    const missing = train(["--data", join(dir, "nope.jsonl"), "--out", join(dir, "z")])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("must exist")
  }, SPAWN_TIMEOUT)
})
