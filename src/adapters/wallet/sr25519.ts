/**
 * sr25519 keys and signatures (schnorrkel, signing context "substrate"). Keys come from
 * @polkadot/util-crypto; signing and verifying use @polkadot/wasm-crypto directly, which is 2–3× faster
 * than util-crypto's pure-JS path and matters on an axon that verifies every request. The module waits
 * for the WASM once at import so every function below is synchronous.
 */
import { Keyring } from "@polkadot/keyring"
import type { KeyringPair } from "@polkadot/keyring/types"
import { hexToU8a, u8aToHex, stringToU8a, u8aConcat } from "@polkadot/util"
import {
  cryptoWaitReady,
  decodeAddress,
  encodeAddress,
  keyExtractSuri,
  keyFromPath,
  mnemonicToMiniSecret,
  sr25519PairFromSeed
} from "@polkadot/util-crypto"
import { sr25519Sign, sr25519Verify, waitReady } from "@polkadot/wasm-crypto"
import { Redacted } from "effect"
import type { Keypair } from "../../domain/wallet/keypair.ts"

await cryptoWaitReady()
await waitReady()

/** Bittensor's SS58 address format. */
export const SS58_FORMAT = 42

const DEV_PHRASE = "bottom drive obey lake curtain smoke basket hold race lonely fit walk"

const fromPair = (pair: { publicKey: Uint8Array; secretKey: Uint8Array }): Keypair => ({
  ss58Address: encodeAddress(pair.publicKey, SS58_FORMAT),
  publicKey: pair.publicKey,
  secretKey: Redacted.make(pair.secretKey)
})

/** Keypair from a 32-byte mini secret (the keyfile's `secretSeed`). */
export const keypairFromSeed = (seed: Uint8Array): Keypair => fromPair(sr25519PairFromSeed(seed))

/** Keypair from a BIP39 mnemonic, derived the substrate way (entropy → PBKDF2 → mini secret). */
export const keypairFromMnemonic = (mnemonic: string): Keypair =>
  keypairFromSeed(mnemonicToMiniSecret(mnemonic.trim()))

/** Keypair from a secret URI such as `//Alice`, `//Bob//hot` or `<mnemonic>//path` (dev and test keys). */
export const keypairFromUri = (suri: string): Keypair => {
  const { phrase, path } = keyExtractSuri(suri.startsWith("//") ? `${DEV_PHRASE}${suri}` : suri)
  const base = sr25519PairFromSeed(phrase.startsWith("0x") ? hexToU8a(phrase) : mnemonicToMiniSecret(phrase))
  return fromPair(keyFromPath(base, path, "sr25519"))
}

/** A public-key-only keypair (verification only). */
export const keypairFromAddress = (address: string): Keypair => {
  const publicKey = decodeAddress(address)
  return { ss58Address: encodeAddress(publicKey, SS58_FORMAT), publicKey, secretKey: undefined }
}

/** Signs bytes (or a UTF-8 string) and returns the 64-byte signature. */
export const sign = (keypair: Keypair, message: Uint8Array | string): Uint8Array => {
  if (keypair.secretKey === undefined) throw new Error(`key ${keypair.ss58Address} has no secret: it cannot sign`)
  const bytes = typeof message === "string" ? stringToU8a(message) : message
  return sr25519Sign(keypair.publicKey, Redacted.value(keypair.secretKey), bytes)
}

/** Signs and returns `0x` + lowercase hex, the form Bittensor puts in headers. */
export const signHex = (keypair: Keypair, message: Uint8Array | string): string => u8aToHex(sign(keypair, message))

const SIGNATURE_HEX = /^0x[0-9a-fA-F]{128}$/
const BYTES_OPEN = stringToU8a("<Bytes>")
const BYTES_CLOSE = stringToU8a("</Bytes>")

/**
 * Verifies an sr25519 signature against an SS58 address or public key. Like btwallet, a signature over
 * `<Bytes>msg</Bytes>` (what polkadot.js extensions produce) is accepted too. Never throws.
 */
export const verify = (message: Uint8Array | string, signature: Uint8Array | string, signer: string | Uint8Array): boolean => {
  try {
    const bytes = typeof message === "string" ? stringToU8a(message) : message
    // Strict hex: a lenient parser reads "#a" like "0a", so altered signature text would still verify.
    if (typeof signature === "string" && !SIGNATURE_HEX.test(signature)) return false
    const sig = typeof signature === "string" ? hexToU8a(signature) : signature
    if (sig.length !== 64) return false
    const publicKey = typeof signer === "string" ? decodeAddress(signer) : signer
    if (publicKey.length !== 32) return false
    return sr25519Verify(sig, bytes, publicKey) || sr25519Verify(sig, u8aConcat(BYTES_OPEN, bytes, BYTES_CLOSE), publicKey)
  } catch {
    return false
  }
}

/** True when the string is a valid SS58 address (any prefix). */
export const isValidAddress = (address: string): boolean => {
  try {
    decodeAddress(address)
    return true
  } catch {
    return false
  }
}

/** The keypair as a polkadot.js KeyringPair, for signing extrinsics. */
export const toKeyringPair = (keypair: Keypair): KeyringPair => {
  if (keypair.secretKey === undefined) throw new Error(`key ${keypair.ss58Address} has no secret: it cannot sign extrinsics`)
  const keyring = new Keyring({ type: "sr25519", ss58Format: SS58_FORMAT })
  return keyring.addFromPair({ publicKey: keypair.publicKey, secretKey: Redacted.value(keypair.secretKey) })
}
