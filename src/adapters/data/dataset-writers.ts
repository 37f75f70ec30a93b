/**
 * The dataset's encoders and its local-directory sink: JSONL (one object per line) and Parquet with
 * native nested columns (`completions` and `pairs` as list<struct>, so dataset viewers show them as
 * such) through `hyparquet-writer`; `readParquetRows` reads a file back with `hyparquet`. Each file is
 * written to a temporary name and renamed, so a reader never sees half a file.
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect, Layer } from "effect"
import type { SchemaElement } from "hyparquet"
import { parquetReadObjects } from "hyparquet"
import { parquetWriteBuffer } from "hyparquet-writer"
import type { DatasetRow } from "../../domain/data/preference-dataset.ts"
import { DatasetSink, DatasetSinkError } from "../../services/dataset-sink.ts"

const encoder = new TextEncoder()

/** JSONL bytes: one JSON object per line, each line ending in a newline. */
export const jsonlBytes = (records: ReadonlyArray<unknown>): Uint8Array =>
  encoder.encode(records.map((r) => `${JSON.stringify(r)}\n`).join(""))

const text = (name: string): SchemaElement => ({ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" })
const listOf = (name: string, fields: ReadonlyArray<SchemaElement>): ReadonlyArray<SchemaElement> => [
  { name, repetition_type: "REQUIRED", converted_type: "LIST", num_children: 1 },
  { name: "list", repetition_type: "REPEATED", num_children: 1 },
  { name: "element", repetition_type: "REQUIRED", num_children: fields.length },
  ...fields
]

/** The Parquet schema of `data/train.parquet`, in `DatasetRow` field order. */
export const datasetParquetSchema: ReadonlyArray<SchemaElement> = [
  { name: "root", num_children: 11 },
  text("request_id"),
  text("prompt"),
  ...listOf("completions", [text("cid"), text("text"), { name: "consensus_score", type: "DOUBLE", repetition_type: "REQUIRED" }]),
  text("chosen"),
  text("rejected"),
  text("chosen_cid"),
  text("rejected_cid"),
  ...listOf("pairs", [text("chosen_cid"), text("rejected_cid")]),
  { name: "n_miners", type: "INT32", repetition_type: "REQUIRED" },
  { name: "created_at", type: "DOUBLE", repetition_type: "REQUIRED" },
  { name: "scored_at", type: "DOUBLE", repetition_type: "REQUIRED" }
]

/** The rows as a Parquet file (snappy-compressed). */
export const parquetBytes = (rows: ReadonlyArray<DatasetRow>): Uint8Array => {
  const column = <K extends keyof DatasetRow>(name: K) => ({ name, data: rows.map((r) => r[name]) as Array<unknown> })
  const buffer = parquetWriteBuffer({
    columnData: [
      column("request_id"),
      column("prompt"),
      column("completions"),
      column("chosen"),
      column("rejected"),
      column("chosen_cid"),
      column("rejected_cid"),
      column("pairs"),
      column("n_miners"),
      column("created_at"),
      column("scored_at")
    ],
    schema: [...datasetParquetSchema],
    createdBy: "dojo export-dataset (hyparquet-writer)"
  })
  return new Uint8Array(buffer)
}

/** Reads a dataset Parquet file back into rows (hyparquet). */
export const readParquetRows = async (bytes: Uint8Array): Promise<Array<DatasetRow>> => {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  return (await parquetReadObjects({ file })) as unknown as Array<DatasetRow>
}

/** `DatasetSink` writing into a local directory (created if missing; files replaced). */
export const DatasetSinkFs = (root: string): Layer.Layer<DatasetSink, never, FileSystem.FileSystem | Path.Path> =>
  Layer.effect(
    DatasetSink,
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const write = (relative: string, encode: () => Uint8Array) =>
        Effect.gen(function* () {
          const target = path.join(root, relative)
          const bytes = yield* Effect.try({ try: encode, catch: (e) => new DatasetSinkError({ path: target, reason: `encoding failed: ${String(e)}` }) })
          const fail = (e: { readonly message: string }) => new DatasetSinkError({ path: target, reason: e.message })
          yield* fs.makeDirectory(path.dirname(target), { recursive: true }).pipe(Effect.mapError(fail))
          const temporary = `${target}.partial`
          yield* fs.writeFile(temporary, bytes).pipe(Effect.mapError(fail))
          yield* fs.rename(temporary, target).pipe(Effect.mapError(fail))
          return bytes.byteLength
        }).pipe(Effect.withSpan("DatasetSink.write", { attributes: { path: relative } }))
      return DatasetSink.of({
        writeJsonl: (relative, records) => write(relative, () => jsonlBytes(records)),
        writeParquet: (relative, rows) => write(relative, () => parquetBytes(rows)),
        writeText: (relative, text) => write(relative, () => encoder.encode(text))
      })
    })
  )
