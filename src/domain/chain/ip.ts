/**
 * IP addresses as the chain stores them (a u128 integer) and as the Python SDK prints them
 * (`bittensor/utils/networking.py`: ip_to_int, int_to_ip, ip_version, ip__str__, via netaddr).
 * Integers are BigInt: an IPv6 address does not fit a JS number.
 */
import { Option } from "effect"

/** IP family: 4 or 6, as the chain's `ip_type` field. */
export type IpVersion = 4 | 6

/** A parsed address: its integer value and family. */
export interface ParsedIp {
  readonly value: bigint
  readonly version: IpVersion
}

const U32 = 1n << 32n
const U128_MAX = (1n << 128n) - 1n

const parseV4 = (s: string): Option.Option<bigint> => {
  const parts = s.split(".")
  if (parts.length !== 4) return Option.none()
  let value = 0n
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return Option.none()
    const n = Number(p)
    if (n > 255) return Option.none()
    value = (value << 8n) | BigInt(n)
  }
  return Option.some(value)
}

const parseGroups = (s: string): Option.Option<ReadonlyArray<number>> => {
  if (s === "") return Option.some([])
  const groups: Array<number> = []
  const parts = s.split(":")
  for (const [i, p] of parts.entries()) {
    // An embedded IPv4 address may end the address (`::ffff:192.0.2.128`).
    if (i === parts.length - 1 && p.includes(".")) {
      const v4 = parseV4(p)
      if (Option.isNone(v4)) return Option.none()
      groups.push(Number(v4.value >> 16n), Number(v4.value & 0xffffn))
      continue
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return Option.none()
    groups.push(parseInt(p, 16))
  }
  return Option.some(groups)
}

const parseV6 = (s: string): Option.Option<bigint> => {
  const halves = s.split("::")
  if (halves.length > 2) return Option.none()
  const head = parseGroups(halves[0] ?? "")
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? "") : Option.some<ReadonlyArray<number>>([])
  if (Option.isNone(head) || Option.isNone(tail)) return Option.none()
  const count = head.value.length + tail.value.length
  if (halves.length === 2 ? count > 7 : count !== 8) return Option.none()
  const groups = [...head.value, ...Array<number>(8 - count).fill(0), ...tail.value]
  return Option.some(groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n))
}

/** Parses a textual IPv4 (dotted quad) or IPv6 address; none for anything else. */
export const parseIp = (s: string): Option.Option<ParsedIp> => {
  const text = s.trim()
  if (text.includes(":")) return Option.map(parseV6(text), (value) => ({ value, version: 6 as const }))
  return Option.map(parseV4(text), (value) => ({ value, version: 4 as const }))
}

/** `ip_to_int`: the address as an integer (IPv4 32-bit, IPv6 128-bit). */
export const ipToInt = (s: string): Option.Option<bigint> => Option.map(parseIp(s), (p) => p.value)

/** `ip_version`: 4 or 6, from the text's family. */
export const ipVersion = (s: string): Option.Option<IpVersion> => Option.map(parseIp(s), (p) => p.version)

const v4ToString = (n: bigint): string =>
  [24n, 16n, 8n, 0n].map((shift) => String((n >> shift) & 0xffn)).join(".")

/** IPv6 text the way glibc's inet_ntop (what netaddr calls) writes it: longest zero run (≥ 2) compressed. */
const v6ToString = (n: bigint): string => {
  const words = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(16 * (7 - i))) & 0xffffn))
  let bestBase = -1
  let bestLen = 0
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && words[j] === 0) j++
    if (j - i > bestLen) {
      bestBase = i
      bestLen = j - i
    }
    i = j
  }
  if (bestLen < 2) bestBase = -1
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses keep the dotted tail.
  if (bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
    return `::${bestLen === 5 ? "ffff:" : ""}${v4ToString(n & 0xffffffffn)}`
  }
  const hex = (ws: ReadonlyArray<number>) => ws.map((w) => w.toString(16)).join(":")
  if (bestBase < 0) return hex(words)
  return `${hex(words.slice(0, bestBase))}::${hex(words.slice(bestBase + bestLen))}`
}

/**
 * `int_to_ip`: the family comes from the integer alone, as in the SDK: values below 2^32 print as
 * IPv4, so `::1` comes back as `0.0.0.1`. Values outside u128 are clamped into range.
 */
export const intToIp = (n: bigint): string => {
  const v = n < 0n ? 0n : n > U128_MAX ? U128_MAX : n
  return v < U32 ? v4ToString(v) : v6ToString(v)
}

/** `ip__str__`: `/ipv{type}/{ip}:{port}`. */
export const ipStr = (ipType: number, ip: string, port: number): string => `/ipv${ipType}/${ip}:${port}`

/**
 * True when the chain (subtensor `is_valid_ip_address`) accepts this ip for an axon: not 0, not
 * 127.0.0.1 / ::1, not the all-ones address of its family, and a known family (4 or 6).
 */
export const isChainAcceptedIp = (ipType: number, ip: bigint): boolean => {
  if (ipType !== 4 && ipType !== 6) return false
  if (ip === 0n) return false
  if (ipType === 4) return ip < U32 - 1n && ip !== 0x7f000001n
  return ip !== U128_MAX && ip !== 1n
}
