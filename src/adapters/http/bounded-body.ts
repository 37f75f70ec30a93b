/**
 * The one size-limited body reader for every inbound body: axon requests, the scoring API, the MTurk
 * callback, and miners' replies read by the validator's dendrite. The bytes are counted as they stream
 * in and reading stops (the stream is cancelled) at the first chunk past the limit, so an oversized body
 * is refused before it is buffered: at most `limit` bytes plus one chunk are ever held. A declared
 * Content-Length over the limit is refused before anything is read.
 */
import type { HttpServerRequest } from "@effect/platform"
import { Data, Effect, Stream } from "effect"

/** The body is larger than `limit` bytes (`declared` when a Content-Length said so up front). */
export class BodyTooLarge extends Data.TaggedError("BodyTooLarge")<{ readonly limit: number; readonly declared?: number }> {
  override get message() {
    return this.declared === undefined
      ? `body is larger than ${this.limit} bytes`
      : `body is ${this.declared} bytes; the limit is ${this.limit} bytes`
  }
}

/** The connection failed or the body ended early (a truncated body). */
export class BodyUnreadable extends Data.TaggedError("BodyUnreadable")<{ readonly reason: string }> {
  override get message() {
    return `could not read the body: ${this.reason}`
  }
}

/** A Content-Length header over the limit, checked before reading (a malformed one is left to the count). */
const declaredTooLarge = (contentLength: string | null | undefined, limit: number): BodyTooLarge | undefined => {
  if (contentLength === undefined || contentLength === null || !/^\s*\d+\s*$/.test(contentLength)) return undefined
  const declared = Number(contentLength)
  return declared > limit ? new BodyTooLarge({ limit, declared }) : undefined
}

/** Joins chunks that add up to `size` bytes. */
const concat = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  if (chunks.length === 1 && chunks[0]!.length === size) return chunks[0]!
  const out = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/** Reads a server request's body, at most `limit` bytes. */
export const readRequestBody = (
  request: HttpServerRequest.HttpServerRequest,
  limit: number
): Effect.Effect<Uint8Array, BodyTooLarge | BodyUnreadable> => {
  const declared = declaredTooLarge(request.headers["content-length"], limit)
  if (declared !== undefined) return Effect.fail(declared)
  return Effect.suspend(() => {
    const chunks: Uint8Array[] = []
    let size = 0
    return request.stream.pipe(
      Stream.mapError((e) => new BodyUnreadable({ reason: e.message })),
      Stream.runForEach((chunk) => {
        size += chunk.length
        if (size > limit) return Effect.fail(new BodyTooLarge({ limit }))
        chunks.push(chunk)
        return Effect.void
      }),
      Effect.map(() => concat(chunks, size))
    )
  })
}

/** How reading a fetch Response's body ended; `bytesRead` counts what was taken off the connection. */
export type ResponseBody =
  | { readonly _tag: "Body"; readonly bytes: Uint8Array }
  | { readonly _tag: "TooLarge"; readonly error: BodyTooLarge; readonly bytesRead: number }
  | { readonly _tag: "Unreadable"; readonly error: BodyUnreadable }

const messageOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** Reads a fetch Response's body (a peer's reply), at most `limit` bytes; cancels the rest. Never rejects. */
export const readResponseBody = async (response: Response, limit: number): Promise<ResponseBody> => {
  const declared = declaredTooLarge(response.headers.get("content-length"), limit)
  if (declared !== undefined) {
    await response.body?.cancel().catch(() => undefined)
    return { _tag: "TooLarge", error: declared, bytesRead: 0 }
  }
  if (response.body === null) return { _tag: "Body", bytes: new Uint8Array(0) }
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return { _tag: "Body", bytes: concat(chunks, size) }
      size += value.length
      if (size > limit) {
        await reader.cancel().catch(() => undefined)
        return { _tag: "TooLarge", error: new BodyTooLarge({ limit }), bytesRead: size }
      }
      chunks.push(value)
    }
  } catch (cause) {
    return { _tag: "Unreadable", error: new BodyUnreadable({ reason: messageOf(cause) }) }
  }
}
