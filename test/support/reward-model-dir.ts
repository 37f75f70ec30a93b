/** Writes generated reward-model directories into fresh temp dirs for tests (nothing is committed). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { type ExportableRewardModel, rewardModelFiles } from "../../src/adapters/data/reward-model-export.ts"

const made: Array<string> = []

/** A fresh empty temp directory, removed by `removeTempDirs`. */
export const tempDir = (prefix = "dojo-rm-"): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** Writes a model directory (the exporter's files) into a new temp dir and returns its path. */
export const writeModelDir = (m: ExportableRewardModel): string => {
  const dir = tempDir()
  for (const [parts, bytes] of rewardModelFiles(m)) {
    const file = join(dir, ...parts)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, bytes)
  }
  return dir
}

/** Removes every temp dir made here. */
export const removeTempDirs = (): void => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
}
