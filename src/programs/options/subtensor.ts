/**
 * `--subtensor.network finney|test|local` or `--subtensor.chain_endpoint ws://…` (env
 * `BT_SUBTENSOR_NETWORK`, `BT_SUBTENSOR_CHAIN_ENDPOINT`), as the Python SDK names them. A network given as
 * a URL is taken as the endpoint, as btcli does.
 */
import { Options } from "@effect/cli"
import { Config, Effect, Option } from "effect"
import { NETWORK_ENDPOINTS } from "../../adapters/chain/subtensor.ts"
import { UsageError } from "./usage-error.ts"

/** Parsed `--subtensor.*` flags. */
export interface SubtensorFlags {
  readonly network: string
  readonly chainEndpoint: Option.Option<string>
}

/** The `--subtensor.*` flags. */
export const subtensorOptions: Options.Options<SubtensorFlags> = Options.all({
  network: Options.text("subtensor.network").pipe(
    Options.withDescription("finney, test, local, or a ws:// URL (env BT_SUBTENSOR_NETWORK, default finney)."),
    Options.withFallbackConfig(Config.string("BT_SUBTENSOR_NETWORK")),
    Options.withDefault("finney")
  ),
  chainEndpoint: Options.text("subtensor.chain_endpoint").pipe(
    Options.withDescription("Endpoint URL; overrides --subtensor.network (env BT_SUBTENSOR_CHAIN_ENDPOINT)."),
    Options.withFallbackConfig(Config.string("BT_SUBTENSOR_CHAIN_ENDPOINT")),
    Options.optional
  )
})

/** The websocket endpoint the flags select; an unknown network is a usage error naming the known ones. */
export const resolveEndpoint = (flags: SubtensorFlags): Effect.Effect<string, UsageError> => {
  if (Option.isSome(flags.chainEndpoint)) return Effect.succeed(flags.chainEndpoint.value)
  if (/^wss?:\/\//.test(flags.network)) return Effect.succeed(flags.network)
  const known = NETWORK_ENDPOINTS[flags.network as keyof typeof NETWORK_ENDPOINTS]
  return known === undefined
    ? Effect.fail(
        new UsageError({
          message: `unknown --subtensor.network ${JSON.stringify(flags.network)}: use ${Object.keys(NETWORK_ENDPOINTS).join(", ")} or a ws:// URL`
        })
      )
    : Effect.succeed(known)
}
