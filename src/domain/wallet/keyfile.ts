/**
 * Bittensor wallet keyfiles, pure part: the JSON content (read in any key order, written byte for byte
 * the way the Python SDK 7.x writes it, which every reader accepts), format detection, the schnorrkel
 * `privateKey` ↔ polkadot.js secret conversion, the wallet layout and the password environment variables.
 * Secrets travel as `Redacted`; no function here puts a secret value into a reason string.
 */
import { hexToU8a, u8aToHex } from "@polkadot/util"
import { Either, ParseResult, Redacted, Schema } from "effect"
import { join } from "node:path"
import type { Keypair } from "./keypair.ts"

// ---------------------------------------------------------------------------------------------------
// Constants of the encrypted formats (bittensor/keyfile.py@v7.4.0, btwallet src/keyfile.rs@v4.0.0)

/** Prefix of a NaCl-encrypted keyfile. */
export const NACL_PREFIX = "$NACL"
/** The fixed Argon2i salt every Bittensor NaCl keyfile uses. */
export const NACL_SALT_HEX = "137183dff15a09bc9c90b5518739e9b1"
/** Argon2i v1.3 parameters (libsodium OPSLIMIT_SENSITIVE / MEMLIMIT_SENSITIVE), 32-byte key. */
export const NACL_ARGON2I = { opslimit: 8, memlimitBytes: 536_870_912, keyLength: 32 } as const
/** XSalsa20-Poly1305 nonce length. */
export const NACL_NONCE_LENGTH = 24
/** Prefix of a legacy Fernet keyfile (version byte 0x80 in urlsafe base64). */
export const FERNET_PREFIX = "gAAAAA"
/** PBKDF2-HMAC-SHA256 salt of the legacy Fernet format. */
export const FERNET_SALT = "Iguesscyborgslikemyselfhaveatendencytobeparanoidaboutourorigins"
/** PBKDF2 iteration count of the legacy Fernet format. */
export const FERNET_ITERATIONS = 10_000_000
/** Prefix of an Ansible-vault keyfile (very old SDKs). */
export const ANSIBLE_PREFIX = "$ANSIBLE_VAULT"

// ---------------------------------------------------------------------------------------------------
// Format detection

/** What a keyfile's bytes are. */
export type KeyfileFormat = "nacl" | "fernet" | "ansible-vault" | "json" | "bare-pubkey" | "unknown"

const startsWith = (data: Uint8Array, prefix: string): boolean =>
  data.length >= prefix.length && [...prefix].every((c, i) => data[i] === c.charCodeAt(0))

const BARE_PUBKEY = /^0x[0-9a-fA-F]{64}$/

/** Detects the keyfile format from its bytes, by prefix first as the SDK does, then by content. */
export const detectKeyfileFormat = (data: Uint8Array): KeyfileFormat => {
  if (startsWith(data, NACL_PREFIX)) return "nacl"
  if (startsWith(data, ANSIBLE_PREFIX)) return "ansible-vault"
  if (startsWith(data, FERNET_PREFIX)) return "fernet"
  const text = new TextDecoder("utf-8", { fatal: false }).decode(data).trim()
  if (BARE_PUBKEY.test(text)) return "bare-pubkey"
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return "json"
  } catch {
    // not JSON
  }
  return "unknown"
}

/** True for the formats that need a password. */
export const isEncryptedFormat = (format: KeyfileFormat): boolean =>
  format === "nacl" || format === "fernet" || format === "ansible-vault"

// ---------------------------------------------------------------------------------------------------
// JSON content

const hexOf = (bytes: number) => Schema.String.pipe(Schema.pattern(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`)))
const field = <A, I>(s: Schema.Schema<A, I>) => Schema.optional(Schema.NullOr(s))

/** The keyfile JSON as any SDK writes it: every key optional or null, any order, extra keys ignored. */
export const KeyfileJson = Schema.Struct({
  accountId: field(hexOf(32)),
  publicKey: field(hexOf(32)),
  privateKey: field(hexOf(64)),
  secretPhrase: field(Schema.String),
  secretSeed: field(hexOf(32)),
  ss58Address: field(Schema.String)
})
export type KeyfileJson = typeof KeyfileJson.Type

/** A keyfile's content, decoded. `privateKey` is in schnorrkel `SecretKey::to_bytes` form (scalar ‖ nonce). */
export interface KeyfileContent {
  readonly publicKey: Uint8Array | undefined
  readonly ss58Address: string | undefined
  readonly privateKey: Redacted.Redacted<Uint8Array> | undefined
  readonly secretPhrase: Redacted.Redacted<string> | undefined
  readonly secretSeed: Redacted.Redacted<Uint8Array> | undefined
}

const decodeJson = Schema.decodeUnknownEither(KeyfileJson)

/**
 * Decodes plaintext keyfile bytes (JSON in any key order, or a bare `0x<pubkey>`). The reason on failure
 * names the offending fields only, never their values (they may be secrets).
 */
export const decodeKeyfileContent = (data: Uint8Array): Either.Either<KeyfileContent, string> => {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(data).trim()
  if (BARE_PUBKEY.test(text)) {
    return Either.right({
      publicKey: hexToU8a(text),
      ss58Address: undefined,
      privateKey: undefined,
      secretPhrase: undefined,
      secretSeed: undefined
    })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return Either.left("it is neither JSON nor a bare 0x public key")
  }
  return decodeJson(raw).pipe(
    Either.mapLeft((error) => {
      const fields = ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => issue.path.join(".") || "(root)")
      return `invalid field(s): ${[...new Set(fields)].join(", ")}`
    }),
    Either.flatMap((json) => {
      if (json.accountId && json.publicKey && json.accountId.toLowerCase() !== json.publicKey.toLowerCase()) {
        return Either.left("accountId and publicKey differ")
      }
      const pub = json.publicKey ?? json.accountId
      return Either.right({
        publicKey: pub ? hexToU8a(pub) : undefined,
        ss58Address: json.ss58Address ?? undefined,
        privateKey: json.privateKey ? Redacted.make(hexToU8a(json.privateKey)) : undefined,
        secretPhrase: json.secretPhrase ? Redacted.make(json.secretPhrase) : undefined,
        secretSeed: json.secretSeed ? Redacted.make(hexToU8a(json.secretSeed)) : undefined
      })
    })
  )
}

/**
 * A JSON string literal exactly as Python's `json.dumps` (ensure_ascii=True) writes it: `"` and `\`
 * escaped, \b \f \n \r \t short forms, everything outside printable ASCII as lowercase `\uXXXX`
 * (UTF-16 code units, so astral characters become surrogate pairs).
 */
export const pythonJsonString = (s: string): string => {
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const ch = s[i] as string
    if (ch === '"') out += '\\"'
    else if (ch === "\\") out += "\\\\"
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (ch === "\t") out += "\\t"
    else if (ch === "\b") out += "\\b"
    else if (ch === "\f") out += "\\f"
    else if (c >= 0x20 && c <= 0x7e) out += ch
    else out += `\\u${c.toString(16).padStart(4, "0")}`
  }
  return `${out}"`
}

const KEY_ORDER = ["accountId", "publicKey", "privateKey", "secretPhrase", "secretSeed", "ss58Address"] as const

/**
 * Serialises keyfile content the way bittensor 7.x `serialized_keypair_to_keyfile_data` does: that exact
 * key order, `json.dumps` default separators, `null` for absent values, `accountId` = `publicKey`.
 */
export const serializeKeyfileContent = (content: KeyfileContent): string => {
  const pub = content.publicKey ? u8aToHex(content.publicKey) : null
  const values: Record<(typeof KEY_ORDER)[number], string | null> = {
    accountId: pub,
    publicKey: pub,
    privateKey: content.privateKey ? u8aToHex(Redacted.value(content.privateKey)) : null,
    secretPhrase: content.secretPhrase ? Redacted.value(content.secretPhrase) : null,
    secretSeed: content.secretSeed ? u8aToHex(Redacted.value(content.secretSeed)) : null,
    ss58Address: content.ss58Address ?? null
  }
  const body = KEY_ORDER.map((k) => {
    const v = values[k]
    return `${pythonJsonString(k)}: ${v === null ? "null" : pythonJsonString(v)}`
  })
  return `{${body.join(", ")}}`
}

/** The content of a keyfile for a keypair, with the phrase and/or seed it came from when known. */
export const keyfileContentOf = (
  keypair: Keypair,
  origin: { readonly secretPhrase?: Redacted.Redacted<string>; readonly secretSeed?: Redacted.Redacted<Uint8Array> } = {}
): Either.Either<KeyfileContent, string> => {
  const base = { publicKey: keypair.publicKey, ss58Address: keypair.ss58Address }
  if (keypair.secretKey === undefined) {
    return Either.right({ ...base, privateKey: undefined, secretPhrase: undefined, secretSeed: undefined })
  }
  return secretKeyToPrivateKey(Redacted.value(keypair.secretKey)).pipe(
    Either.map((priv) => ({
      ...base,
      privateKey: Redacted.make(priv),
      secretPhrase: origin.secretPhrase,
      secretSeed: origin.secretSeed
    }))
  )
}

/** The public-only content written to `coldkeypub.txt`. */
export const publicContentOf = (keypair: Keypair): KeyfileContent => ({
  publicKey: keypair.publicKey,
  ss58Address: keypair.ss58Address,
  privateKey: undefined,
  secretPhrase: undefined,
  secretSeed: undefined
})

// ---------------------------------------------------------------------------------------------------
// schnorrkel `SecretKey::to_bytes` (keyfile privateKey) ↔ `to_ed25519_bytes` (polkadot.js secretKey)

const leToBigInt = (bytes: Uint8Array): bigint => bytes.reduceRight((acc, b) => (acc << 8n) | BigInt(b), 0n)
const bigIntToLe = (n: bigint, length: number): Uint8Array => {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn)
  return out
}
const TWO_256 = 1n << 256n

/** Keyfile `privateKey` (scalar ‖ nonce) → polkadot.js secret key (scalar·8 ‖ nonce), exactly. */
export const privateKeyToSecretKey = (privateKey: Uint8Array): Either.Either<Uint8Array, string> => {
  if (privateKey.length !== 64) return Either.left("privateKey must be 64 bytes")
  const scaled = leToBigInt(privateKey.subarray(0, 32)) * 8n
  if (scaled >= TWO_256) return Either.left("privateKey scalar is not canonical")
  const out = new Uint8Array(64)
  out.set(bigIntToLe(scaled, 32), 0)
  out.set(privateKey.subarray(32), 32)
  return Either.right(out)
}

/** polkadot.js secret key (scalar·8 ‖ nonce) → keyfile `privateKey` (scalar ‖ nonce), exactly. */
export const secretKeyToPrivateKey = (secretKey: Uint8Array): Either.Either<Uint8Array, string> => {
  if (secretKey.length !== 64) return Either.left("secret key must be 64 bytes")
  const scaled = leToBigInt(secretKey.subarray(0, 32))
  if (scaled % 8n !== 0n) return Either.left("secret key scalar is not a multiple of the cofactor")
  const out = new Uint8Array(64)
  out.set(bigIntToLe(scaled / 8n, 32), 0)
  out.set(secretKey.subarray(32), 32)
  return Either.right(out)
}

// ---------------------------------------------------------------------------------------------------
// Layout

/** The files of one wallet: `<root>/<name>/{coldkey, coldkeypub.txt, hotkeys/<hotkey>}`. */
export interface WalletPaths {
  readonly dir: string
  readonly coldkey: string
  readonly coldkeypub: string
  readonly hotkeysDir: string
  readonly hotkey: string
}

/** Paths of a wallet under an (already expanded) root. */
export const walletPaths = (root: string, name: string, hotkey: string): WalletPaths => {
  const dir = join(root, name)
  return {
    dir,
    coldkey: join(dir, "coldkey"),
    coldkeypub: join(dir, "coldkeypub.txt"),
    hotkeysDir: join(dir, "hotkeys"),
    hotkey: join(dir, "hotkeys", hotkey)
  }
}

/** Rust's `PathBuf::join` for plain segments: a `/` is added unless the base is empty or ends with one; nothing is normalised. */
const pathBufJoin = (base: string, segment: string): string =>
  base === "" || base.endsWith("/") ? `${base}${segment}` : `${base}/${segment}`

/**
 * The wallet's paths spelled as btwallet spells them (root tilde-expanded but otherwise as given: relative
 * stays relative, `//` and `./` stay), which is what its `BT_PW_` variable names are built from.
 */
export const btwalletPaths = (tildeExpandedRoot: string, name: string, hotkey: string): WalletPaths => {
  const dir = pathBufJoin(tildeExpandedRoot, name)
  const hotkeysDir = pathBufJoin(dir, "hotkeys")
  return {
    dir,
    coldkey: pathBufJoin(dir, "coldkey"),
    coldkeypub: pathBufJoin(dir, "coldkeypub.txt"),
    hotkeysDir,
    hotkey: pathBufJoin(hotkeysDir, hotkey)
  }
}

/** A wallet or hotkey name must be one plain path segment (no traversal, no hidden names). */
export const checkKeyName = (what: string, name: string): Either.Either<string, string> =>
  name.length === 0 || name.length > 255 || name.includes("/") || name.includes("\\") || name.includes("\0") || name.startsWith(".")
    ? Either.left(`${what} "${name}" must be a non-empty file name without "/" and not starting with "."`)
    : Either.right(name)

// ---------------------------------------------------------------------------------------------------
// Password environment variables

/** SDK 7.x / btwallet ≤2.0: `BT_COLD_PW_<WALLET NAME upper-cased, '-' → '_'>`. */
export const coldPasswordEnvVar = (walletName: string): string =>
  `BT_COLD_PW_${walletName.replaceAll("-", "_").toUpperCase()}`

/**
 * btwallet ≥2.1: `BT_PW_<keyfile path as btwallet spells it (see `btwalletPaths`), '/' and '.' → '_',
 * upper-cased>`; a relative wallet path gives a relative name (`BT_PW_WALLETS_…`).
 */
export const btwalletPasswordEnvVar = (btwalletKeyfilePath: string): string =>
  `BT_PW_${btwalletKeyfilePath.replaceAll("/", "_").replaceAll(".", "_").toUpperCase()}`

const xorWithName = (bytes: Uint8Array, varName: string): Uint8Array => {
  const key = new TextEncoder().encode(varName)
  return bytes.map((b, i) => b ^ (key[i % key.length] as number))
}

/** The btwallet ≥2.1 env value for a password: base64(password bytes XOR variable-name bytes, cycled). */
export const encodeEnvPassword = (password: Redacted.Redacted<string>, varName: string): string =>
  Buffer.from(xorWithName(new TextEncoder().encode(Redacted.value(password)), varName)).toString("base64")

/** Inverse of `encodeEnvPassword`; Left when the value is not base64 of UTF-8 (the reason holds no secret). */
export const decodeEnvPassword = (value: string, varName: string): Either.Either<Redacted.Redacted<string>, string> => {
  const trimmed = value.trim()
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) {
    return Either.left(`${varName} is not base64 (btwallet stores the password XOR-encoded in base64)`)
  }
  try {
    const plain = new TextDecoder("utf-8", { fatal: true }).decode(xorWithName(Buffer.from(trimmed, "base64"), varName))
    return Either.right(Redacted.make(plain))
  } catch {
    return Either.left(`${varName} does not decode to UTF-8 text`)
  }
}
