/**
 * The open-dataset export over a real SQLite store seeded with demo-like data (synthetic preferences
 * with known better completions, scored by miners of different quality): the files round-trip (JSONL
 * and Parquet rows = the rows built from the store), the pairs train a reward model with the
 * reward-model command's training function, and the command line writes, filters and uploads (to a
 * local stub of the Hugging Face Hub).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { BunContext } from "@effect/platform-bun"
import { Effect, Either, Layer, Option } from "effect"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatasetSinkFs, readParquetRows } from "../../src/adapters/data/dataset-writers.ts"
import * as ValidatorStoreSql from "../../src/adapters/store/validator-store.ts"
import { type DatasetRow, datasetRow } from "../../src/domain/data/preference-dataset.ts"
import { parsePreferenceJsonl } from "../../src/domain/data/preference-pair.ts"
import { defaultTrainingConfig, trainRewardModel } from "../../src/domain/reward-model/training.ts"
import { exportDataset, type ExportOptions } from "../../src/pipeline/dataset-export.ts"
import { allStores } from "../support/validator-stores.ts"
import { seedStore, subnetSeed } from "../support/dashboard-seed.ts"
import { repoRoot } from "../support/shared.ts"
import { startHubStub } from "../support/stubs/hf-hub.ts"

const dir = mkdtempSync(join(tmpdir(), "dojo-export-"))
const storeFile = join(dir, "validator.sqlite")
const store = ValidatorStoreSql.layer({ _tag: "sqlite", filename: storeFile })
const NOW = 1_750_000_000
const REQUESTS = 360

beforeAll(async () => {
  const subnet = subnetSeed({ neurons: 26, validators: 2, seed: 5 })
  await Effect.runPromise(
    Effect.flatMap(allStores, (s) =>
      seedStore(s, subnet, { requests: REQUESTS, scoredFraction: 0.85, responsesPerRequest: 7, snapshots: 4, now: NOW, seed: 5, spacing: 60 })
    ).pipe(Effect.provide(store))
  )
}, 60_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const options: ExportOptions = {
  kinds: ["seed"],
  formats: { jsonl: true, parquet: true },
  license: "other",
  prettyName: "Dojo consensus preferences"
}

const runExport = (out: string, o: ExportOptions = options) =>
  Effect.runPromise(exportDataset(o).pipe(Effect.provide(Layer.mergeAll(store, DatasetSinkFs(out).pipe(Layer.provide(BunContext.layer))))))

/** The rows the store implies, oldest first, built independently of the pipeline's own reads. */
const expectedRows = (kinds: ReadonlyArray<string>, since = 0) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const s = yield* allStores
      const recent = [...(yield* s.recentRequests(100_000))].reverse()
      const rows: Array<DatasetRow> = []
      for (const r of recent) {
        if (r.status !== "scored" || !kinds.includes(r.kind) || r.createdAt < since) continue
        const full = Option.getOrThrow(yield* s.getRequest(r.requestId))
        const out = datasetRow({ request: full.request, result: full.result!, createdAt: full.createdAt, scoredAt: full.result!.scoredAt })
        if (out._tag === "Row") rows.push(out.row)
      }
      return { rows, recent }
    }).pipe(Effect.provide(store))
  )

const readJsonl = <A>(file: string): Array<A> =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as A)

describe("exportDataset", () => {
  const out = join(dir, "out")
  let summary: Awaited<ReturnType<typeof runExport>>

  beforeAll(async () => {
    summary = await runExport(out)
  }, 60_000)

  test("round trip: JSONL rows = Parquet rows (hyparquet) = the rows built from the store, oldest first", async () => {
    const { rows, recent } = await expectedRows(["seed"])
    expect(rows.length).toBeGreaterThan(150)
    expect(summary.rows.length).toBe(rows.length)
    const jsonl = readJsonl<DatasetRow>(join(out, "data/train.jsonl"))
    const parquet = await readParquetRows(new Uint8Array(readFileSync(join(out, "data/train.parquet"))))
    expect(jsonl).toEqual(rows)
    expect(parquet).toEqual(rows)
    const created = rows.map((r) => r.created_at)
    expect([...created].sort((a, b) => a - b)).toEqual(created)
    // Nothing pending, no other kind, nothing invented.
    const byId = new Map(recent.map((r) => [r.requestId, r]))
    for (const r of rows) {
      const line = byId.get(r.request_id)!
      expect([line.kind, line.status, line.prompt]).toEqual(["seed", "scored", r.prompt])
      for (const c of r.completions) expect(c.consensus_score).toBe(line.result!.cid_to_consensus[c.cid]!)
    }
    const seedScored = recent.filter((r) => r.kind === "seed" && r.status === "scored").length
    expect(summary.rows.length + summary.skipped.fewerThanTwoScored + summary.skipped.allTied).toBe(seedScored)
    expect(summary.skipped.kind).toBe(recent.filter((r) => r.kind !== "seed").length)
    expect(summary.skipped.pending).toBe(recent.filter((r) => r.kind === "seed" && r.status === "pending").length)
    expect(summary.scanned).toBe(REQUESTS)
  })

  test("pairs.jsonl: every consensus pair as {prompt, chosen, rejected}, readable by the reward-model command's parser", () => {
    const parsed = parsePreferenceJsonl(readFileSync(join(out, "pairs.jsonl"), "utf8"))
    expect(Either.isRight(parsed)).toBe(true)
    const pairs = Either.getOrThrow(parsed)
    expect(pairs.length).toBe(summary.pairs)
    expect(summary.pairs).toBe(summary.rows.reduce((n, r) => n + r.pairs.length, 0))
    const lines = readJsonl<Record<string, unknown>>(join(out, "pairs.jsonl"))
    expect(lines.every((l) => Object.keys(l).sort().join() === "chosen,prompt,rejected")).toBe(true)
    // pairs.jsonl holds each row's pairs in row order; check every pair against its own request's scores
    // (the same prompt and text may recur in another request with other scores).
    let at = 0
    for (const r of summary.rows) {
      const scoreOf = new Map(r.completions.map((c) => [c.text, c.consensus_score] as const))
      for (const _ of r.pairs) {
        const p = pairs[at++]!
        expect(p.prompt).toBe(r.prompt)
        expect(scoreOf.get(p.chosen)!).toBeGreaterThan(scoreOf.get(p.rejected)!)
      }
    }
    expect(at).toBe(pairs.length)
  })

  test("the card: front matter whose configs name files that exist, counts matching the files", () => {
    const card = readFileSync(join(out, "README.md"), "utf8")
    const yaml = Bun.YAML.parse(/^---\n([\s\S]*?)\n---\n/.exec(card)![1]!) as { configs: Array<{ data_files: Array<{ path: string }> }>; license: string }
    expect(yaml.license).toBe("other")
    for (const c of yaml.configs) for (const f of c.data_files) expect(existsSync(join(out, f.path))).toBe(true)
    expect(card).toContain(`${summary.rows.length} prompts with ${summary.completions} completions`)
    expect(card).toContain(`${summary.pairs} preference pairs`)
    expect(summary.files.map((f) => f.path)).toEqual(["data/train.jsonl", "data/train.parquet", "pairs.jsonl", "README.md"])
  })

  test("the pairs train a reward model (the command's training function) that beats chance on held-out pairs", () => {
    const pairs = Either.getOrThrow(parsePreferenceJsonl(readFileSync(join(out, "pairs.jsonl"), "utf8")))
    const trained = trainRewardModel(pairs, { ...defaultTrainingConfig, epochs: 6, dim: 8, seed: 3 })
    expect(trained.trainPairs).toBeGreaterThan(150)
    expect(trained.model).toBeDefined()
    expect(trained.heldOut.total).toBeGreaterThan(40)
    console.log(`reward model on exported pairs: held-out accuracy ${trained.heldOut.accuracy.toFixed(3)} (${trained.heldOut.correct}/${trained.heldOut.total})`)
    expect(trained.heldOut.accuracy).toBeGreaterThan(0.75)
  }, 60_000)

  test("--since and kinds: only requests created since, of the kinds asked for", async () => {
    const since = NOW - (REQUESTS / 2) * 60
    const s = await runExport(join(dir, "since"), { ...options, kinds: ["seed", "evaluation", "api"], since })
    const { rows } = await expectedRows(["seed", "evaluation", "api"], since)
    expect(s.rows).toEqual(rows)
    expect(s.rows.every((r) => r.created_at >= since)).toBe(true)
    expect(s.skipped.beforeSince).toBeGreaterThan(0)
    expect(s.skipped.kind).toBe(0)
  })

  test("an empty store gives empty files and a card, not an error", async () => {
    const empty = join(dir, "empty")
    const s = await Effect.runPromise(
      exportDataset(options).pipe(
        Effect.provide(Layer.mergeAll(ValidatorStoreSql.layer({ _tag: "sqlite", filename: join(dir, "empty.sqlite") }), DatasetSinkFs(empty).pipe(Layer.provide(BunContext.layer))))
      )
    )
    expect([s.rows.length, s.pairs, s.scanned]).toEqual([0, 0, 0])
    expect(await readParquetRows(new Uint8Array(readFileSync(join(empty, "data/train.parquet"))))).toEqual([])
    expect(readFileSync(join(empty, "pairs.jsonl"), "utf8")).toBe("")
  })
})

const cliEnv = (extra: Record<string, string> = {}) => {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...extra }
  if (!("HF_TOKEN" in extra)) delete env.HF_TOKEN
  delete env.HF_ENDPOINT
  return env
}

const cli = async (args: ReadonlyArray<string>, env: Record<string, string> = cliEnv()) => {
  const proc = Bun.spawn(["bun", "run", "src/programs/export-dataset.ts", ...args], { cwd: repoRoot, stdout: "pipe", stderr: "pipe", env })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { code, stdout, stderr }
}

// Each test starts a `bun` process; on a busy 2-core machine that takes seconds.
const SPAWN_TIMEOUT = 60_000

describe("export-dataset command", () => {
  test("--format parquet --since ISO: counts printed, files written, progress on stderr", async () => {
    const out = join(dir, "cli")
    const since = new Date((NOW - 3 * 3600) * 1000).toISOString()
    const r = await cli(["--out", out, "--store.path", storeFile, "--format", "parquet", "--since", since])
    expect(r.code).toBe(0)
    const { rows } = await expectedRows(["seed"], NOW - 3 * 3600)
    expect(r.stdout).toMatch(new RegExp(`^scanned ${REQUESTS} requests: exported ${rows.length} rows \\(\\d+ completions, \\d+ pairs\\)`, "m"))
    expect(r.stdout).toContain("wrote data/train.parquet (")
    expect(r.stdout).not.toContain("train.jsonl")
    expect(r.stderr).toMatch(/read \d+\/\d+ scored requests/)
    expect(existsSync(join(out, "data/train.jsonl"))).toBe(false)
    expect(await readParquetRows(new Uint8Array(readFileSync(join(out, "data/train.parquet"))))).toEqual(rows)
  }, SPAWN_TIMEOUT)

  test("bad flags: exit 2 with the reason, nothing written", async () => {
    const out = join(dir, "bad")
    for (const [args, reason] of [
      [["--format", "xml"], "--format"],
      [["--since", "last tuesday"], "--since"],
      [["--hf.repo", "org/name"], "HF_TOKEN"]
    ] as const) {
      const r = await cli(["--out", out, "--store.path", storeFile, ...args])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(reason)
    }
    expect(existsSync(out)).toBe(false)
  }, SPAWN_TIMEOUT)

  test("--hf.repo with HF_TOKEN: the files land in a dataset repo of the hub (local stub), byte for byte", async () => {
    const token = "hf_stub_write_token_0123456789"
    const hub = startHubStub(token)
    try {
      const out = join(dir, "upload")
      const r = await cli(["--out", out, "--store.path", storeFile, "--hf.repo", "dojo-subnet/consensus", "--hf.hub_url", hub.url], cliEnv({ HF_TOKEN: token }))
      expect(r.stderr).not.toContain(token)
      expect(r.stdout).not.toContain(token)
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`uploaded to ${hub.url}/datasets/dojo-subnet/consensus (created) commit `)
      const repo = hub.repos.get("datasets/dojo-subnet/consensus")!
      expect([...repo.files.keys()].sort()).toEqual(["README.md", "data/train.jsonl", "data/train.parquet", "pairs.jsonl"])
      for (const [path, bytes] of repo.files) expect(Buffer.from(bytes).equals(readFileSync(join(out, path)))).toBe(true)
    } finally {
      hub.stop()
    }
  }, SPAWN_TIMEOUT)
})
