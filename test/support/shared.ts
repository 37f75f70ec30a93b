/** Where the read-only `shared/` folder lives: beside the checkout, or DOJO_SHARED_DIR. Tests read it at run time. */
import { existsSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"

export const repoRoot = resolve(import.meta.dir, "../..")
export const sharedDir = process.env.DOJO_SHARED_DIR ?? resolve(repoRoot, "../shared")

if (!existsSync(sharedDir)) throw new Error(`shared/ not found at ${sharedDir}: set DOJO_SHARED_DIR`)

/** Parses a JSON file under shared/reference/vectors. */
export const readVector = <A = any>(name: string): A =>
  JSON.parse(readFileSync(join(sharedDir, "reference", "vectors", name), "utf8")) as A
