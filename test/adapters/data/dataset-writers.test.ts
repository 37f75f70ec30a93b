import { describe, expect, test } from "bun:test"
import { parquetMetadata, parquetSchema } from "hyparquet"
import fc from "fast-check"
import { jsonlBytes, parquetBytes, readParquetRows } from "../../../src/adapters/data/dataset-writers.ts"
import type { DatasetRow } from "../../../src/domain/data/preference-dataset.ts"

const text = fc.string({ unit: "grapheme", maxLength: 80 })
const score = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((x) => (Object.is(x, -0) ? 0 : x))

const row: fc.Arbitrary<DatasetRow> = fc.record({
  request_id: fc.uuid(),
  prompt: text,
  completions: fc.array(fc.record({ cid: fc.string({ minLength: 1, maxLength: 12 }), text, consensus_score: score }), { maxLength: 6 }),
  chosen: text,
  rejected: text,
  chosen_cid: fc.string({ maxLength: 12 }),
  rejected_cid: fc.string({ maxLength: 12 }),
  pairs: fc.array(fc.record({ chosen_cid: fc.string({ maxLength: 12 }), rejected_cid: fc.string({ maxLength: 12 }) }), { maxLength: 10 }),
  n_miners: fc.integer({ min: 0, max: 256 }),
  created_at: fc.double({ min: 0, max: 4e9, noNaN: true }),
  scored_at: fc.double({ min: 0, max: 4e9, noNaN: true })
})

describe("dataset writers", () => {
  test("property: Parquet read back with hyparquet gives the same rows (nested lists of structs included)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 30 }), async (rows) => {
        const back = await readParquetRows(parquetBytes(rows))
        expect(back).toEqual(rows)
      }),
      { numRuns: 60 }
    )
  })

  test("the Parquet schema has native list<struct> columns, not JSON strings", () => {
    const bytes = parquetBytes([])
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
    const schema = parquetSchema(parquetMetadata(buffer))
    const completions = schema.children.find((c) => c.element.name === "completions")!
    expect(completions.element.converted_type).toBe("LIST")
    expect(completions.children[0]!.children[0]!.children.map((c) => c.element.name)).toEqual(["cid", "text", "consensus_score"])
    expect(schema.children.map((c) => c.element.name)).toEqual([
      "request_id",
      "prompt",
      "completions",
      "chosen",
      "rejected",
      "chosen_cid",
      "rejected_cid",
      "pairs",
      "n_miners",
      "created_at",
      "scored_at"
    ])
  })

  test("property: JSONL is one JSON object per line, each line parsing back to its record", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ prompt: fc.option(text, { nil: null }), chosen: text, rejected: text }), { maxLength: 20 }), (records) => {
        const out = new TextDecoder().decode(jsonlBytes(records))
        const lines = out.split("\n")
        expect(lines.pop()).toBe("")
        expect(lines.map((l) => JSON.parse(l))).toEqual(records)
      })
    )
  })
})
