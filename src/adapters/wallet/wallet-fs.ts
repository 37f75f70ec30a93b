/**
 * The btcli wallet on disk: the live `Wallet` layer (reads `<path>/<name>/…`, decrypting on demand), a
 * `layerDev` from dev URIs for tests, and the operations that create keys (new / regen), writing files
 * 0600 in 0700 folders and never replacing a key without `overwrite`. New mnemonics are returned
 * `Redacted`; showing them to the operator is the program's job.
 */
import { isHex, hexToU8a } from "@polkadot/util"
import { mnemonicGenerate, mnemonicToMiniSecret, mnemonicValidate } from "@polkadot/util-crypto"
import { Effect, Either, Layer, Option, Redacted, Ref } from "effect"
import { readdir, stat } from "node:fs/promises"
import { join } from "node:path"
import {
  btwalletPaths,
  checkKeyName,
  decodeKeyfileContent,
  detectKeyfileFormat,
  isEncryptedFormat,
  keyfileContentOf,
  publicContentOf,
  serializeKeyfileContent,
  walletPaths,
  type WalletPaths
} from "../../domain/wallet/keyfile.ts"
import type { Keypair } from "../../domain/wallet/keypair.ts"
import { InvalidKeyInput, KeyfileMalformed, Wallet, type KeyRole, type WalletConfig, type WalletError } from "../../services/wallet.ts"
import { ensureWritable, expandPath, expandTilde, keyfileBytes, keypairFromContent, readKeyfileBytes, readKeypair, writeKeyfileBytes } from "./keyfile-io.ts"
import { passwordToEncrypt } from "./keyfile-password.ts"
import { keypairFromAddress, keypairFromSeed, keypairFromUri } from "./sr25519.ts"

/** btcli's default wallet root. */
export const DEFAULT_WALLET_PATH = "~/.bittensor/wallets"

/** A validated config: names checked, root expanded to an absolute path. */
export interface ResolvedWallet {
  readonly root: string
  readonly name: string
  readonly hotkey: string
  readonly paths: WalletPaths
  /** The same files spelled as btwallet spells them (its `BT_PW_` variable names). */
  readonly btwalletPaths: WalletPaths
}

/** Checks the names and expands the root. */
export const resolveWallet = (config: WalletConfig): Effect.Effect<ResolvedWallet, InvalidKeyInput> =>
  Effect.gen(function* () {
    const name = checkKeyName("--wallet.name", config.name)
    if (Either.isLeft(name)) return yield* new InvalidKeyInput({ what: name.left })
    const hotkey = checkKeyName("--wallet.hotkey", config.hotkey)
    if (Either.isLeft(hotkey)) return yield* new InvalidKeyInput({ what: hotkey.left })
    const root = expandPath(config.path)
    return {
      root,
      name: name.right,
      hotkey: hotkey.right,
      paths: walletPaths(root, name.right, hotkey.right),
      btwalletPaths: btwalletPaths(expandTilde(config.path), name.right, hotkey.right)
    }
  })

/** Runs `load` at most once successfully; failures are not kept (a wrong password can be retried). */
const onceOnSuccess = <A, E>(load: Effect.Effect<A, E>): Effect.Effect<Effect.Effect<A, E>> =>
  Effect.gen(function* () {
    const cache = yield* Ref.make(Option.none<A>())
    const lock = yield* Effect.makeSemaphore(1)
    return lock.withPermits(1)(
      Ref.get(cache).pipe(
        Effect.flatMap(
          Option.match({
            onSome: Effect.succeed,
            onNone: () => load.pipe(Effect.tap((a) => Ref.set(cache, Option.some(a))))
          })
        )
      )
    )
  })

/** The live wallet for a config (files are read when a key is first asked for, not here). */
export const make = (config: WalletConfig) =>
  Effect.gen(function* () {
    const w = yield* resolveWallet(config)
    const ref = (role: KeyRole, file: "hotkey" | "coldkey" | "coldkeypub") => ({
      role,
      path: w.paths[file],
      btwalletPath: w.btwalletPaths[file],
      walletName: w.name
    })
    return Wallet.of({
      name: w.name,
      hotkeyName: w.hotkey,
      path: w.root,
      hotkey: yield* onceOnSuccess(readKeypair(ref("hotkey", "hotkey"), { requireSecret: true })),
      coldkey: yield* onceOnSuccess(readKeypair(ref("coldkey", "coldkey"), { requireSecret: true })),
      coldkeypub: yield* onceOnSuccess(readKeypair(ref("coldkeypub", "coldkeypub"), { requireSecret: false }))
    })
  })

/** The live `Wallet` layer over btcli's files. */
export const layer = (config: WalletConfig): Layer.Layer<Wallet, InvalidKeyInput> => Layer.effect(Wallet, make(config))

/**
 * A wallet of dev keys for tests: coldkey = `uri` (e.g. `//Alice`), hotkey = `uri//<hotkey>` (default
 * `//Alice//hot`). No files are touched.
 */
export const layerDev = (uri: string, options: { readonly hotkey?: string } = {}): Layer.Layer<Wallet> => {
  const hotkeyName = options.hotkey ?? "hot"
  const cold = keypairFromUri(uri)
  const hot = keypairFromUri(`${uri}//${hotkeyName}`)
  return Layer.succeed(
    Wallet,
    Wallet.of({
      name: uri.replace(/^\/+/, "").replaceAll("/", "-").toLowerCase() || "dev",
      hotkeyName,
      path: "(dev keys)",
      hotkey: Effect.succeed(hot),
      coldkey: Effect.succeed(cold),
      coldkeypub: Effect.succeed(keypairFromAddress(cold.ss58Address))
    })
  )
}

// ---------------------------------------------------------------------------------------------------
// Creating keys

/** Where a regenerated key comes from. The secret never appears in an error. */
export type KeySource =
  | { readonly _tag: "Mnemonic"; readonly mnemonic: Redacted.Redacted<string> }
  | { readonly _tag: "Seed"; readonly seed: Redacted.Redacted<string> }

/** A key that was written, with its mnemonic when it was freshly generated (to show the operator once). */
export interface CreatedKey {
  readonly keypair: Keypair
  readonly mnemonic: Redacted.Redacted<string> | undefined
  readonly written: ReadonlyArray<string>
}

/** Options shared by the create and regen operations. */
export interface WriteOptions {
  /** NaCl-encrypt the secret keyfile (default: true for coldkeys, false for hotkeys, as btcli). */
  readonly usePassword?: boolean
  readonly overwrite?: boolean
}

/** Word counts btcli accepts for a new mnemonic. */
export const MNEMONIC_WORDS = [12, 15, 18, 21, 24] as const
export type MnemonicWords = (typeof MNEMONIC_WORDS)[number]

interface Derived {
  readonly keypair: Keypair
  readonly origin: { readonly secretPhrase?: Redacted.Redacted<string>; readonly secretSeed?: Redacted.Redacted<Uint8Array> }
}

const fromSource = (source: KeySource): Effect.Effect<Derived, InvalidKeyInput> => {
  if (source._tag === "Mnemonic") {
    const phrase = Redacted.value(source.mnemonic).trim().split(/\s+/).join(" ")
    if (!mnemonicValidate(phrase)) {
      return Effect.fail(new InvalidKeyInput({ what: "the mnemonic is not a valid BIP39 phrase (12–24 English words with a valid checksum)" }))
    }
    const seed = mnemonicToMiniSecret(phrase)
    return Effect.succeed({ keypair: keypairFromSeed(seed), origin: { secretPhrase: Redacted.make(phrase), secretSeed: Redacted.make(seed) } })
  }
  const raw = Redacted.value(source.seed).trim()
  const hex = raw.startsWith("0x") ? raw : `0x${raw}`
  if (!isHex(hex, 256)) return Effect.fail(new InvalidKeyInput({ what: "the seed must be 32 bytes of hex (0x + 64 hex digits)" }))
  const seed = hexToU8a(hex)
  return Effect.succeed({ keypair: keypairFromSeed(seed), origin: { secretSeed: Redacted.make(seed) } })
}

const writeSecretKey = (w: ResolvedWallet, role: "coldkey" | "hotkey", derived: Derived, options: WriteOptions) =>
  Effect.gen(function* () {
    const path = w.paths[role]
    const targets = role === "coldkey" ? [path, w.paths.coldkeypub] : [path]
    const overwrite = options.overwrite ?? false
    yield* ensureWritable(targets, overwrite)
    const usePassword = options.usePassword ?? role === "coldkey"
    const password = usePassword ? yield* passwordToEncrypt({ path, btwalletPath: w.btwalletPaths[role], walletName: w.name, role }) : undefined
    const content = keyfileContentOf(derived.keypair, derived.origin)
    if (Either.isLeft(content)) return yield* new KeyfileMalformed({ path, reason: content.left })
    yield* writeKeyfileBytes(path, yield* keyfileBytes(serializeKeyfileContent(content.right), password), overwrite)
    if (role === "coldkey") {
      const pub = new TextEncoder().encode(serializeKeyfileContent(publicContentOf(derived.keypair)))
      yield* writeKeyfileBytes(w.paths.coldkeypub, pub, overwrite)
    }
    return targets
  })

const create = (config: WalletConfig, role: "coldkey" | "hotkey", source: KeySource | MnemonicWords, options: WriteOptions) =>
  Effect.gen(function* () {
    const w = yield* resolveWallet(config)
    const mnemonic = typeof source === "number" ? Redacted.make(mnemonicGenerate(source)) : undefined
    const derived = yield* fromSource(mnemonic ? { _tag: "Mnemonic", mnemonic } : (source as KeySource))
    const written = yield* writeSecretKey(w, role, derived, options)
    return { keypair: derived.keypair, mnemonic, written } satisfies CreatedKey
  })

/** `new_coldkey`: a fresh mnemonic → `coldkey` (encrypted unless `usePassword: false`) and `coldkeypub.txt`. */
export const newColdkey = (config: WalletConfig, words: MnemonicWords, options: WriteOptions = {}): Effect.Effect<CreatedKey, WalletError> =>
  create(config, "coldkey", words, options).pipe(Effect.withSpan("wallet.newColdkey"))

/** `new_hotkey`: a fresh mnemonic → `hotkeys/<hotkey>` (plaintext unless `usePassword: true`). */
export const newHotkey = (config: WalletConfig, words: MnemonicWords, options: WriteOptions = {}): Effect.Effect<CreatedKey, WalletError> =>
  create(config, "hotkey", words, options).pipe(Effect.withSpan("wallet.newHotkey"))

/** `regen_coldkey`: the coldkey and coldkeypub.txt from a mnemonic or seed. */
export const regenColdkey = (config: WalletConfig, source: KeySource, options: WriteOptions = {}): Effect.Effect<CreatedKey, WalletError> =>
  create(config, "coldkey", source, options).pipe(Effect.withSpan("wallet.regenColdkey"))

/** `regen_hotkey`: the hotkey from a mnemonic or seed. */
export const regenHotkey = (config: WalletConfig, source: KeySource, options: WriteOptions = {}): Effect.Effect<CreatedKey, WalletError> =>
  create(config, "hotkey", source, options).pipe(Effect.withSpan("wallet.regenHotkey"))

/** `regen_coldkeypub`: coldkeypub.txt alone from an SS58 address or a `0x` public key. */
export const regenColdkeypub = (
  config: WalletConfig,
  address: string,
  options: { readonly overwrite?: boolean } = {}
): Effect.Effect<CreatedKey, WalletError> =>
  Effect.gen(function* () {
    const w = yield* resolveWallet(config)
    const keypair = yield* Effect.try({
      try: () => {
        const trimmed = address.trim()
        if (trimmed.startsWith("0x") && !isHex(trimmed, 256)) throw new Error("bad public key")
        return keypairFromAddress(trimmed)
      },
      catch: () => new InvalidKeyInput({ what: `"${address}" is neither an SS58 address nor a 0x 32-byte public key` })
    })
    const overwrite = options.overwrite ?? false
    yield* ensureWritable([w.paths.coldkeypub], overwrite)
    yield* writeKeyfileBytes(w.paths.coldkeypub, new TextEncoder().encode(serializeKeyfileContent(publicContentOf(keypair))), overwrite)
    return { keypair, mnemonic: undefined, written: [w.paths.coldkeypub] }
  }).pipe(Effect.withSpan("wallet.regenColdkeypub"))

// ---------------------------------------------------------------------------------------------------
// Listing

/** One hotkey in a listing; the address is absent when the file is encrypted (and has no pub file) or broken. */
export interface HotkeyListing {
  readonly name: string
  readonly ss58Address: string | undefined
  readonly encrypted: boolean
}

/** One wallet folder in a listing. */
export interface WalletListing {
  readonly name: string
  readonly coldkeypub: string | undefined
  readonly hotkeys: ReadonlyArray<HotkeyListing>
}

const listDir = (dir: string): Effect.Effect<ReadonlyArray<string>> =>
  Effect.promise(() => readdir(dir).then((names) => names.sort(), () => []))

const isDir = (path: string): Effect.Effect<boolean> => Effect.promise(() => stat(path).then((s) => s.isDirectory(), () => false))

/** The address a plaintext keyfile records, without decrypting anything. */
interface PublicAddress {
  readonly address: string | undefined
  readonly encrypted: boolean
}

const publicAddress = (path: string, role: KeyRole, walletName: string): Effect.Effect<PublicAddress> => {
  const ref = { path, role, walletName }
  return readKeyfileBytes(ref).pipe(
    Effect.flatMap((data): Effect.Effect<PublicAddress, WalletError> => {
      if (isEncryptedFormat(detectKeyfileFormat(data))) return Effect.succeed({ address: undefined, encrypted: true })
      const content = decodeKeyfileContent(data)
      if (Either.isLeft(content)) return Effect.succeed({ address: undefined, encrypted: false })
      return keypairFromContent(ref, content.right).pipe(Effect.map((kp) => ({ address: kp.ss58Address, encrypted: false })))
    }),
    Effect.orElseSucceed(() => ({ address: undefined, encrypted: false }))
  )
}

/** Every wallet under a root with its coldkey address and hotkeys (never prompts, never decrypts). */
export const listWallets = (rootPath: string): Effect.Effect<ReadonlyArray<WalletListing>> =>
  Effect.gen(function* () {
    const root = expandPath(rootPath)
    const names = yield* listDir(root)
    const wallets: Array<WalletListing> = []
    for (const name of names) {
      if (name.startsWith(".") || !(yield* isDir(join(root, name)))) continue
      const paths = walletPaths(root, name, "_")
      const cold = yield* publicAddress(paths.coldkeypub, "coldkeypub", name)
      const files = yield* listDir(paths.hotkeysDir)
      const hotkeys: Array<HotkeyListing> = []
      for (const file of files) {
        // btwallet ≥3.1 writes `<hotkey>pub.txt` beside each hotkey: show it as the hotkey's address only.
        if (file.startsWith(".") || (file.endsWith("pub.txt") && files.includes(file.slice(0, -"pub.txt".length)))) continue
        let hot = yield* publicAddress(join(paths.hotkeysDir, file), "hotkey", name)
        if (hot.address === undefined && files.includes(`${file}pub.txt`)) {
          const pub = yield* publicAddress(join(paths.hotkeysDir, `${file}pub.txt`), "hotkey", name)
          hot = { address: pub.address, encrypted: hot.encrypted }
        }
        hotkeys.push({ name: file, ss58Address: hot.address, encrypted: hot.encrypted })
      }
      wallets.push({ name, coldkeypub: cold.address, hotkeys })
    }
    return wallets
  }).pipe(Effect.withSpan("wallet.list"))

