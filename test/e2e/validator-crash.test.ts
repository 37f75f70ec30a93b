/**
 * Crash test: a validator subprocess (test/support/validator-harness.ts: the real query, scoring,
 * delivery and weights steps on an SQLite file, the in-memory chain seeded the same on every start)
 * is killed with SIGKILL at random moments — while querying, while scoring, while delivering, while
 * setting weights — and started again, until its work is done. Then it is compared with a run that was
 * never interrupted:
 *  - no accepted response lost: every request a miner answered is stored with every miner's answer,
 *    exactly as given (a query cut short is asked again under the same id);
 *  - identical final state, which is also the proof that nothing was scored twice (or not at all): the
 *    same requests, responses, results, accuracy outcomes and deliveries, the EMA score vector bit for
 *    bit (every scoring is one EMA step, so a request scored twice or skipped changes it), and the same
 *    weights on chain.
 * The kill plan comes from a fixed seed, so the test is deterministic up to scheduling; every kill is
 * checked to have landed in the phase it aimed at.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { Database } from "bun:sqlite"
import type { Subprocess } from "bun"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { makeRng } from "../../src/domain/prng.ts"
import type { RankingRequest } from "../../src/domain/wire/protocol.ts"
import type { HarnessConfig } from "../support/validator-harness.ts"
import { minerRanks, startTestMinerNode, type MinerBehaviour, type TestMinerNode } from "../support/validator-miners.ts"
import { minerKeys, writeSyntheticJsonl } from "../support/validator-world.ts"

setDefaultTimeout(90_000)

const HARNESS = resolve(import.meta.dir, "../support/validator-harness.ts")
const REQUESTS = 15
const PLAN_SEED = "validator-crash-plan-1"
/** How long after a phase's marker a kill may come (ms): within the phase's injected latency. */
const PHASES = {
  query: { maxDelayMs: 40 },
  scoring: { maxDelayMs: 40 },
  delivering: { maxDelayMs: 15 },
  weights: { maxDelayMs: 30 }
} as const
type Phase = keyof typeof PHASES
/**
 * The phases to kill in, one process each, at the phase's first occurrence after a start (so each
 * restart gets at most one round further and every kill has work left to interrupt).
 */
const PLAN: ReadonlyArray<Phase> = ["query", "scoring", "weights", "delivering", "query", "scoring", "weights", "query"]

const dir = mkdtempSync(join(tmpdir(), "dojo-validator-crash-"))
const behaviours: ReadonlyArray<MinerBehaviour> = ["good", "half", "bad"]
const miners = new Map<MinerBehaviour, TestMinerNode>()

beforeAll(async () => {
  // Miners think 40 ms and take 30 ms to acknowledge a result: steps last long enough to be killed mid-way.
  for (const [i, b] of behaviours.entries())
    miners.set(b, await startTestMinerNode({ key: minerKeys[b], behaviour: b, ip: `127.0.0.${i + 2}`, answerDelayMs: 40, resultDelayMs: 30 }))
})
afterAll(async () => {
  for (const m of miners.values()) await m.stop()
  rmSync(dir, { recursive: true, force: true })
})

const configFor = (name: string): string => {
  const config: HarnessConfig = {
    store: join(dir, `${name}.sqlite`),
    miners: behaviours.map((b) => ({ hotkey: minerKeys[b].ss58Address, ip: miners.get(b)!.axon.bound.ip, port: miners.get(b)!.axon.bound.port })),
    seedPath: writeSyntheticJsonl(dir, "seed.jsonl", 30, 21),
    evaluationPath: writeSyntheticJsonl(dir, "evaluation.jsonl", 30, 22),
    requests: REQUESTS,
    perRound: 3,
    seed: "crash",
    evaluationRate: 0.5,
    delays: { saveMs: 60, scoreMs: 30, weightsMs: 50 }
  }
  const path = join(dir, `${name}.json`)
  writeFileSync(path, JSON.stringify(config))
  return path
}

/** One harness process, its stdout as lines, and a way to wait for a line. */
const startHarness = (configPath: string) => {
  const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn([process.execPath, HARNESS, configPath], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe"
  })
  const lines: string[] = []
  const waiters: Array<{ match: (line: string) => boolean; resolve: (found: boolean) => void }> = []
  const reading = (async () => {
    const decoder = new TextDecoder()
    let rest = ""
    for await (const chunk of proc.stdout) {
      rest += decoder.decode(chunk, { stream: true })
      const parts = rest.split("\n")
      rest = parts.pop() ?? ""
      for (const line of parts) {
        lines.push(line)
        for (const w of waiters.splice(0)) (w.match(line) ? w.resolve(true) : waiters.push(w))
      }
    }
    if (rest !== "") lines.push(rest)
    for (const w of waiters.splice(0)) w.resolve(false)
  })()
  const stderr = new Response(proc.stderr).text()
  return {
    proc,
    lines,
    /** Resolves true when a line matches, false if the process ends first. */
    waitFor: (match: (line: string) => boolean) =>
      new Promise<boolean>((resolve) => {
        if (lines.some(match)) return resolve(true)
        waiters.push({ match, resolve })
      }),
    /** Waits for the process to end and its output to be read. */
    finished: async () => {
      const code = await proc.exited
      await reading
      return { code, stderr: await stderr }
    }
  }
}

const isPhase = (phase: Phase) => (line: string) => line.startsWith(`@@ PHASE {"phase":"${phase}"`)
const lastPhase = (lines: ReadonlyArray<string>): string | undefined =>
  [...lines].reverse().find((l) => l.startsWith("@@ PHASE"))?.match(/"phase":"(\w+)"/)?.[1]
const doneWeights = (lines: ReadonlyArray<string>) => {
  const line = lines.find((l) => l.startsWith("@@ DONE "))
  return line === undefined ? undefined : (JSON.parse(line.slice("@@ DONE ".length)) as { weights: Array<[number, number]> }).weights
}

/** Runs the harness to completion without interruption; returns its output. */
const runToEnd = async (configPath: string) => {
  const run = startHarness(configPath)
  const { code, stderr } = await run.finished()
  if (code !== 0) throw new Error(`harness exited ${code}: ${stderr}\n${run.lines.slice(-20).join("\n")}`)
  return run.lines
}

/** Everything in a store file that must come out the same, times excluded. */
const readState = (file: string) => {
  const db = new Database(file, { readonly: true })
  try {
    const requests = db
      .query("SELECT request_id, kind, body, chosen_cid, rejected_cid, status, result FROM requests ORDER BY created_at, request_id")
      .all() as Array<{ request_id: string; kind: string; body: string; chosen_cid: string | null; rejected_cid: string | null; status: string; result: string | null }>
    return {
      requests: requests.map((r) => {
        // epoch_timestamp is the wall clock at creation; everything else must match.
        const { epoch_timestamp: _, ...body } = JSON.parse(r.body) as RankingRequest
        return { ...r, body, result: r.result === null ? null : JSON.parse(r.result) }
      }),
      responses: db
        .query("SELECT request_id, hotkey, position, uid, scoring_method, model_config, ranks, mturk_hit_id, human_verified, source FROM responses ORDER BY request_id, position")
        .all(),
      scores: db.query("SELECT uid, hotkey, score FROM scores ORDER BY uid").all() as Array<{ uid: number; hotkey: string; score: number }>,
      accuracy: db.query("SELECT request_id, hotkey, correct FROM accuracy_outcomes ORDER BY request_id, hotkey").all(),
      deliveries: db.query("SELECT request_id, hotkey, ip, port, status FROM deliveries ORDER BY request_id, hotkey").all()
    }
  } finally {
    db.close()
  }
}

/** A double's exact bits, so "identical" means identical. */
const bits = (x: number) => Buffer.from(new Float64Array([x]).buffer).toString("hex")

const clearMiners = () => {
  for (const m of miners.values()) {
    m.requests.length = 0
    m.results.length = 0
  }
}

describe("validator killed with SIGKILL at random moments", () => {
  test("loses no accepted response, scores nothing twice, and ends bit-identical to an uninterrupted run", async () => {
    // The reference: never interrupted.
    clearMiners()
    const referenceLines = await runToEnd(configFor("reference"))
    const reference = readState(join(dir, "reference.sqlite"))
    expect(reference.requests).toHaveLength(REQUESTS)
    expect(new Set(reference.requests.map((r) => r.kind))).toEqual(new Set(["seed", "evaluation"]))

    // The crash run: the same work, killed again and again.
    clearMiners()
    const crashConfig = configFor("crash")
    const rng = makeRng(PLAN_SEED)
    const allLines: string[] = []
    const kills: Array<{ aimed: Phase; landed: string | undefined; afterMs: number }> = []
    let done = false
    for (const phase of PLAN) {
      const run = startHarness(crashConfig)
      const reached = await run.waitFor(isPhase(phase))
      if (reached) {
        const afterMs = Math.floor(rng() * PHASES[phase].maxDelayMs)
        if (afterMs > 0) await Bun.sleep(afterMs)
        run.proc.kill(9)
        const { code } = await run.finished()
        if (code === 0) done = doneWeights(run.lines) !== undefined
        else kills.push({ aimed: phase, landed: lastPhase(run.lines), afterMs })
      } else {
        const { code, stderr } = await run.finished()
        if (code !== 0) throw new Error(`harness exited ${code}: ${stderr}`)
        done = true
      }
      allLines.push(...run.lines)
      if (done) break
    }
    const finalLines = done ? [] : await runToEnd(crashConfig)
    allLines.push(...finalLines)
    const lastDone = [...allLines].reverse().find((l) => l.startsWith("@@ DONE "))
    expect(lastDone).toBeDefined()

    // Kills landed while querying, while scoring and while setting weights (each at least once; a kill
    // aimed at a phase may land in the next one if this process is slow to react).
    console.log(`crash test: ${kills.length} kills (aimed→landed@ms after marker): ${kills.map((k) => `${k.aimed}→${k.landed}@${k.afterMs}`).join(", ")}`)
    for (const p of ["query", "scoring", "weights"]) expect(kills.filter((k) => k.landed === p).length).toBeGreaterThan(0)

    const crashed = readState(join(dir, "crash.sqlite"))

    // No accepted response lost: every request a miner answered is stored, with each miner's answer as given.
    const storedIds = crashed.requests.map((r) => r.request_id)
    for (const b of behaviours) expect(new Set(miners.get(b)!.requests.map((q) => q.request_id))).toEqual(new Set(storedIds))
    for (const r of crashed.requests) {
      const mine = crashed.responses.filter((x: any) => x.request_id === r.request_id) as Array<{ hotkey: string; ranks: string }>
      expect(mine.map((x) => x.hotkey).sort()).toEqual(behaviours.map((b) => minerKeys[b].ss58Address).sort())
      const asked = miners.get("good")!.requests.find((q) => q.request_id === r.request_id)!
      for (const x of mine) {
        const b = behaviours.find((bb) => minerKeys[bb].ss58Address === x.hotkey)!
        expect(JSON.parse(x.ranks)).toEqual([...minerRanks(b, asked)])
      }
    }

    // The same final state as the uninterrupted run. This is the exactly-once proof: a request scored twice
    // would take a second EMA step (the score vector's bits differ) and a second set of accuracy outcomes;
    // one never scored would stay pending with no result.
    expect(crashed.requests).toEqual(reference.requests)
    expect(crashed.requests.every((r) => r.status === "scored")).toBe(true)
    expect(crashed.responses).toEqual(reference.responses)
    expect(crashed.accuracy).toEqual(reference.accuracy)
    expect(crashed.deliveries).toEqual(reference.deliveries)
    expect(crashed.deliveries.every((d: any) => d.status === "delivered")).toBe(true)
    expect(crashed.scores.map((s) => [s.uid, s.hotkey, bits(s.score)])).toEqual(reference.scores.map((s) => [s.uid, s.hotkey, bits(s.score)]))
    expect(crashed.scores.some((s) => s.score > 0)).toBe(true)
    expect(doneWeights([lastDone!])).toEqual(doneWeights(referenceLines))

    // Every participant got its result (a kill between sending and recording it may send it twice).
    for (const r of crashed.requests)
      for (const b of behaviours) {
        const got = miners.get(b)!.results.filter((x) => x.request_id === r.request_id)
        expect(got.length).toBeGreaterThan(0)
        for (const x of got) expect(x).toEqual(r.result)
      }
  })
})
