/**
 * `bun run src/programs/wallet.ts <subcommand>`: btcli-compatible wallet management with btcli's
 * subcommand and flag names. Files are btcli's (`~/.bittensor/wallets/<name>/…`), so either tool can use
 * the other's wallets. A new mnemonic is printed once, here, and nowhere else.
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect, Either, type Option, Redacted } from "effect"
import {
  layer,
  listWallets,
  newColdkey,
  newHotkey,
  regenColdkey,
  regenColdkeypub,
  regenHotkey,
  type CreatedKey,
  type KeySource,
  type WalletListing
} from "../adapters/wallet/wallet-fs.ts"
import { expandPath } from "../adapters/wallet/keyfile-io.ts"
import { signHex } from "../adapters/wallet/sr25519.ts"
import { Wallet, type WalletError } from "../services/wallet.ts"
import { exactlyOne } from "./options/checked-flags.ts"
import { runCli } from "./options/run-cli.ts"
import type { UsageError } from "./options/usage-error.ts"
import { walletOptions, walletPath } from "./options/wallet.ts"

const PROGRAM = "bun run src/programs/wallet.ts"

const overwrite = Options.boolean("overwrite").pipe(Options.withDescription("replace existing keyfiles (their keys are lost unless you hold the mnemonic)"))
const noPassword = Options.boolean("no_password").pipe(Options.withDescription("write the coldkey unencrypted (not recommended)"))
const usePassword = Options.boolean("use_password").pipe(Options.withDescription("encrypt the hotkey with a password (btcli leaves hotkeys plaintext)"))
const nWords = Options.choiceWithValue("n_words", [
  ["12", 12],
  ["15", 15],
  ["18", 18],
  ["21", 21],
  ["24", 24]
] as const).pipe(Options.withDefault(12 as const), Options.withDescription("number of words of the new mnemonic"))
const mnemonic = Options.redacted("mnemonic").pipe(Options.optional, Options.withDescription('the mnemonic, quoted: --mnemonic "word1 word2 …"'))
const seed = Options.redacted("seed").pipe(Options.optional, Options.withDescription("the 32-byte seed (mini secret) as hex"))

/** A wallet operation whose failure (its message, never a secret) is the program's one error line. */
const reported = <A, R>(effect: Effect.Effect<A, WalletError | UsageError, R>): Effect.Effect<void, WalletError | UsageError, R> =>
  Effect.asVoid(effect)

const showNewMnemonic = (role: string, key: CreatedKey) =>
  key.mnemonic === undefined
    ? Effect.void
    : Console.log(
        [
          "IMPORTANT: store this mnemonic in a secure (preferably offline) place: anyone who has it can regenerate the key",
          "and access its tokens. It is shown only this once.",
          "",
          `The mnemonic to the new ${role} is:`,
          "",
          Redacted.value(key.mnemonic),
          "",
          `To recreate the key: ${PROGRAM} regen_${role} --mnemonic "<the words above>"`,
          ""
        ].join("\n")
      )

const showWritten = (role: string, key: CreatedKey) =>
  Console.log(`${role} ${key.keypair.ss58Address} written to ${key.written.join(", ")}`)

const sourceOf = (
  m: Option.Option<Redacted.Redacted<string>>,
  s: Option.Option<Redacted.Redacted<string>>
): Effect.Effect<KeySource, UsageError> =>
  Effect.map(
    exactlyOne(["--mnemonic", m], ["--seed", s]),
    Either.match({ onLeft: (mnemonic): KeySource => ({ _tag: "Mnemonic", mnemonic }), onRight: (seed): KeySource => ({ _tag: "Seed", seed }) })
  )

const newColdkeyCmd = Command.make("new_coldkey", { wallet: walletOptions, nWords, noPassword, overwrite }, (a) =>
  reported(
    newColdkey(a.wallet, a.nWords, { usePassword: !a.noPassword, overwrite: a.overwrite }).pipe(
      Effect.tap((k) => showNewMnemonic("coldkey", k)),
      Effect.tap((k) => showWritten("coldkey", k))
    )
  )
).pipe(Command.withDescription("create a coldkey from a new mnemonic (encrypted unless --no_password)"))

const newHotkeyCmd = Command.make("new_hotkey", { wallet: walletOptions, nWords, usePassword, overwrite }, (a) =>
  reported(
    newHotkey(a.wallet, a.nWords, { usePassword: a.usePassword, overwrite: a.overwrite }).pipe(
      Effect.tap((k) => showNewMnemonic("hotkey", k)),
      Effect.tap((k) => showWritten("hotkey", k))
    )
  )
).pipe(Command.withDescription("create a hotkey from a new mnemonic (plaintext unless --use_password)"))

const regenColdkeyCmd = Command.make("regen_coldkey", { wallet: walletOptions, mnemonic, seed, noPassword, overwrite }, (a) =>
  reported(
    sourceOf(a.mnemonic, a.seed).pipe(
      Effect.flatMap((source) => regenColdkey(a.wallet, source, { usePassword: !a.noPassword, overwrite: a.overwrite })),
      Effect.tap((k) => showWritten("coldkey", k))
    )
  )
).pipe(Command.withDescription("restore a coldkey (and coldkeypub.txt) from --mnemonic or --seed"))

const regenHotkeyCmd = Command.make("regen_hotkey", { wallet: walletOptions, mnemonic, seed, usePassword, overwrite }, (a) =>
  reported(
    sourceOf(a.mnemonic, a.seed).pipe(
      Effect.flatMap((source) => regenHotkey(a.wallet, source, { usePassword: a.usePassword, overwrite: a.overwrite })),
      Effect.tap((k) => showWritten("hotkey", k))
    )
  )
).pipe(Command.withDescription("restore a hotkey from --mnemonic or --seed"))

const oneOf = (ss58: Option.Option<string>, pub: Option.Option<string>): Effect.Effect<string, UsageError> =>
  Effect.map(exactlyOne(["--ss58_address", ss58], ["--public_key", pub]), Either.merge)

const regenColdkeypubCmd = Command.make(
  "regen_coldkeypub",
  {
    wallet: walletOptions,
    ss58: Options.text("ss58_address").pipe(Options.optional, Options.withDescription("the coldkey's SS58 address")),
    pub: Options.text("public_key").pipe(Options.optional, Options.withDescription("the coldkey's public key, 0x + 64 hex")),
    overwrite
  },
  (a) =>
    reported(
      oneOf(a.ss58, a.pub).pipe(
        Effect.flatMap((address): Effect.Effect<CreatedKey, WalletError | UsageError> => regenColdkeypub(a.wallet, address, { overwrite: a.overwrite })),
        Effect.tap((k) => showWritten("coldkeypub", k))
      )
    )
).pipe(Command.withDescription("restore coldkeypub.txt from the coldkey's address or public key"))

/** The `list` tree: wallets with their coldkey address, hotkeys beneath. */
export const renderWalletTree = (root: string, wallets: ReadonlyArray<WalletListing>): string => {
  const lines = [`Wallets (${root})`]
  const addr = (a: string | undefined, encrypted = false) => (a ? ` (${a})` : encrypted ? " (encrypted)" : " (?)")
  wallets.forEach((w, i) => {
    const lastWallet = i === wallets.length - 1
    lines.push(`${lastWallet ? "└──" : "├──"} ${w.name}${addr(w.coldkeypub)}`)
    w.hotkeys.forEach((h, j) => {
      lines.push(`${lastWallet ? "    " : "│   "}${j === w.hotkeys.length - 1 ? "└──" : "├──"} ${h.name}${addr(h.ss58Address, h.encrypted)}`)
    })
  })
  if (wallets.length === 0) lines.push("(no wallets)")
  return lines.join("\n")
}

const listCmd = Command.make("list", { path: walletPath }, (a) =>
  listWallets(a.path).pipe(Effect.flatMap((wallets) => Console.log(renderWalletTree(expandPath(a.path), wallets))))
).pipe(Command.withDescription("show every wallet under --wallet.path with its coldkey and hotkey addresses"))

const signCmd = Command.make(
  "sign",
  {
    wallet: walletOptions,
    message: Options.text("message").pipe(Options.withDescription("the message to sign (its UTF-8 bytes)")),
    useHotkey: Options.boolean("use-hotkey").pipe(Options.withAlias("use_hotkey"), Options.withDescription("sign with the hotkey instead of the coldkey"))
  },
  (a) =>
    reported(
      Effect.gen(function* () {
        const wallet = yield* Wallet
        const key = yield* (a.useHotkey ? wallet.hotkey : wallet.coldkey)
        yield* Console.log(`signed by ${a.useHotkey ? "hotkey" : "coldkey"} ${key.ss58Address}`)
        yield* Console.log(signHex(key, a.message))
      }).pipe(Effect.provide(layer(a.wallet)))
    )
).pipe(Command.withDescription("sign --message with the coldkey (or --use-hotkey); the last line printed is the 0x signature"))

const wallet = Command.make("wallet").pipe(
  Command.withDescription("btcli-compatible Bittensor wallets (sr25519 keys in ~/.bittensor/wallets)"),
  Command.withSubcommands([newColdkeyCmd, newHotkeyCmd, regenColdkeyCmd, regenHotkeyCmd, regenColdkeypubCmd, listCmd, signCmd])
)

if (import.meta.main) runCli("wallet", wallet)
