/**
 * A deliberate refusal: the HTTP status to answer with and a message safe to send back and to log. The
 * one refusal error of every inbound surface — the axon's own checks, its handlers' (503 when the scorer
 * is down, 400 for a request it cannot score), the MTurkResponse check — instead of an opaque 500.
 */
import { Data, Effect } from "effect"

/** Refused with `status` and `message`. */
export class Refusal extends Data.TaggedError("Refusal")<{ readonly status: number; readonly message: string }> {}

/** Fails with a `Refusal`. */
export const refuse = (status: number, message: string): Effect.Effect<never, Refusal> => Effect.fail(new Refusal({ status, message }))
