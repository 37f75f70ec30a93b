/**
 * Timelock encryption to a drand quicknet round, byte-compatible with the `tle` crate at the revision
 * bittensor-drand pins (`TLECiphertext<TinyBLS381>` with `AESGCMStreamCipherProvider`, ark-serialize
 * compressed), which is what subtensor decrypts in `reveal_commits.rs`.
 *
 * Boneh-Franklin FullIdent over BLS12-381 (signatures in G1, public key in G2):
 * - identity Q = hash_to_G1(sha256(round as u64 big-endian)), DST `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`;
 * - r = Fr(sha256(sigma ‖ esk)) (big-endian, reduced), U = G2·r, V = sigma ⊕ sha256(ser(e(Q, P_pub·r))),
 *   W = esk ⊕ sha256(sigma);
 * - the message is AES-256-GCM under esk (12-byte nonce, no associated data).
 * Whoever holds the round's signature σ = sk·Q gets e(σ, U) = e(Q, P_pub·r) and so sigma, then esk.
 *
 * The random inputs (sigma, esk, nonce) are parameters, so the functions stay pure; callers draw them
 * from a CSPRNG.
 */
import { bls12_381 } from "@noble/curves/bls12-381"
import { createCipheriv, createDecipheriv, createHash } from "node:crypto"
import { bytesToHex, hexToBytes } from "@noble/curves/utils"
import { u8aConcat as concat } from "@polkadot/util"

/** drand quicknet (the network subtensor's `pallet_drand` follows). */
export const QUICKNET = {
  publicKeyHex:
    "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
  genesisTime: 1_692_803_367,
  periodSeconds: 3,
  chainHash: "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
} as const

/** The hash-to-curve domain separation tag drand quicknet signs rounds with. */
export const QUICKNET_DST = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"

/** The `tle` cipher suite tag of AES-GCM bodies. */
export const AES_GCM_SUITE = "AES_GCM_"

/** The random inputs of one encryption (each from a CSPRNG; never reuse them). */
export interface TimelockRandomness {
  /** 32 bytes hidden behind the pairing. */
  readonly sigma: Uint8Array
  /** 32-byte AES-256 key. */
  readonly esk: Uint8Array
  /** 12-byte AES-GCM nonce. */
  readonly nonce: Uint8Array
}

/** The parts of a `TLECiphertext`, as serialised. */
export interface TimelockCiphertext {
  /** U, a G2 point, 96 bytes compressed. */
  readonly u: Uint8Array
  readonly v: Uint8Array
  readonly w: Uint8Array
  /** AES-GCM output: ciphertext with its 16-byte tag, then the nonce. */
  readonly body: { readonly ciphertext: Uint8Array; readonly nonce: Uint8Array }
  readonly cipherSuite: Uint8Array
}

/** The bytes are not a ciphertext, the signature is wrong for it, or the inputs are malformed. */
export class TimelockError extends Error {
  override readonly name = "TimelockError"
}

const G1 = bls12_381.G1.Point
const G2 = bls12_381.G2.Point
const Fr = bls12_381.fields.Fr
const Fp12 = bls12_381.fields.Fp12
type G1Point = InstanceType<typeof G1>
type G2Point = InstanceType<typeof G2>

const sha256 = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const h = createHash("sha256")
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

const xor = (a: Uint8Array, b: Uint8Array): Uint8Array => a.map((x, i) => x ^ (b[i] ?? 0))

const u64le = (n: number | bigint): Uint8Array => {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true)
  return out
}

const u64be = (n: number | bigint): Uint8Array => {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(n), false)
  return out
}

/** ark-serialize's `Vec<u8>`: u64 little-endian length, then the bytes. */
const arkVec = (bytes: Uint8Array): Uint8Array => concat(u64le(bytes.length), bytes)


const fpLe = (x: bigint): Uint8Array => {
  const out = new Uint8Array(48)
  let v = x
  for (let i = 0; i < 48; i++) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

/** ark's compressed `Fp12`: the 12 base-field values, each 48 bytes little-endian, c0 before c1 at every level. */
const serializeFp12 = (f: ReturnType<typeof Fp12.create>): Uint8Array => {
  const parts: Array<Uint8Array> = []
  for (const six of [f.c0, f.c1]) for (const two of [six.c0, six.c1, six.c2]) parts.push(fpLe(two.c0), fpLe(two.c1))
  return concat(...parts)
}

/** The round's identity point: what drand signs for `round`. */
export const roundIdentity = (round: number | bigint): G1Point =>
  bls12_381.shortSignatures.hash(sha256(u64be(round)), QUICKNET_DST) as G1Point

/** H3 of FullIdent: the scalar r from sigma and the message key. */
const scalarOf = (sigma: Uint8Array, esk: Uint8Array): bigint => {
  const r = Fr.create(BigInt(`0x${bytesToHex(sha256(sigma, esk))}`))
  // r = 0 has probability 2^-255; the point at infinity would still serialise, but refuse it.
  if (r === 0n) throw new TimelockError("degenerate randomness")
  return r
}

/** sha256 of the serialised pairing e(g1, g2) (H2 of FullIdent). */
const maskOf = (g1: G1Point, g2: G2Point): Uint8Array => sha256(serializeFp12(bls12_381.pairing(g1, g2)))

const aesGcmEncrypt = (key: Uint8Array, nonce: Uint8Array, message: Uint8Array): Uint8Array => {
  const cipher = createCipheriv("aes-256-gcm", key, nonce)
  return concat(new Uint8Array(cipher.update(message)), new Uint8Array(cipher.final()), new Uint8Array(cipher.getAuthTag()))
}

const aesGcmDecrypt = (key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array => {
  if (sealed.length < 16) throw new TimelockError("AES-GCM body shorter than its tag")
  const decipher = createDecipheriv("aes-256-gcm", key, nonce)
  decipher.setAuthTag(sealed.subarray(sealed.length - 16))
  try {
    return concat(new Uint8Array(decipher.update(sealed.subarray(0, sealed.length - 16))), new Uint8Array(decipher.final()))
  } catch {
    throw new TimelockError("AES-GCM authentication failed")
  }
}

const checkLength = (what: string, bytes: Uint8Array, n: number) => {
  if (bytes.length !== n) throw new TimelockError(`${what} must be ${n} bytes, got ${bytes.length}`)
}

/** Encrypts `message` so that drand's signature for `round` (under `publicKeyHex`, a compressed G2 point) opens it. */
export const timelockEncrypt = (
  message: Uint8Array,
  round: number | bigint,
  randomness: TimelockRandomness,
  publicKeyHex: string = QUICKNET.publicKeyHex
): TimelockCiphertext => {
  checkLength("sigma", randomness.sigma, 32)
  checkLength("esk", randomness.esk, 32)
  checkLength("nonce", randomness.nonce, 12)
  const pub = G2.fromHex(publicKeyHex)
  const r = scalarOf(randomness.sigma, randomness.esk)
  const u = G2.BASE.multiply(r)
  const v = xor(randomness.sigma, maskOf(roundIdentity(round), pub.multiply(r)))
  const w = xor(randomness.esk, sha256(randomness.sigma))
  return {
    u: u.toBytes(true),
    v,
    w,
    body: { ciphertext: aesGcmEncrypt(randomness.esk, randomness.nonce, message), nonce: randomness.nonce },
    cipherSuite: new TextEncoder().encode(AES_GCM_SUITE)
  }
}

/** Opens a ciphertext with the round's signature (a compressed G1 point, 48 bytes). */
export const timelockDecrypt = (ciphertext: TimelockCiphertext, signature: Uint8Array): Uint8Array => {
  let sig: G1Point
  let u: G2Point
  try {
    sig = G1.fromBytes(signature)
    u = G2.fromBytes(ciphertext.u)
  } catch (e) {
    throw new TimelockError(`not a curve point: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (new TextDecoder().decode(ciphertext.cipherSuite) !== AES_GCM_SUITE) throw new TimelockError("unknown cipher suite")
  checkLength("V", ciphertext.v, 32)
  checkLength("W", ciphertext.w, 32)
  const sigma = xor(ciphertext.v, maskOf(sig, u))
  const esk = xor(ciphertext.w, sha256(sigma))
  // The FullIdent check: U must be G2·r for the recovered (sigma, esk), else the signature is not the round's.
  if (!G2.BASE.multiply(scalarOf(sigma, esk)).equals(u)) throw new TimelockError("the signature does not open this ciphertext")
  if (ciphertext.body.nonce.length !== 12) throw new TimelockError("AES-GCM nonce must be 12 bytes")
  return aesGcmDecrypt(esk, ciphertext.body.nonce, ciphertext.body.ciphertext)
}

/** The `TLECiphertext` bytes, as ark-serialize (compressed) writes them. */
export const serializeTimelock = (c: TimelockCiphertext): Uint8Array =>
  concat(c.u, arkVec(c.v), arkVec(c.w), arkVec(concat(arkVec(c.body.ciphertext), arkVec(c.body.nonce))), arkVec(c.cipherSuite))

/** Reads `TLECiphertext` bytes; fails on anything malformed or trailing. */
export const deserializeTimelock = (bytes: Uint8Array): TimelockCiphertext => {
  let at = 0
  const take = (n: number): Uint8Array => {
    if (n < 0 || at + n > bytes.length) throw new TimelockError(`ciphertext truncated at byte ${at}`)
    const out = bytes.slice(at, at + n)
    at += n
    return out
  }
  const vec = (): Uint8Array => {
    const len = new DataView(take(8).buffer).getBigUint64(0, true)
    if (len > BigInt(bytes.length)) throw new TimelockError(`length ${len} beyond the ciphertext`)
    return take(Number(len))
  }
  const u = take(96)
  const v = vec()
  const w = vec()
  const bodyBytes = vec()
  const cipherSuite = vec()
  if (at !== bytes.length) throw new TimelockError(`${bytes.length - at} trailing bytes`)
  const inner = deserializeBody(bodyBytes)
  return { u, v, w, body: inner, cipherSuite }
}

const deserializeBody = (bytes: Uint8Array): TimelockCiphertext["body"] => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.length < 8) throw new TimelockError("AES body truncated")
  const n = Number(view.getBigUint64(0, true))
  if (8 + n + 8 > bytes.length) throw new TimelockError("AES body truncated")
  const ciphertext = bytes.slice(8, 8 + n)
  const m = Number(view.getBigUint64(8 + n, true))
  if (16 + n + m !== bytes.length) throw new TimelockError("AES body length mismatch")
  return { ciphertext, nonce: bytes.slice(16 + n) }
}

/** Encrypts to `round` and serialises: the `commit` bytes of `commit_timelocked_weights`. */
export const timelockSeal = (
  message: Uint8Array,
  round: number | bigint,
  randomness: TimelockRandomness,
  publicKeyHex?: string
): Uint8Array => serializeTimelock(timelockEncrypt(message, round, randomness, publicKeyHex))

/** Deserialises and decrypts with the round's signature (bytes or hex). */
export const timelockOpen = (bytes: Uint8Array, signature: Uint8Array | string): Uint8Array =>
  timelockDecrypt(deserializeTimelock(bytes), typeof signature === "string" ? hexToBytes(signature) : signature)

/** A drand-style round signature: `secretKey`·identity(round), compressed (for a chain twin's own beacon). */
export const signRound = (secretKey: Uint8Array, round: number | bigint): Uint8Array =>
  roundIdentity(round).multiply(Fr.create(BigInt(`0x${bytesToHex(secretKey)}`))).toBytes(true)

/** The compressed G2 public key of a beacon secret key. */
export const beaconPublicKey = (secretKey: Uint8Array): string =>
  bytesToHex(G2.BASE.multiply(Fr.create(BigInt(`0x${bytesToHex(secretKey)}`))).toBytes(true))

/** True when `signature` is the beacon's valid signature of `round`. */
export const verifyRound = (signature: Uint8Array, round: number | bigint, publicKeyHex: string = QUICKNET.publicKeyHex): boolean => {
  try {
    return bls12_381.shortSignatures.verify(signature, roundIdentity(round), publicKeyHex)
  } catch {
    return false
  }
}
