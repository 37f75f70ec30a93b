/** The scoring API's keys (port): only each key's hash is stored. Times are unix seconds. */
import { Context, type Effect, type Option } from "effect"
import type { StoreError } from "./store-error.ts"

export { StoreError } from "./store-error.ts"

/** A scoring-API key to create; only its hash is stored. */
export interface NewApiKey {
  readonly id: string
  readonly name: string
  readonly keyHash: string
  readonly rateLimitPerMinute: number
  readonly createdAt: number
}

/** A stored scoring-API key. */
export interface ApiKey extends NewApiKey {
  readonly revokedAt?: number
}

/** The API key store's operations. */
export interface ApiKeyStoreShape {
  /** Stores a new API key (fails if the id or hash exists). */
  readonly createApiKey: (input: NewApiKey) => Effect.Effect<void, StoreError>
  /** The non-revoked key with this hash. */
  readonly findApiKey: (keyHash: string) => Effect.Effect<Option.Option<ApiKey>, StoreError>
  /** Revokes a key (at the current time); false if there was no such non-revoked key. */
  readonly revokeApiKey: (id: string) => Effect.Effect<boolean, StoreError>
  /** All keys, revoked ones included, oldest first. */
  readonly listApiKeys: Effect.Effect<ReadonlyArray<ApiKey>, StoreError>
}

/** The scoring API's keys. */
export class ApiKeyStore extends Context.Tag("dojo/ApiKeyStore")<ApiKeyStore, ApiKeyStoreShape>() {}
