/** The one failure every durable-store operation can have: the database (or a stored row) let it down. */
import type { MigrationError } from "@effect/sql/Migrator"
import type { SqlError } from "@effect/sql/SqlError"
import { Data, type ParseResult } from "effect"

/** What a `StoreError` wraps: the driver's error, a row that did not decode, or a failed migration. */
export type StoreErrorCause = SqlError | ParseResult.ParseError | MigrationError

/** A store operation failed; nothing it was doing was committed. `operation` names it, e.g. "saveRequest". */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly operation: string
  readonly cause: StoreErrorCause
  readonly message: string
}> {}

/** Wraps a failure, naming the operation; the text comes from the cause's message, never from row values. */
export const storeError = (operation: string, cause: StoreErrorCause): StoreError => {
  const what =
    cause._tag === "SqlError"
      ? `${cause.message}${cause.cause instanceof Error ? `: ${cause.cause.message}` : ""}`
      : cause._tag === "MigrationError"
        ? cause.message
        : "a stored row did not decode"
  return new StoreError({ operation, cause, message: `store ${operation} failed: ${what}` })
}
