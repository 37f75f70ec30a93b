/**
 * A local stand-in for the Hugging Face Hub's upload API, as `@huggingface/hub` 2.x calls it for
 * `createRepo` + `uploadFiles` (read from node_modules/@huggingface/hub/src/lib/{create-repo,commit}.ts):
 *
 * - `POST /api/repos/create` `{name, organization, type}` → `{url, id}`; 409 when the repo exists.
 * - `POST /api/{type}s/{org}/{name}/preupload/{rev}` `{files: [{path, size, sample}]}` →
 *   `{files: [{path, uploadMode: "lfs" | "regular"}]}` (lfs for binary samples, `*.parquet`, or > 10 MB).
 * - `POST /{type}s/{org}/{name}.git/info/lfs/objects/batch` (git-lfs batch API) → `transfer: "basic"`
 *   with one PUT `upload` action per object not stored yet (the client then skips xet).
 * - `PUT /lfs-storage/{oid}`: the object; its sha256 must equal the oid.
 * - `POST /api/{type}s/{org}/{name}/commit/{rev}`, NDJSON: `header`, then `file` (base64 inline) or
 *   `lfsFile` (`{path, algo, size, oid}` of an uploaded object) lines → `{commitOid, commitUrl}`.
 *
 * Every call needs `Authorization: Bearer <token>` (401 JSON otherwise). Everything that arrives is recorded.
 */
import { createHash } from "node:crypto"

export interface StubCall {
  readonly method: string
  readonly path: string
  readonly authorized: boolean
  readonly contentType: string | null
}

export interface StubCommit {
  readonly repo: string
  readonly revision: string
  readonly summary: string
  readonly regular: ReadonlyArray<string>
  readonly lfs: ReadonlyArray<string>
}

export interface StubRepo {
  readonly type: string
  readonly visibility: string | undefined
  readonly files: Map<string, Uint8Array>
}

export interface HubStub {
  readonly url: string
  readonly calls: ReadonlyArray<StubCall>
  readonly repos: ReadonlyMap<string, StubRepo>
  readonly commits: ReadonlyArray<StubCommit>
  /** Offered LFS transfers per batch call, as the client sent them. */
  readonly lfsTransfers: ReadonlyArray<ReadonlyArray<string>>
  stop(): void
}

const json = (body: unknown, status = 200, type = "application/json") =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": type } })

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

/** Starts the stub on 127.0.0.1; `token` is the only accepted credential. */
export const startHubStub = (token: string): HubStub => {
  const calls: Array<StubCall> = []
  const repos = new Map<string, StubRepo>()
  const commits: Array<StubCommit> = []
  const lfsTransfers: Array<ReadonlyArray<string>> = []
  const objects = new Map<string, Uint8Array>()
  let base = ""

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url)
      const path = decodeURIComponent(url.pathname)
      const authorized = req.headers.get("authorization") === `Bearer ${token}`
      calls.push({ method: req.method, path, authorized, contentType: req.headers.get("content-type") })

      // The LFS storage takes pre-signed PUTs (no Authorization header, as on S3).
      const storage = /^\/lfs-storage\/([0-9a-f]{64})$/.exec(path)
      if (req.method === "PUT" && storage) {
        const body = new Uint8Array(await req.arrayBuffer())
        if (sha256(body) !== storage[1]) return json({ error: "sha256 mismatch" }, 400)
        objects.set(storage[1]!, body)
        return new Response(null, { status: 200, headers: { etag: `"${storage[1]}"` } })
      }
      if (!authorized) return json({ error: "Invalid credentials in Authorization header" }, 401)

      if (req.method === "POST" && path === "/api/repos/create") {
        const body = (await req.json()) as { name: string; organization: string; type: string; visibility?: string }
        const id = `${body.organization}/${body.name}`
        const key = `${body.type}s/${id}`
        if (repos.has(key)) return json({ error: "You already created this dataset repo", url: `${base}/${key}` }, 409)
        repos.set(key, { type: body.type, visibility: body.visibility, files: new Map() })
        return json({ url: `${base}/${key}`, id: `stub-${repos.size}` })
      }

      const preupload = /^\/api\/(\w+s)\/([^/]+\/[^/]+)\/preupload\/([^/]+)$/.exec(path)
      if (req.method === "POST" && preupload) {
        if (!repos.has(`${preupload[1]}/${preupload[2]}`)) return json({ error: "Repository not found" }, 404)
        const body = (await req.json()) as { files: Array<{ path: string; size: number; sample: string }> }
        return json({
          files: body.files.map((f) => {
            const sample = Buffer.from(f.sample, "base64")
            const binary = sample.includes(0)
            return { path: f.path, uploadMode: binary || f.path.endsWith(".parquet") || f.size > 10_000_000 ? "lfs" : "regular", shouldIgnore: false }
          })
        })
      }

      const batch = /^\/(\w+s)\/([^/]+\/[^/]+)\.git\/info\/lfs\/objects\/batch$/.exec(path)
      if (req.method === "POST" && batch) {
        const body = (await req.json()) as { operation: string; transfers?: Array<string>; objects: Array<{ oid: string; size: number }> }
        lfsTransfers.push(body.transfers ?? [])
        if (body.operation !== "upload") return json({ message: "only upload" }, 422, "application/vnd.git-lfs+json")
        return json(
          {
            transfer: "basic",
            objects: body.objects.map((o) =>
              objects.has(o.oid)
                ? { oid: o.oid, size: o.size }
                : { oid: o.oid, size: o.size, authenticated: true, actions: { upload: { href: `${base}/lfs-storage/${o.oid}`, expires_in: 3600 } } }
            )
          },
          200,
          "application/vnd.git-lfs+json"
        )
      }

      const commit = /^\/api\/(\w+s)\/([^/]+\/[^/]+)\/commit\/([^/]+)$/.exec(path)
      if (req.method === "POST" && commit) {
        const key = `${commit[1]}/${commit[2]}`
        const repo = repos.get(key)
        if (repo === undefined) return json({ error: "Repository not found" }, 404)
        const lines = (await req.text()).split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as { key: string; value: any })
        const header = lines.find((l) => l.key === "header")
        if (header === undefined) return json({ error: "missing header" }, 400)
        const regular: Array<string> = []
        const lfs: Array<string> = []
        const staged = new Map<string, Uint8Array>()
        for (const line of lines) {
          if (line.key === "file") {
            if (line.value.encoding !== "base64") return json({ error: "unsupported encoding" }, 400)
            staged.set(line.value.path, new Uint8Array(Buffer.from(line.value.content, "base64")))
            regular.push(line.value.path)
          } else if (line.key === "lfsFile") {
            const object = objects.get(line.value.oid)
            if (object === undefined || object.byteLength !== line.value.size)
              return json({ error: `LFS object ${line.value.oid} for ${line.value.path} was not uploaded` }, 400)
            staged.set(line.value.path, object)
            lfs.push(line.value.path)
          }
        }
        for (const [p, bytes] of staged) repo.files.set(p, bytes)
        const oid = createHash("sha1").update(`${commits.length}:${header.value.summary}`).digest("hex")
        commits.push({ repo: key, revision: commit[3]!, summary: header.value.summary, regular, lfs })
        return json({ success: true, commitOid: oid, commitUrl: `${base}/${key}/commit/${oid}`, hookOutput: "" })
      }
      return json({ error: `stub: no route for ${req.method} ${path}` }, 404)
    }
  })
  base = `http://127.0.0.1:${server.port}`
  return { url: base, calls, repos, commits, lfsTransfers, stop: () => void server.stop(true) }
}
