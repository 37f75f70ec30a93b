/**
 * Dataset upload with `@huggingface/hub` against a local stub of the hub's upload API (repo create,
 * preupload, git-lfs batch + PUT, NDJSON commit), recording what arrives.
 */
import { afterAll, describe, expect, test } from "bun:test"
import { Effect, Exit, Redacted } from "effect"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { jsonlBytes, parquetBytes } from "../../../src/adapters/data/dataset-writers.ts"
import { HfUploadError, uploadDatasetToHub } from "../../../src/adapters/data/hf-hub-upload.ts"
import { startHubStub } from "../../support/stubs/hf-hub.ts"

const TOKEN = "hf_test_token_abcdefghijklmnop"
const hub = startHubStub(TOKEN)
const root = mkdtempSync(join(tmpdir(), "dojo-hf-upload-"))
afterAll(() => {
  hub.stop()
  rmSync(root, { recursive: true, force: true })
})

const rows = [
  {
    request_id: "r1",
    prompt: "How do I bake bread?",
    completions: [
      { cid: "a", text: "Knead, proof, bake at 230 °C.", consensus_score: 0.8 },
      { cid: "b", text: "dunno", consensus_score: 0.1 }
    ],
    chosen: "Knead, proof, bake at 230 °C.",
    rejected: "dunno",
    chosen_cid: "a",
    rejected_cid: "b",
    pairs: [{ chosen_cid: "a", rejected_cid: "b" }],
    n_miners: 5,
    created_at: 1_750_000_000,
    scored_at: 1_750_028_800
  }
]
const FILES = ["data/train.jsonl", "data/train.parquet", "pairs.jsonl", "README.md"]
mkdirSync(join(root, "data"))
writeFileSync(join(root, "data/train.jsonl"), jsonlBytes(rows))
writeFileSync(join(root, "data/train.parquet"), parquetBytes(rows))
writeFileSync(join(root, "pairs.jsonl"), jsonlBytes([{ prompt: rows[0]!.prompt, chosen: rows[0]!.chosen, rejected: rows[0]!.rejected }]))
writeFileSync(join(root, "README.md"), "---\nlicense: other\n---\n# test\n")

const upload = (options: Partial<Parameters<typeof uploadDatasetToHub>[2]> = {}) =>
  Effect.runPromiseExit(uploadDatasetToHub(root, FILES, { repo: "dojo/prefs", token: Redacted.make(TOKEN), hubUrl: hub.url, ...options }))

const failure = (exit: Exit.Exit<unknown, HfUploadError>): HfUploadError => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error(`expected a failure, got ${String(exit)}`)
  return exit.cause.error
}

describe("uploadDatasetToHub", () => {
  test("creates the dataset repo and commits every file: Parquet through LFS (sha256-checked PUT), text inline", async () => {
    const exit = await upload({ private: true })
    expect(Exit.isSuccess(exit)).toBe(true)
    if (!Exit.isSuccess(exit)) return
    expect(exit.value.created).toBe(true)
    expect(exit.value.repoUrl).toBe(`${hub.url}/datasets/dojo/prefs`)
    expect(exit.value.commitOid).toMatch(/^[0-9a-f]{40}$/)

    const repo = hub.repos.get("datasets/dojo/prefs")!
    expect(repo.type).toBe("dataset")
    expect(repo.visibility).toBe("private")
    expect([...repo.files.keys()].sort()).toEqual([...FILES].sort())
    for (const path of FILES) expect(Buffer.from(repo.files.get(path)!).equals(readFileSync(join(root, path)))).toBe(true)

    const commit = hub.commits[0]!
    expect(commit.repo).toBe("datasets/dojo/prefs")
    expect(commit.revision).toBe("main")
    expect(commit.lfs).toEqual(["data/train.parquet"])
    expect([...commit.regular].sort()).toEqual(["README.md", "data/train.jsonl", "pairs.jsonl"])
    // Plain LFS transfers only (useXet: false): the path this client and the stub agree on.
    expect(hub.lfsTransfers).toEqual([["basic", "multipart"]])
    const paths = hub.calls.map((c) => `${c.method} ${c.path.replace(/[0-9a-f]{64}/, "<oid>")}`)
    expect(paths).toEqual([
      "POST /api/repos/create",
      "POST /api/datasets/dojo/prefs/preupload/main",
      "POST /datasets/dojo/prefs.git/info/lfs/objects/batch",
      "PUT /lfs-storage/<oid>",
      "POST /api/datasets/dojo/prefs/commit/main"
    ])
    expect(hub.calls.filter((c) => !c.path.startsWith("/lfs-storage/")).every((c) => c.authorized)).toBe(true)
    expect(hub.calls.find((c) => c.path.endsWith("/commit/main"))!.contentType).toBe("application/x-ndjson")
  })

  test("a second export updates the existing repo (409 on create is fine); a stored LFS object is not sent again", async () => {
    const before = hub.calls.length
    const exit = await upload({ commitTitle: "second export" })
    expect(Exit.isSuccess(exit) && exit.value.created).toBe(false)
    expect(hub.commits.map((c) => c.summary)).toEqual([expect.stringContaining("Dojo consensus export"), "second export"])
    expect(hub.calls.slice(before).some((c) => c.method === "PUT")).toBe(false)
  })

  test("a refused token: typed error with the status, and the token appears nowhere in it", async () => {
    const e = failure(await upload({ repo: "dojo/other", token: Redacted.make("hf_wrong_token_zzzzzzzz") }))
    expect(e).toBeInstanceOf(HfUploadError)
    expect([e.step, e.status]).toEqual(["create-repo", 401])
    expect(e.message).toContain("datasets/dojo/other")
    expect(`${e.message} ${JSON.stringify(e)}`).not.toContain("hf_wrong_token")
    expect(hub.repos.has("datasets/dojo/other")).toBe(false)
  })

  test("an unreachable hub: a typed error, no status", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") })
    const url = `http://127.0.0.1:${closed.port}`
    closed.stop(true)
    const e = failure(await upload({ hubUrl: url }))
    expect([e.step, e.status]).toEqual(["create-repo", undefined])
  })
})
