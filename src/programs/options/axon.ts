/**
 * The `--axon.*` flags with the SDK's dotted names: `--axon.port` (default 8091), `--axon.ip` (bind,
 * default 0.0.0.0), `--axon.external_ip` / `--axon.external_port` (what goes on chain, default the bound
 * address) and `--axon.max_workers` (handlers at once, default 10). Env: `BT_AXON_PORT`, … as in the SDK.
 */
import { Options } from "@effect/cli"
import { Config, Option } from "effect"
import { defaultAxonConfig, type AxonConfig } from "../../adapters/axon/axon.ts"
import { atLeastFlag, portFlag } from "./checked-flags.ts"

/** Parsed `--axon.*` flags (everything but the hotkey, which comes from the wallet). */
export interface AxonOptions {
  readonly port: number
  readonly ip: string
  readonly externalIp: Option.Option<string>
  readonly externalPort: Option.Option<number>
  readonly maxWorkers: number
}

/** The `--axon.*` flags. */
export const axonOptions: Options.Options<AxonOptions> = Options.all({
  port: portFlag("axon.port").pipe(
    Options.withDescription(`Port to listen on (env BT_AXON_PORT, default ${defaultAxonConfig.port}).`),
    Options.withFallbackConfig(Config.integer("BT_AXON_PORT")),
    Options.withDefault(defaultAxonConfig.port)
  ),
  ip: Options.text("axon.ip").pipe(
    Options.withDescription(`Address to bind (env BT_AXON_IP, default ${defaultAxonConfig.ip}).`),
    Options.withFallbackConfig(Config.string("BT_AXON_IP")),
    Options.withDefault(defaultAxonConfig.ip)
  ),
  externalIp: Options.text("axon.external_ip").pipe(
    Options.withDescription("Address announced on chain (env BT_AXON_EXTERNAL_IP, default the bound address)."),
    Options.withFallbackConfig(Config.string("BT_AXON_EXTERNAL_IP")),
    Options.optional
  ),
  externalPort: portFlag("axon.external_port").pipe(
    Options.withDescription("Port announced on chain (env BT_AXON_EXTERNAL_PORT, default the bound port)."),
    Options.withFallbackConfig(Config.integer("BT_AXON_EXTERNAL_PORT")),
    Options.optional
  ),
  maxWorkers: atLeastFlag("axon.max_workers", 1).pipe(
    Options.withDescription(`Requests handled at once (env BT_AXON_MAX_WORKERS, default ${defaultAxonConfig.maxWorkers}).`),
    Options.withFallbackConfig(Config.integer("BT_AXON_MAX_WORKERS")),
    Options.withDefault(defaultAxonConfig.maxWorkers)
  )
})

/** The axon configuration for our hotkey from the parsed flags (the other limits keep their defaults). */
export const axonConfig = (options: AxonOptions, hotkey: string): AxonConfig => ({
  ...defaultAxonConfig,
  hotkey,
  port: options.port,
  ip: options.ip,
  externalIp: Option.getOrUndefined(options.externalIp),
  externalPort: Option.getOrUndefined(options.externalPort),
  maxWorkers: options.maxWorkers
})
