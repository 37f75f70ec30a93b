/**
 * The `ValidatorCredentials` port: short-lived AWS credentials a miner hands to a validator inside an
 * `MTurkResponse`, so the validator can check the HIT's assignments with MTurk itself. They allow
 * ListAssignmentsForHIT only and expire within minutes; the miner's long-lived keys never leave it.
 */
import { Context, Data, type Effect } from "effect"
import type { AWSCredentials } from "../domain/wire/protocol.ts"

/** No credentials could be issued (no STS client, role not assumable, STS down). */
export class CredentialsUnavailable extends Data.TaggedError("CredentialsUnavailable")<{
  readonly message: string
}> {}

/** What the `ValidatorCredentials` service offers. */
export interface ValidatorCredentialsShape {
  readonly issue: (hitId: string) => Effect.Effect<AWSCredentials, CredentialsUnavailable>
}

/** Issues verification credentials for one HIT. */
export class ValidatorCredentials extends Context.Tag("dojo/ValidatorCredentials")<ValidatorCredentials, ValidatorCredentialsShape>() {}
