/**
 * One build per machine of a cached test dependency (a Python venv, the pinned Chromium): the first
 * process takes a lock directory beside `dir` and builds, the others wait for it; a lock left by a
 * killed run is taken over once stale. `dir` counts as built only once its `.ready` marker exists
 * (written last by the builder), so a half-built folder is never used.
 */
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs"
import { dirname } from "node:path"

const INSTALL_WAIT_MS = 10 * 60_000
const STALE_LOCK_MS = 15 * 60_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const lockIsStale = (lock: string): boolean => {
  try {
    return Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS
  } catch {
    return false
  }
}

/** The marker a finished build leaves in its folder. */
export const readyMarker = (dir: string): string => `${dir}/.ready`

/** Runs `build` unless `dir` is built already (or another process is building it: then waits); `what` names it in errors. */
export const buildOnce = async (dir: string, what: string, build: () => Promise<void>): Promise<void> => {
  mkdirSync(dirname(dir), { recursive: true })
  const lock = `${dir}.lock`
  const deadline = Date.now() + INSTALL_WAIT_MS
  while (!existsSync(readyMarker(dir))) {
    try {
      mkdirSync(lock)
    } catch {
      // Another process is building it; a lock left by a killed run is taken over.
      if (lockIsStale(lock)) rmSync(lock, { recursive: true, force: true })
      else if (Date.now() > deadline) throw new Error(`${what}: gave up waiting for ${lock} (another run building it?)`)
      else await sleep(500)
      continue
    }
    try {
      if (!existsSync(readyMarker(dir))) await build()
    } finally {
      rmSync(lock, { recursive: true, force: true })
    }
  }
}
