/**
 * Where the read-only `shared/` folder (chain specs, reference vectors) lives: `../shared` beside the
 * checkout, or `DOJO_SHARED_DIR`. Programs such as the local chain and the demo need it at run time.
 */
import { existsSync } from "node:fs"
import { join, resolve } from "node:path"
import { Config, Effect } from "effect"

/** The repository root (this file is src/adapters/shared-dir.ts). */
export const repoRoot = resolve(import.meta.dir, "../..")

/** The shared folder: `DOJO_SHARED_DIR` when set, else `../shared` from the repository root. */
export const sharedDirSync = (): string => process.env["DOJO_SHARED_DIR"] ?? resolve(repoRoot, "../shared")

/** The shared folder, read through `Config` (DOJO_SHARED_DIR); fails when it does not exist. */
export const sharedDir: Effect.Effect<string, Error> = Effect.gen(function* () {
  const configured = yield* Config.option(Config.string("DOJO_SHARED_DIR")).pipe(Effect.orElseSucceed(() => undefined))
  const dir = configured !== undefined && configured._tag === "Some" ? configured.value : resolve(repoRoot, "../shared")
  if (!existsSync(dir)) return yield* Effect.fail(new Error(`shared/ not found at ${dir}: set DOJO_SHARED_DIR`))
  return dir
})

/** The chain spec file of a subtensor runtime version (185 or 218) inside the shared folder. */
export const chainSpecPath = (shared: string, spec: 185 | 218): string =>
  join(shared, "chainspecs", spec === 185 ? "subtensor-local-v185.json" : "subtensor-raonet-v218.json")
