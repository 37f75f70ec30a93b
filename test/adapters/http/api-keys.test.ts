/** API keys (shape, hash-only storage, lookup) and the per-key token bucket's guarantees. */
import { describe, expect, test } from "bun:test"
import { Effect, Option, Redacted } from "effect"
import fc from "fast-check"
import { createHash } from "node:crypto"
import { createApiKey, findKey, generateApiKey, hashApiKey, isWellFormedKey, takeToken, type TokenBucket } from "../../../src/adapters/http/api-keys.ts"
import * as ValidatorStoreSql from "../../../src/adapters/store/validator-store.ts"
import { allStores } from "../../support/validator-stores.ts"

describe("keys", () => {
  test("dojo_ + 43 base64url characters (32 bytes), all different, redacted when printed", () => {
    const keys = Array.from({ length: 200 }, generateApiKey)
    for (const k of keys) {
      expect(Redacted.value(k)).toMatch(/^dojo_[A-Za-z0-9_-]{43}$/)
      expect(Buffer.from(Redacted.value(k).slice(5), "base64url")).toHaveLength(32)
      expect(isWellFormedKey(k)).toBe(true)
      expect(String(k)).not.toContain(Redacted.value(k))
      expect(JSON.stringify({ k })).not.toContain(Redacted.value(k))
    }
    expect(new Set(keys.map(Redacted.value)).size).toBe(keys.length)
    expect(isWellFormedKey(Redacted.make("dojo_short"))).toBe(false)
  })

  test("the store holds the SHA-256 hex of the key, never the key; lookup by key finds it until revoked", async () => {
    await Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* allStores
        const { record, key } = yield* createApiKey({ name: "app", rateLimitPerMinute: 30 })
        expect(record.keyHash).toBe(createHash("sha256").update(Redacted.value(key)).digest("hex"))
        expect(hashApiKey(key)).toBe(record.keyHash)
        const listed = yield* store.listApiKeys
        expect(listed).toHaveLength(1)
        expect(JSON.stringify(listed)).not.toContain(Redacted.value(key))
        expect(JSON.stringify(listed)).not.toContain(Redacted.value(key).slice(5))
        const found = yield* findKey(key)
        expect(Option.map(found, (k) => [k.id, k.name, k.rateLimitPerMinute])).toEqual(Option.some([record.id, "app", 30]))
        expect(Option.isNone(yield* findKey(generateApiKey()))).toBe(true)
        expect(yield* store.revokeApiKey(record.id)).toBe(true)
        expect(Option.isNone(yield* findKey(key))).toBe(true)
      }).pipe(Effect.provide(ValidatorStoreSql.layerTest))
    )
  })
})

/** Replays request times through one bucket; returns which were allowed. */
const replay = (times: ReadonlyArray<number>, perMinute: number) => {
  let bucket: TokenBucket | undefined
  return times.map((t) => {
    const d = takeToken(bucket, perMinute, t)
    bucket = d.bucket
    return d
  })
}

const sortedTimes = fc.array(fc.double({ min: 0, max: 600, noNaN: true }), { maxLength: 200 }).map((ts) => [...ts].sort((a, b) => a - b))

describe("token bucket", () => {
  test("property: in any interval of length T at most limit + T·limit/60 requests pass", () => {
    fc.assert(
      fc.property(sortedTimes, fc.integer({ min: 1, max: 120 }), (times, limit) => {
        const allowed = replay(times, limit)
          .map((d, i) => [d._tag, times[i]!] as const)
          .filter(([tag]) => tag === "Allowed")
          .map(([, t]) => t)
        for (let i = 0; i < allowed.length; i++)
          for (let j = i; j < allowed.length; j++) {
            const span = allowed[j]! - allowed[i]!
            expect(j - i + 1).toBeLessThanOrEqual(limit + (span * limit) / 60 + 1e-9)
          }
      }),
      { numRuns: 100 }
    )
  })

  test("property: requests spaced at least 60/limit seconds apart all pass; a burst of limit passes, the next is told when to retry", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.double({ min: 0, max: 1e6, noNaN: true }), (limit, start) => {
        const spaced = Array.from({ length: 50 }, (_, i) => start + (i * 60) / limit)
        expect(replay(spaced, limit).every((d) => d._tag === "Allowed")).toBe(true)
        const burst = replay(Array.from({ length: limit + 1 }, () => start), limit)
        expect(burst.slice(0, limit).every((d) => d._tag === "Allowed")).toBe(true)
        const last = burst[limit]!
        expect(last._tag).toBe("Limited")
        if (last._tag === "Limited") {
          expect(last.retryAfterSeconds).toBe(Math.max(1, Math.ceil(60 / limit)))
          // Waiting as told is enough.
          expect(takeToken(last.bucket, limit, start + last.retryAfterSeconds)._tag).toBe("Allowed")
        }
      }),
      { numRuns: 100 }
    )
  })

  test("a clock going backwards refills nothing", () => {
    const [a, b] = replay([100, 100], 1)
    expect([a!._tag, b!._tag]).toEqual(["Allowed", "Limited"])
    expect(takeToken(b!.bucket, 1, 40)._tag).toBe("Limited")
  })
})
