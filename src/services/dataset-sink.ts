/**
 * Where an exported preference dataset goes (port): files under one dataset root, written whole.
 * Adapter: `src/adapters/data/dataset-writers.ts` (a local directory; JSONL and Parquet encoders).
 */
import { Context, Data, type Effect } from "effect"
import type { DatasetRow } from "../domain/data/preference-dataset.ts"

/** A dataset file could not be written. */
export class DatasetSinkError extends Data.TaggedError("DatasetSinkError")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `cannot write ${this.path}: ${this.reason}`
  }
}

/** The dataset files' writer; paths are relative to the dataset root (`data/train.parquet`). */
export interface DatasetSinkShape {
  /** Writes one JSON object per line; returns the bytes written. */
  readonly writeJsonl: (path: string, records: ReadonlyArray<unknown>) => Effect.Effect<number, DatasetSinkError>
  /** Writes the rows as Parquet with nested columns; returns the bytes written. */
  readonly writeParquet: (path: string, rows: ReadonlyArray<DatasetRow>) => Effect.Effect<number, DatasetSinkError>
  /** Writes a UTF-8 text file; returns the bytes written. */
  readonly writeText: (path: string, text: string) => Effect.Effect<number, DatasetSinkError>
}

/** The exported dataset's destination. */
export class DatasetSink extends Context.Tag("dojo/DatasetSink")<DatasetSink, DatasetSinkShape>() {}
