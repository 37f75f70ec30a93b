/** `ApiKeyStore` over `@effect/sql` (SQLite or PostgreSQL). */
import { SqlClient } from "@effect/sql"
import { Clock, Effect, Layer, Option, Schema } from "effect"
import { type ApiKey, ApiKeyStore, type NewApiKey } from "../../services/api-key-store.ts"
import type { StoreError } from "../../services/store-error.ts"
import { asStoreError, decodeRows, NullableNumber, NumberColumn } from "./columns.ts"
import { validatorSchema } from "./migrations.ts"
import { memoryStore, SqlLive } from "./sql-client.ts"

const ApiKeyRow = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  key_hash: Schema.String,
  rate_limit_per_minute: NumberColumn,
  created_at: NumberColumn,
  revoked_at: NullableNumber
})

const toApiKey = (row: typeof ApiKeyRow.Type): ApiKey => ({
  id: row.id,
  name: row.name,
  keyHash: row.key_hash,
  rateLimitPerMinute: row.rate_limit_per_minute,
  createdAt: row.created_at,
  ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at })
})

/** Builds the key store on the ambient `SqlClient` (its schema already migrated: see `layer`). */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  const createApiKey = Effect.fn("ApiKeyStore.createApiKey")(
    (input: NewApiKey) =>
      Effect.asVoid(sql`INSERT INTO api_keys ${sql.insert({
        id: input.id,
        name: input.name,
        key_hash: input.keyHash,
        rate_limit_per_minute: input.rateLimitPerMinute,
        created_at: input.createdAt,
        revoked_at: null
      })}`),
    asStoreError("createApiKey")
  )

  const findApiKey = Effect.fn("ApiKeyStore.findApiKey")(
    (keyHash: string) =>
      sql`SELECT * FROM api_keys WHERE key_hash = ${keyHash} AND revoked_at IS NULL`.pipe(
        Effect.flatMap(decodeRows(ApiKeyRow)),
        Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), toApiKey))
      ),
    asStoreError("findApiKey")
  )

  const revokeApiKey = Effect.fn("ApiKeyStore.revokeApiKey")(
    function* (id: string) {
      const now = (yield* Clock.currentTimeMillis) / 1000
      const rows = yield* sql`UPDATE api_keys SET revoked_at = ${now} WHERE id = ${id} AND revoked_at IS NULL RETURNING id`
      return rows.length > 0
    },
    asStoreError("revokeApiKey")
  )

  const listApiKeys = sql`SELECT * FROM api_keys ORDER BY created_at, id`.pipe(
    Effect.flatMap(decodeRows(ApiKeyRow)),
    Effect.map((rows) => rows.map(toApiKey)),
    Effect.withSpan("ApiKeyStore.listApiKeys"),
    asStoreError("listApiKeys")
  )

  return ApiKeyStore.of({ createApiKey, findApiKey, revokeApiKey, listApiKeys })
})

/** `ApiKeyStore` on the ambient `SqlClient`, migrating the validator's schema first. */
export const layer: Layer.Layer<ApiKeyStore, StoreError, SqlClient.SqlClient> = Layer.effect(ApiKeyStore, make).pipe(
  Layer.provide(validatorSchema)
)

/** `ApiKeyStore` on a fresh in-memory SQLite database (tests). */
export const layerTest: Layer.Layer<ApiKeyStore, StoreError> = layer.pipe(Layer.provide(SqlLive(memoryStore)))
