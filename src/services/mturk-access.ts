/**
 * `MTurkAccess`: an MTurk client acting with credentials someone else handed over — how a validator
 * checks a miner's HIT with MTurk itself, using the short-lived credentials in the `MTurkResponse`.
 */
import { Context } from "effect"
import type { AWSCredentials } from "../domain/wire/protocol.ts"
import type { MTurkShape } from "./mturk.ts"

/** What the `MTurkAccess` service offers. */
export interface MTurkAccessShape {
  readonly withCredentials: (credentials: AWSCredentials) => MTurkShape
}

/** MTurk clients acting with credentials handed over by someone else. */
export class MTurkAccess extends Context.Tag("dojo/MTurkAccess")<MTurkAccess, MTurkAccessShape>() {}
