/**
 * The plaintext of a timelocked weights commit: SCALE `WeightsTlockPayload { hotkey: Vec<u8>, uids:
 * Vec<u16>, values: Vec<u16>, version_key: u64 }` (subtensor `coinbase/reveal_commits.rs`). The chain
 * decodes it when the drand round arrives and refuses it unless `hotkey` is the committer's public key.
 */
import { compactFromU8a, compactToU8a, u8aConcat } from "@polkadot/util"

/** One commit's weights, as the chain will set them. */
export interface WeightsTlockPayload {
  /** The committer's 32-byte public key (not its SS58 address). */
  readonly hotkey: Uint8Array
  readonly uids: ReadonlyArray<number>
  /** u16 weights, one per uid. */
  readonly values: ReadonlyArray<number>
  readonly versionKey: bigint
}

/** The payload is malformed (not u16 values, lengths differ, bytes do not decode). */
export class WeightsPayloadError extends Error {
  override readonly name = "WeightsPayloadError"
}

const u16s = (what: string, xs: ReadonlyArray<number>): Uint8Array => {
  const out = new Uint8Array(xs.length * 2)
  const view = new DataView(out.buffer)
  xs.forEach((x, i) => {
    if (!Number.isInteger(x) || x < 0 || x > 0xffff) throw new WeightsPayloadError(`${what}[${i}] = ${x} is not a u16`)
    view.setUint16(i * 2, x, true)
  })
  return u8aConcat(compactToU8a(xs.length), out)
}

/** SCALE bytes of the payload. */
export const encodeWeightsTlockPayload = (p: WeightsTlockPayload): Uint8Array => {
  if (p.uids.length !== p.values.length)
    throw new WeightsPayloadError(`${p.uids.length} uids but ${p.values.length} values`)
  if (p.versionKey < 0n || p.versionKey >= 1n << 64n) throw new WeightsPayloadError(`version key ${p.versionKey} is not a u64`)
  const version = new Uint8Array(8)
  new DataView(version.buffer).setBigUint64(0, p.versionKey, true)
  return u8aConcat(compactToU8a(p.hotkey.length), p.hotkey, u16s("uids", p.uids), u16s("values", p.values), version)
}

/** Decodes SCALE bytes of the payload; fails on truncated or trailing bytes. */
export const decodeWeightsTlockPayload = (bytes: Uint8Array): WeightsTlockPayload => {
  let at = 0
  const need = (n: number) => {
    if (at + n > bytes.length) throw new WeightsPayloadError(`payload truncated at byte ${at}`)
  }
  const compact = (): number => {
    need(1)
    const [len, value] = compactFromU8a(bytes.subarray(at))
    at += len
    if (at > bytes.length) throw new WeightsPayloadError("payload truncated in a length")
    return value.toNumber()
  }
  const u16vec = (): ReadonlyArray<number> => {
    const n = compact()
    need(n * 2)
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, n * 2)
    at += n * 2
    return Array.from({ length: n }, (_, i) => view.getUint16(i * 2, true))
  }
  const hkLen = compact()
  need(hkLen)
  const hotkey = bytes.slice(at, at + hkLen)
  at += hkLen
  const uids = u16vec()
  const values = u16vec()
  need(8)
  const versionKey = new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigUint64(0, true)
  at += 8
  if (at !== bytes.length) throw new WeightsPayloadError(`${bytes.length - at} trailing bytes`)
  if (uids.length !== values.length) throw new WeightsPayloadError(`${uids.length} uids but ${values.length} values`)
  return { hotkey, uids, values, versionKey }
}
