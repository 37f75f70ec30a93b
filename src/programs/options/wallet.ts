/**
 * The wallet flags every Dojo program shares, with btcli's dotted names (@effect/cli accepts dots in
 * option names as is, `--wallet.name x` and `--wallet.name=x`): `--wallet.name` (env BT_WALLET_NAME),
 * `--wallet.hotkey` (BT_WALLET_HOTKEY), `--wallet.path` (BT_WALLET_PATH); defaults "default", "default",
 * `~/.bittensor/wallets`. A flag beats the variable, which beats the default.
 */
import { Options } from "@effect/cli"
import { Config } from "effect"
import { DEFAULT_WALLET_PATH } from "../../adapters/wallet/wallet-fs.ts"
import type { WalletConfig } from "../../services/wallet.ts"

const withEnv = (flag: string, env: string, fallback: string, description: string) =>
  Options.text(flag).pipe(
    Options.withDescription(`${description} (env ${env}, default "${fallback}")`),
    Options.withFallbackConfig(Config.string(env)),
    Options.withDefault(fallback)
  )

/** `--wallet.name`: the wallet's folder under the root (the coldkey). */
export const walletName = withEnv("wallet.name", "BT_WALLET_NAME", "default", "wallet name (its folder, holding the coldkey)")

/** `--wallet.hotkey`: the hotkey file under `<wallet>/hotkeys/`. */
export const walletHotkey = withEnv("wallet.hotkey", "BT_WALLET_HOTKEY", "default", "hotkey name (file under <wallet>/hotkeys/)")

/** `--wallet.path`: the root folder of all wallets. */
export const walletPath = withEnv("wallet.path", "BT_WALLET_PATH", DEFAULT_WALLET_PATH, "root folder of all wallets")

/** The three flags as one option giving a `WalletConfig`; put it in a command's config, e.g. `{ wallet: walletOptions }`. */
export const walletOptions: Options.Options<WalletConfig> = Options.all({ name: walletName, hotkey: walletHotkey, path: walletPath })

/** The same settings from the environment only, for programs configured without a command line. */
export const walletConfig: Config.Config<WalletConfig> = Config.all({
  name: Config.string("BT_WALLET_NAME").pipe(Config.withDefault("default")),
  hotkey: Config.string("BT_WALLET_HOTKEY").pipe(Config.withDefault("default")),
  path: Config.string("BT_WALLET_PATH").pipe(Config.withDefault(DEFAULT_WALLET_PATH))
})
