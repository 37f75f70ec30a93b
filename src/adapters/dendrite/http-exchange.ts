/**
 * One HTTP POST over Bun's fetch (keep-alive pooled), started synchronously so a fan-out can dispatch
 * hundreds of requests in one loop (forking a fiber per request spreads the sends over 100+ ms), then
 * awaited with a deadline and aborted on timeout or interruption. Never rejects: outcomes are data.
 */
import { Duration, Effect, Option } from "effect"
import { readResponseBody } from "../http/bounded-body.ts"

/** A POST to send. */
export interface HttpPost {
  readonly url: string
  readonly headers: Record<string, string>
  readonly body: string
  /** Largest reply body read; a larger one is cancelled unread past this (outcome `TooLarge`). */
  readonly maxReplyBytes: number
}

/** How an exchange ended. */
export type HttpOutcome =
  | { readonly _tag: "Reply"; readonly status: number; readonly headers: Record<string, string>; readonly body: Uint8Array }
  | { readonly _tag: "TooLarge"; readonly status: number; readonly limit: number; readonly bytesRead: number }
  | { readonly _tag: "Unreachable"; readonly message: string }
  | { readonly _tag: "Broken"; readonly message: string }
  | { readonly _tag: "Timeout" }

/** An exchange in flight. */
export interface InFlight {
  readonly controller: AbortController
  readonly outcome: Promise<HttpOutcome>
}

const messageOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** Sends now (synchronously hands the request to fetch). */
export const startPost = (post: HttpPost): InFlight => {
  const controller = new AbortController()
  const outcome = fetch(post.url, { method: "POST", headers: post.headers, body: post.body, signal: controller.signal }).then(
    (response) =>
      readResponseBody(response, post.maxReplyBytes).then((read): HttpOutcome => {
        switch (read._tag) {
          case "Body":
            return { _tag: "Reply", status: response.status, headers: Object.fromEntries(response.headers), body: read.bytes }
          case "TooLarge":
            return { _tag: "TooLarge", status: response.status, limit: read.error.limit, bytesRead: read.bytesRead }
          case "Unreadable":
            return { _tag: "Broken", message: read.error.reason }
        }
      }),
    (cause): HttpOutcome => ({ _tag: "Unreachable", message: messageOf(cause) })
  )
  return { controller, outcome }
}

/** Waits for an exchange at most `timeoutMs`; aborts it on timeout or interruption. */
export const awaitPost = (inFlight: InFlight, timeoutMs: number): Effect.Effect<HttpOutcome> =>
  Effect.promise(() => inFlight.outcome).pipe(
    Effect.timeoutOption(Duration.millis(timeoutMs)),
    Effect.map(Option.getOrElse((): HttpOutcome => ({ _tag: "Timeout" }))),
    Effect.onExit(() => Effect.sync(() => inFlight.controller.abort()))
  )
