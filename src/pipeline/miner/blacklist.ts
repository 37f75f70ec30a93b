/**
 * The miner's axon blacklist hook: the rule (domain/blacklist-reason.ts) over the miner's current
 * metagraph view. A refusal is a 403 naming the reason.
 */
import { Effect, Option } from "effect"
import { blacklistReason } from "../../domain/blacklist-reason.ts"
import type { AxonRequestContext } from "../../services/axon.ts"
import type { MetagraphView } from "./metagraph-view.ts"

/** The axon's blacklist hook over the miner's metagraph view (the caller's claimed hotkey, checked before verification). */
export const blacklist =
  (view: MetagraphView, minStake: number) =>
  (context: AxonRequestContext): Effect.Effect<Option.Option<string>> =>
    Effect.map(view.current, (metagraph) => blacklistReason(metagraph, context.dendrite.hotkey, minStake))
