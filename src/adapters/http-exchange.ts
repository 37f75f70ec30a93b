/**
 * One HTTP POST over Bun's fetch (keep-alive pooled), started synchronously so a fan-out can dispatch
 * hundreds of requests in one loop (forking a fiber per request spreads the sends over 100+ ms), then
 * awaited with a deadline and aborted on timeout or interruption. Never rejects: outcomes are data.
 */
import { Duration, Effect, Option } from "effect"

/** A POST to send. */
export interface HttpPost {
  readonly url: string
  readonly headers: Record<string, string>
  readonly body: string
}

/** How an exchange ended. */
export type HttpOutcome =
  | { readonly _tag: "Reply"; readonly status: number; readonly headers: Record<string, string>; readonly text: string }
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
      response.text().then(
        (text): HttpOutcome => ({ _tag: "Reply", status: response.status, headers: Object.fromEntries(response.headers), text }),
        (cause): HttpOutcome => ({ _tag: "Broken", message: messageOf(cause) })
      ),
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
