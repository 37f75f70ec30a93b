/** The miner's tunables, parsed from flags by the program and read by every step. */
import { Context, type Option, type Redacted } from "effect"
import type { Netuid } from "../../domain/chain/ids.ts"

export interface MinerSettingsShape {
  readonly netuid: Netuid
  /** Least stake (TAO) a caller needs, besides a validator permit (`--blacklist.min_stake`). */
  readonly minStake: number
  /** Seconds between background metagraph refreshes (blacklist and delivery read the last one). */
  readonly metagraphRefreshSeconds: number
  /** `DOJO_CALLBACK_SECRET`: the HMAC key shared with the Lambda; none refuses every callback (503). */
  readonly callbackSecret: Option.Option<Redacted.Redacted<string>>
  /** Largest callback body accepted; beyond it 413. */
  readonly callbackMaxBodyBytes: number
  /** How far a callback's timestamp may be from our clock (s). */
  readonly callbackToleranceSeconds: number
  /** Seconds between looks for HITs ready to deliver. */
  readonly deliveryPollSeconds: number
  /** First wait (s) after a failed delivery; doubles per failure up to `deliveryMaxBackoffSeconds`. */
  readonly deliveryBackoffSeconds: number
  readonly deliveryMaxBackoffSeconds: number
  /** Failed deliveries after which a HIT is given up ("failed"). */
  readonly deliveryMaxAttempts: number
  /** Seconds the validator has to accept an MTurkResponse (the synapse's 60 s). */
  readonly mturkResponseTimeoutSeconds: number
}

export class MinerSettings extends Context.Tag("dojo/MinerSettings")<MinerSettings, MinerSettingsShape>() {}

/**
 * Defaults: 1000 TAO minimum stake (the SDK's validator threshold), 12 s metagraph refresh (one block),
 * 1 MiB callbacks within ±300 s, delivery every 5 s, retried from 10 s doubling to 10 min, 60 attempts
 * (about 9 hours, past the validators' 8 h deadline after which a result no longer counts).
 */
export const defaultMinerSettings: Omit<MinerSettingsShape, "netuid" | "callbackSecret"> = {
  minStake: 1000,
  metagraphRefreshSeconds: 12,
  callbackMaxBodyBytes: 1024 * 1024,
  callbackToleranceSeconds: 300,
  deliveryPollSeconds: 5,
  deliveryBackoffSeconds: 10,
  deliveryMaxBackoffSeconds: 600,
  deliveryMaxAttempts: 60,
  mturkResponseTimeoutSeconds: 60
}
