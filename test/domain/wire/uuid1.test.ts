import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { uuid1 } from "../../../src/domain/wire/uuid1.ts"

describe("uuid1", () => {
  test("matches Python's uuid.UUID(fields=…) for the same time, clock sequence and node", () => {
    // python3: uuid.UUID(fields=(…)) from ts = 1718000000123456789 // 100 + 0x01b21dd213814000, clock_seq 0x0102, node 0x030405060708 | 1 << 40
    expect(uuid1(1718000000123456789n, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toBe("88d1d687-26f0-11ef-8102-030405060708")
  })

  test("always version 1, RFC 4122 variant, multicast node bit, and the time reads back", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 4_000_000_000n * 1_000_000_000n }), fc.uint8Array({ minLength: 8, maxLength: 8 }), (ns, random) => {
        const u = uuid1(ns, random)
        expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
        expect(parseInt(u.slice(24, 26), 16) & 1).toBe(1)
        const [low, mid, hi] = u.split("-") as [string, string, string]
        const ts = (BigInt(`0x${hi.slice(1)}`) << 48n) | (BigInt(`0x${mid}`) << 32n) | BigInt(`0x${low}`)
        expect(ts - 0x01b21dd213814000n).toBe(ns / 100n)
      })
    )
  })
})
