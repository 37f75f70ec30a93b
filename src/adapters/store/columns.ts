/**
 * Column codecs shared by the SQL stores, so each row is decoded with a Schema whichever driver read it:
 * SQLite returns numbers for every numeric column, node-postgres returns BIGINT, COUNT and SUM as
 * decimal strings; booleans are INTEGER 0/1; structured values are JSON text.
 */
import { Effect, type ParseResult, Schema } from "effect"
import { storeError, type StoreError, type StoreErrorCause } from "../../services/store-error.ts"

/** A numeric column from either driver. */
export const NumberColumn = Schema.Union(Schema.Number, Schema.NumberFromString)

/** A nullable numeric column. */
export const NullableNumber = Schema.NullOr(NumberColumn)

/** An INTEGER 0/1 column as a boolean. */
export const BoolColumn = Schema.transformLiterals([0, false], [1, true])

/** Encodes a value of `schema` as the JSON text stored in a column. */
export const encodeJson = <A, I>(schema: Schema.Schema<A, I>) => {
  const encode = Schema.encode(Schema.parseJson(schema))
  return (value: A): Effect.Effect<string, ParseResult.ParseError> => encode(value)
}

/** Decodes the rows a query returned. */
export const decodeRows = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknown(Schema.Array(schema))
  return (rows: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<A>, ParseResult.ParseError> => decode(rows)
}

const isStoreCause = (e: unknown): e is StoreErrorCause =>
  typeof e === "object" &&
  e !== null &&
  "_tag" in e &&
  (e._tag === "SqlError" || e._tag === "ParseError" || e._tag === "MigrationError")

/** Turns driver, decoding and migration failures of one operation into a `StoreError`; other errors pass. */
export const asStoreError =
  (operation: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, Exclude<E, StoreErrorCause> | StoreError, R> =>
    Effect.catchIf(self, isStoreCause, (cause) => Effect.fail(storeError(operation, cause))) as Effect.Effect<
      A,
      Exclude<E, StoreErrorCause> | StoreError,
      R
    >

/** Splits rows into batches small enough for one INSERT on both databases (bound-parameter limits). */
export const batches = <A>(rows: ReadonlyArray<A>, columns: number): ReadonlyArray<ReadonlyArray<A>> => {
  const size = Math.max(1, Math.floor(30_000 / Math.max(1, columns)))
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size))
  return out
}
