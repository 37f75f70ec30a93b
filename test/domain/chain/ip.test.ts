import { describe, expect, test } from "bun:test"
import { Option } from "effect"
import fc from "fast-check"
import { intToIp, ipStr, ipToInt, ipVersion, isChainAcceptedIp, parseIp } from "../../../src/domain/chain/ip.ts"
import { readVector } from "../../support/shared.ts"

interface IpCase {
  readonly ip: string
  readonly ip_to_int: string
  readonly ip_to_int_hex: string
  readonly ip_version: number
  readonly "int_to_ip(ip_to_int)": string
  readonly u128_le_hex: string
  readonly "ip__str__(port=8091)": string
}

const vectors = readVector<{ cases: ReadonlyArray<IpCase> }>("ip-encoding.json")

const u128LeHex = (n: bigint): string => {
  let hex = ""
  for (let i = 0; i < 16; i++) hex += Number((n >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, "0")
  return hex
}

describe("ip encoding (SDK networking.py vectors)", () => {
  for (const c of vectors.cases) {
    test(`${c.ip}`, () => {
      const value = Option.getOrThrow(ipToInt(c.ip))
      expect(value.toString()).toBe(c.ip_to_int)
      expect(`0x${value.toString(16)}`).toBe(c.ip_to_int_hex)
      expect(Option.getOrThrow(ipVersion(c.ip))).toBe(c.ip_version as 4 | 6)
      expect(intToIp(value)).toBe(c["int_to_ip(ip_to_int)"])
      expect(u128LeHex(value)).toBe(c.u128_le_hex)
      expect(ipStr(c.ip_version, intToIp(value), 8091)).toBe(c["ip__str__(port=8091)"])
    })
  }
})

describe("ip parsing", () => {
  test("rejects what is not an address", () => {
    for (const bad of ["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.x", "::1::", "1:2:3:4:5:6:7:8:9", "12345::", "g::1", "localhost"]) {
      expect(Option.isNone(parseIp(bad))).toBe(true)
    }
  })

  test("IPv4 round trip: any 32-bit value prints and parses back to itself", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), (n) => {
        const text = intToIp(n)
        expect(Option.getOrThrow(ipToInt(text))).toBe(n)
        expect(Option.getOrThrow(ipVersion(text))).toBe(4)
      })
    )
  })

  test("IPv6 round trip: any value ≥ 2^32 prints as IPv6 and parses back to itself", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n << 32n, max: (1n << 128n) - 1n }), (n) => {
        const text = intToIp(n)
        expect(text).toContain(":")
        expect(Option.getOrThrow(ipToInt(text))).toBe(n)
      })
    )
  })

  test("IPv6 text: one `::` at most, never for a single zero group, and it parses back", () => {
    const group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }))
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        const n = groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n)
        if (n < 1n << 32n) return
        const text = intToIp(n)
        expect(Option.getOrThrow(ipToInt(text))).toBe(n)
        const halves = text.split("::")
        expect(halves.length).toBeLessThanOrEqual(2)
        if (halves.length === 2 && !text.includes(".")) {
          const explicit = halves.flatMap((h) => (h === "" ? [] : h.split(":"))).length
          expect(explicit).toBeLessThanOrEqual(6)
        }
      })
    )
  })
})

describe("chain IP rule (subtensor is_valid_ip_address)", () => {
  const v4 = (s: string) => Option.getOrThrow(ipToInt(s))
  test("refuses 0.0.0.0, 127.0.0.1 and 255.255.255.255; accepts 127.0.0.2 and private ranges", () => {
    expect(isChainAcceptedIp(4, v4("0.0.0.0"))).toBe(false)
    expect(isChainAcceptedIp(4, v4("127.0.0.1"))).toBe(false)
    expect(isChainAcceptedIp(4, v4("255.255.255.255"))).toBe(false)
    for (const ok of ["127.0.0.2", "127.0.0.3", "10.1.2.3", "192.168.1.10", "203.0.113.7"]) expect(isChainAcceptedIp(4, v4(ok))).toBe(true)
  })
  test("IPv6: refuses ::, ::1 and all ones; an unknown ip type is refused", () => {
    expect(isChainAcceptedIp(6, 0n)).toBe(false)
    expect(isChainAcceptedIp(6, 1n)).toBe(false)
    expect(isChainAcceptedIp(6, (1n << 128n) - 1n)).toBe(false)
    expect(isChainAcceptedIp(6, Option.getOrThrow(ipToInt("2001:db8::1")))).toBe(true)
    expect(isChainAcceptedIp(5, v4("10.0.0.1"))).toBe(false)
  })
})
