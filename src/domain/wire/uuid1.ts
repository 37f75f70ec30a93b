/**
 * A version-1 UUID string like Python's `str(uuid.uuid1())`, which the SDK's dendrite and axon use as
 * their session id. The node id and clock sequence come from the caller's random bytes (RFC 4122 §4.5:
 * a random node id has its multicast bit set) instead of the MAC address.
 */

/** 100-ns intervals between the Gregorian epoch (1582-10-15) and the Unix epoch. */
const GREGORIAN_OFFSET = 0x01b21dd213814000n

const hex = (n: bigint, width: number): string => n.toString(16).padStart(width, "0")

/** `uuid1()` at `timeNanos` (Unix epoch, ns) with 8 random bytes: 2 for the clock sequence, 6 for the node. */
export const uuid1 = (timeNanos: bigint, random: Uint8Array): string => {
  const b = (i: number) => BigInt(random[i] ?? 0)
  const ts = (timeNanos / 100n + GREGORIAN_OFFSET) & 0x0fffffffffffffffn
  const timeLow = ts & 0xffffffffn
  const timeMid = (ts >> 32n) & 0xffffn
  const timeHiVersion = ((ts >> 48n) & 0x0fffn) | 0x1000n
  const clockSeq = (((b(0) << 8n) | b(1)) & 0x3fffn) | 0x8000n
  let node = 0n
  for (let i = 2; i < 8; i++) node = (node << 8n) | b(i)
  node |= 0x010000000000n
  return `${hex(timeLow, 8)}-${hex(timeMid, 4)}-${hex(timeHiVersion, 4)}-${hex(clockSeq, 4)}-${hex(node, 12)}`
}
