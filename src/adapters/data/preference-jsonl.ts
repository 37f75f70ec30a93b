/** A PreferenceSource over a local JSONL file (one JSON object per line), read once and cycled. */
import { FileSystem } from "@effect/platform"
import { Effect, Ref } from "effect"
import { mapRow, type RowMapping } from "../../domain/data/preference-datasets.ts"
import type { PreferenceItem } from "../../domain/data/preference-item.ts"
import { PreferenceDataError, type PreferenceSource } from "../../services/preference-data.ts"

/** Picks a mapping from the row's own fields: chosen/rejected pairs, or prompt + completions. */
const autoMapping = (row: Record<string, unknown>): RowMapping | null =>
  "chosen" in row && "rejected" in row
    ? { kind: "pair", chosen: "chosen", rejected: "rejected", ...("prompt" in row ? { prompt: "prompt" } : {}) }
    : "completions" in row
      ? { kind: "completions", prompt: "prompt", completions: "completions" }
      : null

/** Parses JSONL text into items; lines that are not JSON objects or do not fit are skipped and counted. */
export const parseJsonl = (
  text: string,
  name: string,
  mapping: RowMapping | null
): { items: PreferenceItem[]; skipped: number } => {
  const items: PreferenceItem[] = []
  let skipped = 0
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return
    let row: unknown
    try {
      row = JSON.parse(line)
    } catch {
      skipped++
      return
    }
    if (row === null || typeof row !== "object" || Array.isArray(row)) return void skipped++
    const record = row as Record<string, unknown>
    const m = mapping ?? autoMapping(record)
    const item = m === null ? null : mapRow(m, `${name}#${i + 1}`, record)
    if (item === null) skipped++
    else items.push(item)
  })
  return { items, skipped }
}

/** A cycling source over a JSONL file. Fails at construction if the file is missing or has no usable row. */
export const jsonlSource = Effect.fn("PreferenceData.jsonlSource")(function* (path: string, mapping: RowMapping | null = null) {
  const fs = yield* FileSystem.FileSystem
  const text = yield* fs.readFileString(path).pipe(
    Effect.mapError((e) => new PreferenceDataError({ source: path, message: `cannot read ${path}: ${e.message}` }))
  )
  const { items, skipped } = parseJsonl(text, path, mapping)
  if (items.length === 0)
    return yield* new PreferenceDataError({ source: path, message: `${path} has no usable row (${skipped} skipped)` })
  if (skipped > 0) yield* Effect.logWarning("skipped JSONL rows that do not fit").pipe(Effect.annotateLogs({ path, skipped }))
  const cursor = yield* Ref.make(0)
  const next = Ref.getAndUpdate(cursor, (i) => (i + 1) % items.length).pipe(Effect.map((i) => items[i]!))
  return { name: path, next } satisfies PreferenceSource
})
