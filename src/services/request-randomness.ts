/**
 * The `RequestRandomness` port: where the validator draws what a miner must not predict — request ids,
 * cids, the completions' order, the miner sample and whether a request is a hidden evaluation. Live it is
 * cryptographic; a seeded layer exists only for reproducible tests and replays.
 */
import { Context, type Effect } from "effect"
import type { Rng } from "../domain/prng.ts"

/** What the `RequestRandomness` service offers. */
export interface RequestRandomnessShape {
  readonly rng: Effect.Effect<Rng>
}

/** A fresh generator for one request's draws. */
export class RequestRandomness extends Context.Tag("dojo/RequestRandomness")<RequestRandomness, RequestRandomnessShape>() {}
