/**
 * Keyfile encryption. NaCl (read and write): `$NACL` ‖ nonce(24) ‖ secretbox, key = Argon2i v1.3 over the
 * password with the fixed salt, 8 passes, 512 MiB (native node:crypto in the thread pool; secretbox from
 * libsodium-wrappers-sumo). Legacy Fernet (read only):
 * key = PBKDF2-HMAC-SHA256 10M iterations (node:crypto, off the main thread), token = 0x80 ‖ time(8) ‖
 * IV(16) ‖ AES-128-CBC ciphertext ‖ HMAC-SHA256(32), signing key = key[0..16], encryption key = key[16..32].
 */
import sodium from "libsodium-wrappers-sumo"
import { argon2, createDecipheriv, createHmac, pbkdf2, timingSafeEqual } from "node:crypto"
import { Data, Effect, Redacted } from "effect"
import {
  FERNET_ITERATIONS,
  FERNET_SALT,
  NACL_ARGON2I,
  NACL_NONCE_LENGTH,
  NACL_PREFIX,
  NACL_SALT_HEX
} from "../../domain/wallet/keyfile.ts"

await sodium.ready

/** The key did not authenticate the ciphertext: wrong password (or a tampered file). */
export class DecryptionFailed extends Data.TaggedError("DecryptionFailed")<{ readonly format: "nacl" | "fernet" }> {}

/** The ciphertext is structurally wrong (too short, bad prefix, bad base64, bad padding). */
export class CiphertextMalformed extends Data.TaggedError("CiphertextMalformed")<{
  readonly format: "nacl" | "fernet"
  readonly reason: string
}> {}

/** Argon2i could not run, typically because the WASM heap could not grow to 512 MiB. */
export class Argon2Failed extends Data.TaggedError("Argon2Failed")<{ readonly reason: string }> {}

const PREFIX = new TextEncoder().encode(NACL_PREFIX)
const SALT = sodium.from_hex(NACL_SALT_HEX)

/** The 32-byte NaCl keyfile key for a password (Argon2i, 512 MiB: seconds of CPU, blocks the thread). */
export const naclKey = Effect.fn("keyfile.naclKey")(function* (password: Redacted.Redacted<string>) {
  // Native Argon2i (Bun's node:crypto) off the main thread: the same key as libsodium, faster, and the
  // 512 MiB it needs is freed afterwards (a WASM heap would keep it for the life of the process).
  const key = yield* Effect.async<Buffer, Argon2Failed>((resume) => {
    argon2(
      "argon2i",
      {
        message: new TextEncoder().encode(Redacted.value(password)),
        nonce: SALT,
        parallelism: 1,
        tagLength: NACL_ARGON2I.keyLength,
        memory: NACL_ARGON2I.memlimitBytes / 1024,
        passes: NACL_ARGON2I.opslimit
      },
      (err, derived) => resume(err ? Effect.fail(new Argon2Failed({ reason: err.message })) : Effect.succeed(derived))
    )
  })
  return Redacted.make(new Uint8Array(key))
})

/** Seals plaintext with a derived key: `$NACL` ‖ nonce ‖ MAC ‖ ciphertext. A random nonce unless one is given. */
export const naclSeal = (plaintext: Uint8Array, key: Redacted.Redacted<Uint8Array>, nonce?: Uint8Array): Uint8Array => {
  const n = nonce ?? sodium.randombytes_buf(NACL_NONCE_LENGTH)
  const box = sodium.crypto_secretbox_easy(plaintext, n, Redacted.value(key))
  const out = new Uint8Array(PREFIX.length + n.length + box.length)
  out.set(PREFIX, 0)
  out.set(n, PREFIX.length)
  out.set(box, PREFIX.length + n.length)
  return out
}

/** Opens a `$NACL` keyfile with a derived key. */
export const naclOpen = (
  data: Uint8Array,
  key: Redacted.Redacted<Uint8Array>
): Effect.Effect<Uint8Array, DecryptionFailed | CiphertextMalformed> =>
  Effect.suspend((): Effect.Effect<Uint8Array, DecryptionFailed | CiphertextMalformed> => {
    const minLength = PREFIX.length + NACL_NONCE_LENGTH + sodium.crypto_secretbox_MACBYTES
    if (data.length < minLength || !PREFIX.every((b, i) => data[i] === b)) {
      return Effect.fail(new CiphertextMalformed({ format: "nacl", reason: `not $NACL data of at least ${minLength} bytes` }))
    }
    const nonce = data.subarray(PREFIX.length, PREFIX.length + NACL_NONCE_LENGTH)
    const box = data.subarray(PREFIX.length + NACL_NONCE_LENGTH)
    try {
      return Effect.succeed(sodium.crypto_secretbox_open_easy(box, nonce, Redacted.value(key)))
    } catch {
      return Effect.fail(new DecryptionFailed({ format: "nacl" }))
    }
  })

/** Encrypts keyfile plaintext with a password into the NaCl format (one Argon2i derivation). */
export const naclEncrypt = (plaintext: Uint8Array, password: Redacted.Redacted<string>) =>
  naclKey(password).pipe(Effect.map((key) => naclSeal(plaintext, key)))

/** Decrypts a NaCl keyfile with a password (one Argon2i derivation). */
export const naclDecrypt = (data: Uint8Array, password: Redacted.Redacted<string>) =>
  naclKey(password).pipe(Effect.flatMap((key) => naclOpen(data, key)))

/** The 32-byte legacy Fernet key for a password (PBKDF2-HMAC-SHA256, 10M iterations, in the thread pool). */
export const fernetKey = Effect.fn("keyfile.fernetKey")(function* (password: Redacted.Redacted<string>) {
  const key = yield* Effect.async<Buffer>((resume) => {
    pbkdf2(Redacted.value(password), FERNET_SALT, FERNET_ITERATIONS, 32, "sha256", (err, derived) =>
      resume(err ? Effect.die(err) : Effect.succeed(derived))
    )
  })
  return Redacted.make(new Uint8Array(key))
})

const FERNET_VERSION = 0x80
const FERNET_HEADER = 1 + 8 + 16
const FERNET_MAC = 32

/** Decrypts a Fernet token (the keyfile's bytes) with a derived key; no TTL, as the SDK passes none. */
export const fernetOpen = (
  data: Uint8Array,
  key: Redacted.Redacted<Uint8Array>
): Effect.Effect<Uint8Array, DecryptionFailed | CiphertextMalformed> =>
  Effect.suspend((): Effect.Effect<Uint8Array, DecryptionFailed | CiphertextMalformed> => {
    const text = new TextDecoder().decode(data).trim()
    if (!/^[A-Za-z0-9_-]+=*$/.test(text)) {
      return Effect.fail(new CiphertextMalformed({ format: "fernet", reason: "not urlsafe base64" }))
    }
    const token = Buffer.from(text, "base64url")
    const cipherLength = token.length - FERNET_HEADER - FERNET_MAC
    if (token[0] !== FERNET_VERSION || cipherLength <= 0 || cipherLength % 16 !== 0) {
      return Effect.fail(new CiphertextMalformed({ format: "fernet", reason: "not a version-0x80 Fernet token" }))
    }
    const k = Redacted.value(key)
    const signed = token.subarray(0, token.length - FERNET_MAC)
    const mac = createHmac("sha256", k.subarray(0, 16)).update(signed).digest()
    if (!timingSafeEqual(mac, token.subarray(token.length - FERNET_MAC))) {
      return Effect.fail(new DecryptionFailed({ format: "fernet" }))
    }
    try {
      const decipher = createDecipheriv("aes-128-cbc", k.subarray(16, 32), token.subarray(9, FERNET_HEADER))
      const plain = Buffer.concat([decipher.update(token.subarray(FERNET_HEADER, token.length - FERNET_MAC)), decipher.final()])
      return Effect.succeed(new Uint8Array(plain))
    } catch {
      return Effect.fail(new CiphertextMalformed({ format: "fernet", reason: "bad padding after a valid MAC" }))
    }
  })

/** Decrypts a legacy Fernet keyfile with a password (one 10M-iteration PBKDF2). */
export const fernetDecrypt = (data: Uint8Array, password: Redacted.Redacted<string>) =>
  fernetKey(password).pipe(Effect.flatMap((key) => fernetOpen(data, key)))
