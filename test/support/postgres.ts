/**
 * A real PostgreSQL for tests. By default the system's server binaries (initdb + pg_ctl, a throwaway
 * cluster on a free loopback port, no fsync); where they are missing, or with DOJO_TEST_PG=pglite,
 * PGlite (PostgreSQL compiled to WASM) behind its socket server. DOJO_TEST_PG_URL uses a running server.
 */
import { spawnSync } from "bun"
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** A started server: connect with `url`, call `stop` when done. */
export interface TestPostgres {
  readonly url: string
  readonly kind: "system" | "pglite" | "external"
  readonly stop: () => Promise<void>
}

/** Highest-versioned `bin` directory holding initdb + pg_ctl, or undefined. */
const systemBinDir = (): string | undefined => {
  if (process.env.DOJO_PG_BIN !== undefined) return process.env.DOJO_PG_BIN
  const root = "/usr/lib/postgresql"
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")) && existsSync(join(root, v, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? undefined : join(root, versions[0], "bin")
}

/** A port nobody listens on right now. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const run = (argv: ReadonlyArray<string>, asUser: string | undefined) => {
  const full = asUser === undefined ? [...argv] : ["runuser", "-u", asUser, "--", ...argv]
  const result = spawnSync(full, { stdout: "pipe", stderr: "pipe" })
  if (result.exitCode !== 0)
    throw new Error(`${argv[0]} failed (${result.exitCode}): ${result.stderr.toString()}${result.stdout.toString()}`)
}

const startSystem = async (bin: string): Promise<TestPostgres> => {
  const dir = mkdtempSync(join(tmpdir(), "dojo-pg-"))
  // initdb refuses to run as root: hand the directory to the postgres user and run as it.
  const asUser = process.getuid?.() === 0 ? "postgres" : undefined
  if (asUser !== undefined) {
    const ids = spawnSync(["id", "-u", asUser]).stdout.toString().trim()
    const gid = spawnSync(["id", "-g", asUser]).stdout.toString().trim()
    chownSync(dir, Number(ids), Number(gid))
  }
  const data = join(dir, "data")
  run([join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--no-sync"], asUser)
  const port = await freePort()
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`
  run([join(bin, "pg_ctl"), "-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"], asUser)
  let stopped = false
  const stopSync = () => {
    if (stopped) return
    stopped = true
    spawnSync(
      asUser === undefined
        ? [join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]
        : ["runuser", "-u", asUser, "--", join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"],
      { stdout: "ignore", stderr: "ignore" }
    )
    rmSync(dir, { recursive: true, force: true })
  }
  // A test run killed half-way must not leave a server behind.
  process.once("exit", stopSync)
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    kind: "system",
    stop: async () => stopSync()
  }
}

const startPGlite = async (): Promise<TestPostgres> => {
  const { PGlite } = await import("@electric-sql/pglite")
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket")
  const db = await PGlite.create()
  // maxConnections must cover the client's pool, or extra connections are refused.
  const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 32 })
  await server.start()
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    kind: "pglite",
    stop: async () => {
      await server.stop()
      await db.close()
    }
  }
}

/** Starts a PostgreSQL as DOJO_TEST_PG says (`system`, `pglite`, unset = system when installed). */
export const startPostgres = async (): Promise<TestPostgres> => {
  const external = process.env.DOJO_TEST_PG_URL
  if (external !== undefined && external !== "") return { url: external, kind: "external", stop: async () => {} }
  const wanted = process.env.DOJO_TEST_PG
  if (wanted === "pglite") return startPGlite()
  const bin = systemBinDir()
  if (bin !== undefined) return startSystem(bin)
  if (wanted === "system") throw new Error("DOJO_TEST_PG=system but no initdb/pg_ctl under /usr/lib/postgresql (set DOJO_PG_BIN)")
  return startPGlite()
}
