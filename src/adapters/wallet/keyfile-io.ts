/**
 * One keyfile on disk: read (detect the format, decrypt, derive the sr25519 pair) and write (serialise
 * Python-style, optionally NaCl-encrypt, mode 0600 in a 0700 folder, never replacing a file unless asked).
 * Derivation order: secretSeed → secretPhrase → privateKey (scalar ×8) → public key only; a derived key
 * that disagrees with the file's public key or address is refused rather than used.
 */
import { u8aEq } from "@polkadot/util"
import { decodeAddress, encodeAddress, mnemonicValidate } from "@polkadot/util-crypto"
import { Effect, Either, Redacted } from "effect"
import { chmod, mkdir, open, readFile, rename, rm } from "node:fs/promises"
import { homedir } from "node:os"
import { dirname, resolve } from "node:path"
import { randomBytes } from "node:crypto"
import {
  decodeKeyfileContent,
  detectKeyfileFormat,
  privateKeyToSecretKey,
  type KeyfileContent
} from "../../domain/wallet/keyfile.ts"
import type { Keypair } from "../../domain/wallet/keypair.ts"
import {
  KeyDerivationUnavailable,
  KeyfileExists,
  KeyfileIoError,
  KeyfileMalformed,
  KeyfileNotFound,
  KeyfilePublicOnly,
  UnsupportedKeyfile,
  WrongPassword,
  type KeyRole,
  type WalletError
} from "../../services/wallet.ts"
import { fernetDecrypt, naclDecrypt, naclEncrypt } from "./keyfile-crypto.ts"
import { passwordToDecrypt, type Password } from "./keyfile-password.ts"
import { SS58_FORMAT, keypairFromAddress, keypairFromMnemonic, keypairFromSeed, sign, verify } from "./sr25519.ts"

/** Expands a leading `~` or `~/` only, as btwallet (shellexpand::tilde) does: the spelling its `BT_PW_` names use. */
export const expandTilde = (path: string): string =>
  path === "~" ? homedir() : path.startsWith("~/") ? `${homedir()}${path.slice(1)}` : path

/** Expands a leading `~` and makes the path absolute (where the files are read and written). */
export const expandPath = (path: string): string => resolve(expandTilde(path))

const ioReason = (e: unknown): string =>
  e instanceof Error && "code" in e ? String((e as NodeJS.ErrnoException).code) : e instanceof Error ? e.message : String(e)

const errnoCode = (e: unknown): string | undefined =>
  e instanceof Error && "code" in e ? String((e as NodeJS.ErrnoException).code) : undefined

/** A keyfile to read: where it is, what it is, and the wallet it belongs to (for the password variable). */
export interface KeyfileRef {
  readonly path: string
  readonly role: KeyRole
  readonly walletName: string
  /** The path as btwallet spells it, for its `BT_PW_` variable (default: `path`). */
  readonly btwalletPath?: string
}

/** The raw bytes of a keyfile. */
export const readKeyfileBytes = (ref: KeyfileRef): Effect.Effect<Uint8Array, KeyfileNotFound | KeyfileIoError> =>
  Effect.tryPromise({
    try: () => readFile(ref.path),
    catch: (e) =>
      errnoCode(e) === "ENOENT"
        ? new KeyfileNotFound({ role: ref.role, path: ref.path })
        : new KeyfileIoError({ path: ref.path, reason: ioReason(e) })
  }).pipe(Effect.map((b) => new Uint8Array(b)))

const ANSIBLE_HINT =
  "decrypt it with the Python btcli (SDK ≤7.x reads Ansible vaults) and save it again in the NaCl format " +
  "(`btcli wallet update`), or restore the key from its mnemonic with `wallet regen_coldkey`"

const decryptWith = (
  ref: KeyfileRef,
  data: Uint8Array,
  decrypt: (data: Uint8Array, password: Redacted.Redacted<string>) => Effect.Effect<Uint8Array, { readonly _tag: string; readonly reason?: string }>,
  password: Password
): Effect.Effect<Uint8Array, WalletError> =>
  decrypt(data, password.value).pipe(
    Effect.mapError((e): WalletError => {
      switch (e._tag) {
        case "DecryptionFailed":
          return new WrongPassword({ path: ref.path, source: password.source })
        case "Argon2Failed":
          return new KeyDerivationUnavailable({ reason: e.reason ?? "unknown" })
        default:
          return new KeyfileMalformed({ path: ref.path, reason: e.reason ?? "bad ciphertext" })
      }
    })
  )

/** The plaintext of a keyfile: decrypted when encrypted (asking for the password), as is otherwise. */
export const keyfilePlaintext = (ref: KeyfileRef, data: Uint8Array): Effect.Effect<Uint8Array, WalletError> =>
  Effect.gen(function* () {
    const format = detectKeyfileFormat(data)
    switch (format) {
      case "json":
      case "bare-pubkey":
        return data
      case "nacl":
        return yield* decryptWith(ref, data, naclDecrypt, yield* passwordToDecrypt(ref))
      case "fernet":
        return yield* decryptWith(ref, data, fernetDecrypt, yield* passwordToDecrypt(ref))
      case "ansible-vault":
        return yield* new UnsupportedKeyfile({ path: ref.path, format: "Ansible vault", hint: ANSIBLE_HINT })
      case "unknown":
        return yield* new UnsupportedKeyfile({
          path: ref.path,
          format: "unrecognised",
          hint: "expected JSON, $NACL, a Fernet token or 0x<public key>; restore it with the matching regen command"
        })
    }
  })

const malformed = (ref: KeyfileRef, reason: string) => new KeyfileMalformed({ path: ref.path, reason })

const PROBE = new TextEncoder().encode("dojo keyfile consistency check")

/** The keypair a decoded keyfile holds (see the module comment for the order). */
export const keypairFromContent = (ref: KeyfileRef, content: KeyfileContent): Effect.Effect<Keypair, KeyfileMalformed> =>
  Effect.gen(function* () {
    let filePublic: Uint8Array | undefined = content.publicKey
    if (content.ss58Address !== undefined) {
      const fromAddress = yield* Effect.try({
        try: () => decodeAddress(content.ss58Address as string),
        catch: () => malformed(ref, "ss58Address is not a valid SS58 address")
      })
      if (filePublic !== undefined && !u8aEq(filePublic, fromAddress)) return yield* malformed(ref, "ss58Address and publicKey differ")
      filePublic = fromAddress
    }
    let derived: Keypair | undefined
    if (content.secretSeed !== undefined) {
      derived = keypairFromSeed(Redacted.value(content.secretSeed))
    } else if (content.secretPhrase !== undefined) {
      const phrase = Redacted.value(content.secretPhrase).trim()
      if (!mnemonicValidate(phrase)) return yield* malformed(ref, "secretPhrase is not a valid BIP39 mnemonic")
      derived = keypairFromMnemonic(phrase)
    } else if (content.privateKey !== undefined) {
      if (filePublic === undefined) return yield* malformed(ref, "privateKey without publicKey or ss58Address")
      const secret = privateKeyToSecretKey(Redacted.value(content.privateKey))
      if (Either.isLeft(secret)) return yield* malformed(ref, secret.left)
      const candidate: Keypair = { ...keypairFromAddress(encodeSs58(filePublic)), secretKey: Redacted.make(secret.right) }
      // The public key cannot be recomputed from the scalar here, so prove the pair by signing.
      if (!verify(PROBE, sign(candidate, PROBE), filePublic)) return yield* malformed(ref, "privateKey does not belong to publicKey")
      return candidate
    }
    if (derived === undefined) {
      if (filePublic === undefined) return yield* malformed(ref, "no key in it (no secretSeed, secretPhrase, privateKey, publicKey or ss58Address)")
      return keypairFromAddress(encodeSs58(filePublic))
    }
    if (filePublic !== undefined && !u8aEq(filePublic, derived.publicKey)) {
      return yield* malformed(ref, "its secret derives a different public key than the one it records")
    }
    return derived
  })

const encodeSs58 = (publicKey: Uint8Array): string => encodeAddress(publicKey, SS58_FORMAT)

/** Reads a keyfile into a keypair; `requireSecret` refuses a public-only file, role coldkeypub drops any secret. */
export const readKeypair = Effect.fn("wallet.readKeypair")(function* (ref: KeyfileRef, options: { readonly requireSecret: boolean }) {
  const data = yield* readKeyfileBytes(ref)
  const plain = yield* keyfilePlaintext(ref, data)
  const content = decodeKeyfileContent(plain)
  if (Either.isLeft(content)) return yield* malformed(ref, content.left)
  const keypair = yield* keypairFromContent(ref, content.right)
  if (options.requireSecret && keypair.secretKey === undefined) {
    return yield* new KeyfilePublicOnly({ role: ref.role, path: ref.path })
  }
  return ref.role === "coldkeypub" ? { ...keypair, secretKey: undefined } : keypair
})

/** True when a file exists at the path. */
export const fileExists = (path: string): Effect.Effect<boolean> =>
  Effect.promise(() => open(path, "r").then((h) => h.close().then(() => true), () => false))

/** Refuses when any of the paths exists and `overwrite` is false (checked before anything is written). */
export const ensureWritable = (paths: ReadonlyArray<string>, overwrite: boolean): Effect.Effect<void, KeyfileExists> =>
  overwrite
    ? Effect.void
    : Effect.forEach(paths, (p) => fileExists(p).pipe(Effect.flatMap((exists) => (exists ? Effect.fail(new KeyfileExists({ path: p })) : Effect.void))), {
        discard: true
      })

/**
 * Writes keyfile bytes with mode 0600 (folders created 0700). Without `overwrite` the file is created
 * exclusively (O_EXCL), so an existing key is never replaced; with it, a temporary file is renamed over.
 */
export const writeKeyfileBytes = Effect.fn("wallet.writeKeyfile")(function* (path: string, data: Uint8Array, overwrite: boolean) {
  const io = (e: unknown) =>
    errnoCode(e) === "EEXIST" ? new KeyfileExists({ path }) : new KeyfileIoError({ path, reason: ioReason(e) })
  yield* Effect.tryPromise({ try: () => mkdir(dirname(path), { recursive: true, mode: 0o700 }), catch: io })
  const target = overwrite ? `${path}.tmp-${randomBytes(6).toString("hex")}` : path
  yield* Effect.tryPromise({
    try: async () => {
      const handle = await open(target, "wx", 0o600)
      try {
        await handle.writeFile(data)
        await handle.sync()
      } finally {
        await handle.close()
      }
      await chmod(target, 0o600)
      if (target !== path) await rename(target, path)
    },
    catch: io
  }).pipe(Effect.tapError(() => (target !== path ? Effect.promise(() => rm(target, { force: true })) : Effect.void)))
})

/** Serialised keyfile plaintext, NaCl-encrypted when a password is given. */
export const keyfileBytes = (
  plaintext: string,
  password: Password | undefined
): Effect.Effect<Uint8Array, KeyDerivationUnavailable> => {
  const bytes = new TextEncoder().encode(plaintext)
  return password === undefined
    ? Effect.succeed(bytes)
    : naclEncrypt(bytes, password.value).pipe(Effect.mapError((e) => new KeyDerivationUnavailable({ reason: e.reason })))
}
