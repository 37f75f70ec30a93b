/**
 * Scoring-API keys and their rate limit. A key is `dojo_` + 32 random bytes in base64url; the store keeps
 * only its SHA-256 (hex), so a leaked database gives no usable key and the key itself is shown once, by
 * the command that created it. Keys travel as `Redacted` and only the key id is ever logged.
 */
import { Clock, Effect, Option, Redacted } from "effect"
import { createHash, randomBytes } from "node:crypto"
import { ApiKeyStore, type ApiKey, type NewApiKey } from "../../services/api-key-store.ts"

/** Prefix of every key, so a leaked one is recognisable (secret scanners, logs). */
export const API_KEY_PREFIX = "dojo_"

/** A well-formed key: the prefix and 43 base64url characters (32 bytes). */
const KEY_SHAPE = /^dojo_[A-Za-z0-9_-]{43}$/

/** Requests per minute a new key gets unless told otherwise. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 60

/** The SHA-256 of a key, as lowercase hex: what the store keeps and looks keys up by. */
export const hashApiKey = (key: Redacted.Redacted<string>): string =>
  createHash("sha256").update(Redacted.value(key), "utf8").digest("hex")

/** True when the text has the shape of a key (checked before any store lookup). */
export const isWellFormedKey = (key: Redacted.Redacted<string>): boolean => KEY_SHAPE.test(Redacted.value(key))

/** A fresh random key (from the system's CSPRNG, never from a seedable generator). */
export const generateApiKey = (): Redacted.Redacted<string> =>
  Redacted.make(API_KEY_PREFIX + randomBytes(32).toString("base64url"))

/** A fresh key id, `key_` + 16 hex characters: public, safe to log and to print. */
export const generateApiKeyId = (): string => `key_${randomBytes(8).toString("hex")}`

/** A key just created: its stored record and the key itself (show it once, then forget it). */
export interface CreatedApiKey {
  readonly record: NewApiKey
  readonly key: Redacted.Redacted<string>
}

/** Creates and stores a key; only its hash is stored. */
export const createApiKey = Effect.fn("ApiKeys.create")(function* (input: { readonly name: string; readonly rateLimitPerMinute: number }) {
  const store = yield* ApiKeyStore
  const key = generateApiKey()
  const record: NewApiKey = {
    id: generateApiKeyId(),
    name: input.name,
    keyHash: hashApiKey(key),
    rateLimitPerMinute: input.rateLimitPerMinute,
    createdAt: (yield* Clock.currentTimeMillis) / 1000
  }
  yield* store.createApiKey(record)
  yield* Effect.logInfo("API key created").pipe(Effect.annotateLogs({ api_key_id: record.id, name: record.name }))
  return { record, key } satisfies CreatedApiKey
})

/** The live (not revoked) key record for a presented key; none for a malformed, unknown or revoked one. */
export const findKey = Effect.fn("ApiKeys.find")(function* (key: Redacted.Redacted<string>) {
  if (!isWellFormedKey(key)) return Option.none<ApiKey>()
  const store = yield* ApiKeyStore
  return yield* store.findApiKey(hashApiKey(key))
})

// ---------------------------------------------------------------------------------------------------
// Rate limit: a token bucket per key, holding up to a minute's allowance and refilled continuously.

/** One key's bucket. */
export interface TokenBucket {
  readonly tokens: number
  /** Unix seconds of the last refill. */
  readonly at: number
}

/** Whether a request may go ahead, and if not, in how many whole seconds it could. */
export type RateDecision =
  | { readonly _tag: "Allowed"; readonly bucket: TokenBucket }
  | { readonly _tag: "Limited"; readonly bucket: TokenBucket; readonly retryAfterSeconds: number }

/**
 * Takes one token from a bucket of `perMinute` capacity refilled at `perMinute / 60` per second (a new
 * bucket starts full). Time running backwards refills nothing. A limit below 1 allows nothing.
 */
export const takeToken = (bucket: TokenBucket | undefined, perMinute: number, now: number): RateDecision => {
  const capacity = Math.max(0, perMinute)
  const rate = capacity / 60
  const start = bucket ?? { tokens: capacity, at: now }
  const elapsed = Math.max(0, now - start.at)
  const tokens = Math.min(capacity, start.tokens + elapsed * rate)
  const at = Math.max(now, start.at)
  // A hair of tolerance, so requests spaced exactly 60/perMinute apart are not refused for a rounding error.
  if (tokens >= 1 - 1e-9) return { _tag: "Allowed", bucket: { tokens: Math.max(0, tokens - 1), at } }
  const retryAfterSeconds = rate > 0 ? Math.max(1, Math.ceil((1 - tokens) / rate)) : 60
  return { _tag: "Limited", bucket: { tokens, at }, retryAfterSeconds }
}

/** Per-key rate limiting for one process (each validator limits its own API). */
export interface RateLimiter {
  /** Takes a token for `keyId` at the current time. */
  readonly take: (keyId: string, perMinute: number) => Effect.Effect<RateDecision>
}

/** A rate limiter with its buckets in memory. */
export const makeRateLimiter: Effect.Effect<RateLimiter> = Effect.sync(() => {
  const buckets = new Map<string, TokenBucket>()
  return {
    take: (keyId, perMinute) =>
      Effect.map(Clock.currentTimeMillis, (ms) => {
        const decision = takeToken(buckets.get(keyId), perMinute, ms / 1000)
        buckets.set(keyId, decision.bucket)
        return decision
      })
  }
})
