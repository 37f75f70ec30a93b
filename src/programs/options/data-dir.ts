/**
 * A neuron's data directory, where its default SQLite store lives: the Bittensor SDK's `neuron.full_path`,
 * `<--logging.logging_dir>/<wallet name>/<hotkey name>/netuid<N>/<--neuron.name>` (default
 * `~/.bittensor/miners/<wallet>/<hotkey>/netuid<N>/validator`). Every program that opens a neuron's store
 * (the validator, `api-keys`) derives it this way, so they find the same file.
 */
import { Options } from "@effect/cli"
import { Config } from "effect"
import { join } from "node:path"
import { expandPath } from "../../adapters/keyfile-io.ts"

/** The flags the data directory depends on besides the wallet and netuid. */
export interface DataDirFlags {
  readonly loggingDir: string
  readonly neuronName: string
}

/** `--logging.logging_dir` (env BT_LOGGING_LOGGING_DIR) and `--neuron.name`. */
export const dataDirOptions = (defaultNeuronName: string): Options.Options<DataDirFlags> =>
  Options.all({
    loggingDir: Options.text("logging.logging_dir").pipe(
      Options.withDescription('Root of the neurons\' data directories (env BT_LOGGING_LOGGING_DIR, default "~/.bittensor/miners").'),
      Options.withFallbackConfig(Config.string("BT_LOGGING_LOGGING_DIR")),
      Options.withDefault("~/.bittensor/miners")
    ),
    neuronName: Options.text("neuron.name").pipe(
      Options.withDescription(`Name of the neuron's directory under <wallet>/<hotkey>/netuid<N> (default "${defaultNeuronName}").`),
      Options.withDefault(defaultNeuronName)
    )
  })

/** The data directory of the neuron run by `wallet` on `netuid`. */
export const neuronDataDir = (
  wallet: { readonly name: string; readonly hotkey: string },
  netuid: number,
  flags: DataDirFlags
): string => join(expandPath(flags.loggingDir), wallet.name, wallet.hotkey, `netuid${netuid}`, flags.neuronName)
