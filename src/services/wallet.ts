/**
 * The `Wallet` port: a Bittensor wallet (`<path>/<name>/{coldkey, coldkeypub.txt, hotkeys/<hotkey>}`) as
 * keys. Miners and validators sign with `hotkey` and name their owner with `coldkeypub`; `coldkey`
 * decrypts (password from the environment or a terminal prompt) and is only for wallet operations.
 * Every error says what to do; none carries a secret.
 */
import { Context, Data, type Effect } from "effect"
import type { Keypair } from "../domain/wallet/keypair.ts"

/** Where a wallet lives: root folder (`--wallet.path`), wallet name and hotkey name. */
export interface WalletConfig {
  /** Root folder of all wallets; `~` is expanded. Default `~/.bittensor/wallets`. */
  readonly path: string
  readonly name: string
  readonly hotkey: string
}

/** Which key of the wallet an error is about. */
export type KeyRole = "coldkey" | "coldkeypub" | "hotkey"

const createHint = (role: KeyRole): string =>
  role === "hotkey"
    ? "create it with `wallet new_hotkey` or restore it with `wallet regen_hotkey`"
    : role === "coldkey"
      ? "create it with `wallet new_coldkey` or restore it with `wallet regen_coldkey`"
      : "restore it with `wallet regen_coldkeypub --ss58_address <address>` (or regen_coldkey)"

/** The keyfile does not exist. */
export class KeyfileNotFound extends Data.TaggedError("KeyfileNotFound")<{ readonly role: KeyRole; readonly path: string }> {
  override get message() {
    return `no ${this.role} at ${this.path}: check --wallet.path/--wallet.name/--wallet.hotkey, or ${createHint(this.role)}`
  }
}

/** The password did not decrypt the keyfile (the file was left as it was). */
export class WrongPassword extends Data.TaggedError("WrongPassword")<{
  readonly path: string
  /** Where the password came from: an environment variable name or "prompt". */
  readonly source: string
}> {
  override get message() {
    const from = this.source === "prompt" ? "the password entered" : `the password in ${this.source}`
    return `${from} does not decrypt ${this.path} (wrong password or corrupted file; the file was not changed)`
  }
}

/** No password available: the keyfile is encrypted, no environment variable is set and there is no terminal. */
export class PasswordUnavailable extends Data.TaggedError("PasswordUnavailable")<{
  readonly path: string
  readonly envVar: string
  /** btwallet's `BT_PW_` variable for this keyfile, when `envVar` is another one. */
  readonly btwalletVar?: string
  readonly reason: string
}> {
  override get message() {
    const set = (v: string) => (v.startsWith("BT_PW_") ? `${v}=<base64 of the password XOR the variable's name, as btwallet stores it>` : `${v}=<password>`)
    const alt = this.btwalletVar === undefined ? "" : ` (or ${set(this.btwalletVar)})`
    return `${this.path} needs a password and ${this.reason}: set ${set(this.envVar)}${alt} or run on a terminal to be prompted`
  }
}

/** A keyfile format this implementation does not read (Ansible vault) or does not recognise. */
export class UnsupportedKeyfile extends Data.TaggedError("UnsupportedKeyfile")<{
  readonly path: string
  readonly format: string
  readonly hint: string
}> {
  override get message() {
    return `${this.path} is a ${this.format} keyfile, which is not supported: ${this.hint}`
  }
}

/** The keyfile was readable but its content is wrong (bad JSON field, inconsistent keys, bad ciphertext). */
export class KeyfileMalformed extends Data.TaggedError("KeyfileMalformed")<{ readonly path: string; readonly reason: string }> {
  override get message() {
    return `${this.path} is malformed (${this.reason}): restore it from its mnemonic with the matching regen command`
  }
}

/** The keyfile holds only a public key where a signing key is needed. */
export class KeyfilePublicOnly extends Data.TaggedError("KeyfilePublicOnly")<{ readonly role: KeyRole; readonly path: string }> {
  override get message() {
    return `${this.path} holds only a public key, so the ${this.role} cannot sign: ${createHint(this.role)}`
  }
}

/** Refused to replace an existing keyfile. */
export class KeyfileExists extends Data.TaggedError("KeyfileExists")<{ readonly path: string }> {
  override get message() {
    return `${this.path} already exists and was not touched: pass --overwrite to replace it (back up its mnemonic first)`
  }
}

/** Input key material (mnemonic, seed, address, password, name) is invalid; `what` never holds the value of a secret. */
export class InvalidKeyInput extends Data.TaggedError("InvalidKeyInput")<{ readonly what: string }> {
  override get message() {
    return `invalid input: ${this.what}`
  }
}

/** The file system refused (permissions, disk, not a file). */
export class KeyfileIoError extends Data.TaggedError("KeyfileIoError")<{ readonly path: string; readonly reason: string }> {
  override get message() {
    return `cannot access ${this.path}: ${this.reason}`
  }
}

/** Argon2i could not run (the WASM heap could not grow to 512 MiB). */
export class KeyDerivationUnavailable extends Data.TaggedError("KeyDerivationUnavailable")<{ readonly reason: string }> {
  override get message() {
    return `cannot derive the keyfile key (Argon2i needs 512 MiB): ${this.reason}`
  }
}

/** Every way a wallet operation can fail. */
export type WalletError =
  | KeyfileNotFound
  | WrongPassword
  | PasswordUnavailable
  | UnsupportedKeyfile
  | KeyfileMalformed
  | KeyfilePublicOnly
  | KeyfileExists
  | InvalidKeyInput
  | KeyfileIoError
  | KeyDerivationUnavailable

/** What the `Wallet` service offers. */
export interface WalletShape {
  readonly name: string
  readonly hotkeyName: string
  readonly path: string
  /** The hotkey with its secret (plaintext file, or decrypted when encrypted). */
  readonly hotkey: Effect.Effect<Keypair, WalletError>
  /** The coldkey with its secret: decrypts `coldkey` (once; the result is kept for the process). */
  readonly coldkey: Effect.Effect<Keypair, WalletError>
  /** The coldkey's public key only, from `coldkeypub.txt`. */
  readonly coldkeypub: Effect.Effect<Keypair, WalletError>
}

/** A loaded wallet. `path` is the root folder (btcli's `wallet.path`), not the wallet's own folder. */
export class Wallet extends Context.Tag("dojo/Wallet")<Wallet, WalletShape>() {}
