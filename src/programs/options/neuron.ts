/**
 * Flags every Dojo neuron shares: `--netuid`, `--neuron.data_dir` (where its store lives; default as the
 * SDK's `neuron.full_path`: ~/.bittensor/miners/<wallet>/<hotkey>/netuid<N>/<role>) and the HTTP API
 * port/address (`--api.port`, default 1888 as the original subnet; `--api.ip`).
 */
import { Options } from "@effect/cli"
import { Config, Option } from "effect"
import { homedir } from "node:os"
import { join } from "node:path"
import { Netuid } from "../../domain/chain/ids.ts"
import type { WalletConfig } from "../../services/wallet.ts"
import { integerFlag, portFlag } from "./checked-flags.ts"

/** Parsed neuron flags. */
export interface NeuronFlags {
  readonly netuid: Netuid
  readonly dataDir: Option.Option<string>
  readonly apiPort: number
  readonly apiIp: string
}

/** The shared neuron flags. */
export const neuronOptions: Options.Options<NeuronFlags> = Options.all({
  netuid: Options.integer("netuid").pipe(
    Options.withDescription("Subnet id (env BT_NETUID, default 1)."),
    Options.withFallbackConfig(Config.integer("BT_NETUID")),
    Options.withDefault(1),
    // Last, so the variable is checked as the flag is; the subnet id enters the program here.
    Options.filterMap((n) => (n >= 0 && n <= 65535 ? Option.some(Netuid.make(n)) : Option.none()), "--netuid must be 0-65535")
  ),
  dataDir: Options.text("neuron.data_dir").pipe(
    Options.withDescription("Folder for the neuron's state (default ~/.bittensor/miners/<wallet>/<hotkey>/netuid<N>/<role>)."),
    Options.withFallbackConfig(Config.string("DOJO_DATA_DIR")),
    Options.optional
  ),
  apiPort: portFlag("api.port").pipe(
    Options.withDescription("Port of the neuron's HTTP API (env DOJO_API_PORT, default 1888)."),
    Options.withFallbackConfig(Config.integer("DOJO_API_PORT")),
    Options.withDefault(1888)
  ),
  apiIp: Options.text("api.ip").pipe(
    Options.withDescription("Address the HTTP API binds (default 0.0.0.0)."),
    Options.withDefault("0.0.0.0")
  )
})

const expandHome = (path: string) => (path === "~" || path.startsWith("~/") ? join(homedir(), path.slice(1)) : path)

/** The neuron's data folder: the flag, or the SDK's `neuron.full_path` layout. */
export const dataDirOf = (flags: NeuronFlags, wallet: WalletConfig, role: "miner" | "validator"): string =>
  Option.match(flags.dataDir, {
    onSome: expandHome,
    onNone: () => join(homedir(), ".bittensor", "miners", wallet.name, wallet.hotkey, `netuid${flags.netuid}`, role)
  })
