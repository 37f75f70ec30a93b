/**
 * The api-keys command, spawned as a user runs it, against a temporary SQLite store: the printed key
 * authenticates on a running validator server that uses the same file, only its hash is stored, and
 * `revoke` shuts it out at once.
 */
import { afterAll, describe, expect, test } from "bun:test"
import { Database } from "bun:sqlite"
import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import { createHash } from "node:crypto"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as ChainMemory from "../../src/adapters/chain/memory.ts"
import * as RequestRandomnessLive from "../../src/adapters/request-randomness.ts"
import * as DendriteLive from "../../src/adapters/dendrite/dendrite.ts"
import { serveValidatorHttp } from "../../src/adapters/http/validator-server.ts"
import * as ValidatorStoreSql from "../../src/adapters/store/validator-store.ts"
import { keypairFromUri } from "../../src/adapters/wallet/sr25519.ts"
import { layerDev } from "../../src/adapters/wallet/wallet-fs.ts"
import { defaultValidatorSettings, ValidatorSettings } from "../../src/pipeline/validator/settings.ts"
import { repoRoot } from "../support/shared.ts"
import { Netuid } from "../../src/domain/chain/ids.ts"

const dirs: string[] = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "dojo-api-keys-"))
  dirs.push(d)
  return d
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const proc = Bun.spawnSync(["bun", "run", "src/programs/api-keys.ts", ...args], {
    cwd: repoRoot,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env }
  })
  const stdout = proc.stdout.toString()
  return { code: proc.exitCode, stdout, stderr: proc.stderr.toString(), lines: stdout.trimEnd().split("\n") }
}

// Each test starts `bun` processes; on a busy 2-core machine that takes seconds.
const SPAWN_TIMEOUT = 60_000

describe("api-keys", () => {
  test(
    "create prints the key once as its last line; it authenticates, only its hash is stored; list and revoke",
    async () => {
      const dir = tempDir()
      const file = join(dir, "store.sqlite")
      const created = cli(["create", "--name", "rlhf trainer", "--rate_limit", "12", "--store.path", file])
      expect(created.code).toBe(0)
      const key = created.lines[created.lines.length - 1]!
      expect(key).toMatch(/^dojo_[A-Za-z0-9_-]{43}$/)
      expect(created.stdout.split(key)).toHaveLength(2) // printed exactly once
      expect(created.stderr).not.toContain(key) // logs carry the id only
      const id = /created API key (key_[0-9a-f]{16}) \("rlhf trainer", 12 requests\/minute\)/.exec(created.stdout)![1]!
      expect(created.stderr).toContain(id)

      // The store has the SHA-256 of the key and nothing else that reveals it, in any file.
      const db = new Database(file, { readonly: true })
      const rows = db.query("SELECT id, name, key_hash, rate_limit_per_minute, revoked_at FROM api_keys").all() as any[]
      db.close()
      expect(rows).toEqual([
        { id, name: "rlhf trainer", key_hash: createHash("sha256").update(key).digest("hex"), rate_limit_per_minute: 12, revoked_at: null }
      ])
      for (const f of readdirSync(dir)) expect(readFileSync(join(dir, f)).includes(key.slice(5))).toBe(false)

      // A validator server on the same file accepts the key (404: authenticated, no such request) and refuses others.
      const runtime = ManagedRuntime.make(
        Layer.mergeAll(
          ChainMemory.layer({ subnets: [{ netuid: 1 }] }),
          ValidatorStoreSql.layer({ _tag: "sqlite", filename: file }),
          RequestRandomnessLive.layer,
          DendriteLive.layer({ hotkey: keypairFromUri("//Alice//hot") }),
          layerDev("//Alice"),
          Layer.succeed(ValidatorSettings, { ...defaultValidatorSettings, netuid: Netuid.make(1) })
        )
      )
      const scope = await runtime.runPromise(Scope.make())
      try {
        const server = await runtime.runPromise(serveValidatorHttp({ ip: "127.0.0.2", port: 0 }).pipe(Scope.extend(scope)))
        const get = (auth: string) => fetch(`${server.url}/api/v1/score/nothing`, { headers: { authorization: `Bearer ${auth}` } })
        expect((await get(key)).status).toBe(404)
        expect((await get(`dojo_${"x".repeat(43)}`)).status).toBe(401)

        const listed = cli(["list", "--store.path", file])
        expect(listed.code).toBe(0)
        expect(listed.stdout).toMatch(new RegExp(`^${id}  "rlhf trainer"  12/min  created \\d{4}-\\d\\d-\\d\\dT[^ ]+Z  active$`, "m"))
        expect(listed.stdout).not.toContain(key)
        expect(listed.stdout).not.toContain(rows[0].key_hash)

        const revoked = cli(["revoke", "--id", id, "--store.path", file])
        expect(revoked.code).toBe(0)
        expect(revoked.stdout.trim()).toBe(`revoked ${id}`)
        // The running server sees the revocation on the next request.
        const refused = await get(key)
        expect(refused.status).toBe(401)
        expect(((await refused.json()) as any).message).toMatch(/unknown or revoked/)
        expect(cli(["list", "--store.path", file]).stdout).toMatch(new RegExp(`^${id} .* revoked \\d{4}-`, "m"))

        const again = cli(["revoke", "--id", id, "--store.path", file])
        expect(again.code).toBe(1)
        expect(again.stderr).toContain(`no active API key ${id}`)
      } finally {
        await runtime.runPromise(Scope.close(scope, Exit.void))
        await runtime.dispose()
      }
    },
    SPAWN_TIMEOUT
  )

  test(
    "without store flags the store is the validator's, in its data directory; list/revoke never create one",
    () => {
      // HOME moved to a temporary folder: the default data directory is ~/.bittensor/miners/<wallet>/<hotkey>/netuid<N>/validator.
      const home = tempDir()
      const env = { HOME: home }
      const flags = ["--netuid", "5", "--wallet.name", "val", "--wallet.hotkey", "hk"]
      expect(cli(["list", ...flags], env).stderr).toContain("no store at")
      expect(existsSync(join(home, ".bittensor"))).toBe(false)
      const r = cli(["create", "--name", "n", ...flags], env)
      expect(r.code).toBe(0)
      expect(existsSync(join(home, ".bittensor", "miners", "val", "hk", "netuid5", "validator", "dojo.sqlite"))).toBe(true)
      const listed = cli(["list", ...flags], env)
      expect(listed.code).toBe(0)
      expect(listed.stdout).toMatch(/^key_[0-9a-f]{16}  "n"  60\/min/m)

      // --neuron.data_dir moves it, as for the validator.
      const dataDir = join(tempDir(), "state")
      expect(cli(["create", "--name", "m", "--neuron.data_dir", dataDir], env).code).toBe(0)
      expect(existsSync(join(dataDir, "dojo.sqlite"))).toBe(true)

      const missing = cli(["revoke", "--id", "key_0000000000000000", "--store.path", join(home, "none.sqlite")], env)
      expect(missing.code).toBe(1)
      expect(missing.stderr).toContain(`no store at ${join(home, "none.sqlite")}`)
      const bad = cli(["create", "--name", "n", "--rate_limit", "0", "--store.path", join(home, "x.sqlite")], env)
      expect(bad.code).toBe(2)
      expect(existsSync(join(home, "x.sqlite"))).toBe(false)
    },
    SPAWN_TIMEOUT
  )
})
