/**
 * `MTurkAccess`: an MTurk client acting with credentials someone else handed over — how a validator
 * checks a miner's HIT with MTurk itself, using the short-lived credentials in the `MTurkResponse`.
 */
import { Context } from "effect"
import type { AWSCredentials } from "../domain/wire/protocol.ts"
import type { MTurk } from "./mturk.ts"

export class MTurkAccess extends Context.Tag("dojo/MTurkAccess")<
  MTurkAccess,
  { readonly withCredentials: (credentials: AWSCredentials) => MTurk["Type"] }
>() {}
