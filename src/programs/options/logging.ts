/** `--logging.*` flags as Bittensor operators know them, and the logger they select. */
import { Options } from "@effect/cli"
import { Config, Layer, Logger, LogLevel } from "effect"

/** Parsed logging flags. */
export interface LoggingOptions {
  readonly debug: boolean
  readonly trace: boolean
  readonly json: boolean
}

/** The `--logging.debug`, `--logging.trace` and `--logging.json` flags (env `BT_LOGGING_DEBUG`, …). */
export const loggingOptions = Options.all({
  debug: Options.boolean("logging.debug").pipe(
    Options.withDescription("Log debug messages."),
    Options.withFallbackConfig(Config.boolean("BT_LOGGING_DEBUG"))
  ),
  trace: Options.boolean("logging.trace").pipe(
    Options.withDescription("Log everything, trace included."),
    Options.withFallbackConfig(Config.boolean("BT_LOGGING_TRACE"))
  ),
  json: Options.boolean("logging.json").pipe(
    Options.withDescription("One JSON object per log line (for log shippers); logfmt otherwise."),
    Options.withFallbackConfig(Config.boolean("BT_LOGGING_JSON"))
  )
})

/** Structured logger (logfmt or JSON lines on the console) at the level the flags ask for. */
export const loggingLayer = (options: LoggingOptions): Layer.Layer<never> =>
  Layer.merge(
    options.json ? Logger.json : Logger.logFmt,
    Logger.minimumLogLevel(options.trace ? LogLevel.Trace : options.debug ? LogLevel.Debug : LogLevel.Info)
  )
