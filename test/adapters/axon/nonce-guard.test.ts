import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { NONCE_SLACK_NS, NonceGuard } from "../../../src/adapters/axon/nonce-guard.ts"

const S = 1_000_000_000n
const NOW = 1_800_000_000n * S

describe("NonceGuard", () => {
  test("a session's first nonce must be within 4 s + timeout of now, either side", () => {
    const g = new NonceGuard(300)
    expect(g.refusal("hk", "u", NOW - 15n * S, NOW, 12)).toBeUndefined()
    expect(g.refusal("hk", "u", NOW - 17n * S, NOW, 12)).toBe(
      "Nonce is too old: acceptable delta is 16.00 seconds but request was 17.00 seconds old"
    )
    expect(g.refusal("hk", "u", NOW + 17n * S, NOW, 12)).toContain("Nonce is from the future")
    // A claimed timeout beyond the cap does not widen the window.
    expect(g.refusal("hk", "u", NOW - 400n * S, NOW, 10_000)).toContain("acceptable delta is 304.00 seconds")
  })

  test("per (hotkey, uuid) nonces strictly increase; other sessions are independent", () => {
    const g = new NonceGuard(300)
    g.record("hk", "u", NOW, NOW)
    expect(g.refusal("hk", "u", NOW, NOW, 12)).toBe("Nonce is too old, a newer one was last processed")
    expect(g.refusal("hk", "u", NOW - 1n, NOW, 12)).toBeDefined()
    expect(g.refusal("hk", "u", NOW + 1n, NOW, 12)).toBeUndefined()
    expect(g.refusal("hk", "other", NOW, NOW, 12)).toBeUndefined()
    expect(g.refusal("hk2", "u", NOW, NOW, 12)).toBeUndefined()
  })

  test("pruning is bounded and never lets a recorded request be replayed", () => {
    const maxTimeout = 60
    // The widest window, and the sweep's period (it runs on a record at most once a second).
    const widest = NONCE_SLACK_NS + BigInt(maxTimeout) * S
    const sweepPeriod = S
    fc.assert(
      fc.property(
        fc.array(fc.record({ session: fc.nat(40), advanceMs: fc.nat(20_000), skewMs: fc.integer({ min: -15_000, max: 15_000 }), timeout: fc.integer({ min: 0, max: 400 }) }), { maxLength: 200 }),
        (steps) => {
          const g = new NonceGuard(maxTimeout)
          let now = NOW
          let lastRecordAt = NOW
          const accepted: Array<{ session: string; nonce: bigint }> = []
          const lastNonce = new Map<string, bigint>()
          for (const s of steps) {
            now += BigInt(s.advanceMs) * 1_000_000n
            const nonce = now + BigInt(s.skewMs) * 1_000_000n
            const session = `u${s.session}`
            if (g.refusal("hk", session, nonce, now, s.timeout) === undefined) {
              g.record("hk", session, nonce, now)
              accepted.push({ session, nonce })
              lastNonce.set(session, nonce)
              lastRecordAt = now
            }
            // Every request ever accepted stays refused, whatever timeout its replay claims.
            for (const a of accepted) expect(g.refusal("hk", a.session, a.nonce, now, s.timeout)).toBeDefined()
            // Bounded: only sessions whose last nonce is inside the widest window (plus one sweep period)
            // of the latest record are kept; and none whose last nonce is inside it now is forgotten.
            const count = (after: bigint) => [...lastNonce.values()].filter((n) => n > after).length
            expect(g.size).toBeLessThanOrEqual(count(lastRecordAt - widest - sweepPeriod))
            expect(g.size).toBeGreaterThanOrEqual(count(now - widest))
          }
        }
      ),
      { numRuns: 200 }
    )
  })

  test("under steady traffic the table holds about one window's sessions, not every session ever seen", () => {
    const g = new NonceGuard(10) // widest window 14 s
    let largest = 0
    // A new session every 100 ms for 10 minutes: 6000 sessions.
    for (let i = 0; i < 6000; i++) {
      const now = NOW + BigInt(i) * 100_000_000n
      expect(g.refusal("hk", `u${i}`, now, now, 10)).toBeUndefined()
      g.record("hk", `u${i}`, now, now)
      largest = Math.max(largest, g.size)
    }
    // 14 s of sessions, plus up to one second not yet swept.
    expect(largest).toBeLessThanOrEqual(151)
    expect(largest).toBeGreaterThanOrEqual(140)
  })

  test("the table drops sessions whose last nonce left the widest window", () => {
    const g = new NonceGuard(10)
    for (let i = 0; i < 100; i++) g.record("hk", `u${i}`, NOW, NOW)
    expect(g.size).toBe(100)
    g.record("hk", "late", NOW + 20n * S, NOW + 20n * S)
    expect(g.size).toBe(1)
  })

  test("a full table refuses new sessions rather than forgetting live ones", () => {
    const g = new NonceGuard(10, 2)
    g.record("hk", "a", NOW, NOW)
    g.record("hk", "b", NOW, NOW)
    expect(g.refusal("hk", "c", NOW, NOW, 1)).toBe("Too many dendrite sessions; try again later")
    expect(g.refusal("hk", "a", NOW + 1n, NOW, 1)).toBeUndefined()
  })
})
