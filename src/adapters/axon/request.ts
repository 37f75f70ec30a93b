/**
 * One axon request, in the SDK's order and with its status codes: headers (400) → body size (413) →
 * blacklist (403) → verification of nonce and signature (401) → body decode (400) and body-hash check
 * (401) → priority queue (503 when full) → forward (408 on timeout, 500 on error) → 200 with the whole
 * synapse as JSON and its headers. Signatures are required (SDK 9.3+ would accept unsigned requests).
 */
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Cause, Clock, Duration, Effect, Either, Option } from "effect"
import { Refusal, refuse } from "../../domain/refusal.ts"
import { pythonJsonString } from "../../domain/wire/python-json.ts"
import { pythonFloatRepr } from "../../domain/wire/python-str.ts"
import {
  acceptedBodyHashes,
  bodyErrorMessage,
  decodeBody,
  dendriteMessage,
  encodeBody,
  envelopeHeaders,
  parseHeaders,
  parseSynapseBody,
  SDK_VERSION,
  terminal,
  toHeaders,
  toJson,
  wireBodyHash,
  type SynapseEnvelope,
  type TerminalInfo
} from "../../domain/wire/synapse.ts"
import type { AxonRequestContext, AxonRoute } from "../../services/axon.ts"
import { readRequestBody } from "../http/bounded-body.ts"
import type { NonceGuard } from "./nonce-guard.ts"
import type { PriorityGate } from "./priority-gate.ts"
import { verify } from "../wallet/sr25519.ts"

/** Per-axon settings and state shared by every route. */
export interface AxonState {
  readonly hotkey: string
  readonly uuid: string
  readonly maxBodyBytes: number
  readonly maxTimeout: number
  readonly nonces: NonceGuard
  readonly gate: PriorityGate
}

/** Header values must be visible ASCII; messages can quote arbitrary input, so they are cleaned and capped. */
const headerSafe = (text: string): string => text.replace(/[^\x20-\x7e]/g, "?").slice(0, 1024)

/** An SDK-style error response: `{"message": …}` plus the terminal headers (status in `bt_header_axon_status_*`). */
export const errorResponse = (
  name: string,
  status: number,
  message: string,
  envelope: SynapseEnvelope,
  axonNonce: bigint,
  uuid: string,
  processTime: number
): HttpServerResponse.HttpServerResponse => {
  const axon: TerminalInfo = {
    ...envelope.axon,
    status_code: status,
    status_message: headerSafe(message),
    process_time: processTime,
    version: SDK_VERSION,
    nonce: axonNonce,
    uuid
  }
  return HttpServerResponse.text(`{"message": ${pythonJsonString(message)}}`, {
    status,
    contentType: "application/json",
    headers: envelopeHeaders(name, { ...envelope, axon })
  })
}

/** Reads the body, refusing more than `limit` bytes (413) whether or not a content-length was sent. */
const readBody = (request: HttpServerRequest.HttpServerRequest, limit: number) =>
  readRequestBody(request, limit).pipe(
    Effect.mapError((e) =>
      e._tag === "BodyTooLarge"
        ? new Refusal({ status: 413, message: `Request body is ${e.declared ?? `more than ${limit}`} bytes; the limit is ${limit} bytes` })
        : new Refusal({ status: 400, message: "Could not read the request body" })
    )
  )

const SIGNATURE_HEX = /^(0x)?[0-9a-fA-F]{128}$/

const nsToSeconds = (ns: bigint): number => Number(ns) / 1e9

/** The request after its headers parsed: everything but the body. */
const processRequest = (
  route: AxonRoute,
  state: AxonState,
  request: HttpServerRequest.HttpServerRequest,
  context: AxonRequestContext,
  startNs: bigint
) =>
  Effect.gen(function* () {
    const { definition, handlers } = route
    const declaredLength = Number(request.headers["content-length"] ?? 0)
    if (declaredLength > state.maxBodyBytes)
      return yield* refuse(413, `Request body is ${declaredLength} bytes; the limit is ${state.maxBodyBytes} bytes`)

    if (handlers.blacklist !== undefined) {
      const reason = yield* handlers.blacklist(context)
      if (Option.isSome(reason)) return yield* refuse(403, `Forbidden. Key is blacklisted: ${reason.value}.`)
    }

    // Verification: one synchronous block, so no other request can slip between check and record.
    const { hotkey, nonce, uuid, signature } = context.dendrite
    const notVerified = (why: string) => refuse(401, `Not Verified with error: ${why}`)
    if (nonce === null) return yield* notVerified("Missing Nonce")
    if (hotkey === null || uuid === null) return yield* notVerified("Missing dendrite hotkey or uuid")
    if (signature === null || signature === "") return yield* notVerified("Missing signature: this axon only accepts signed requests")
    // Strict hex, as Python's bytes.fromhex: a lenient decoder would accept altered signature text.
    if (!SIGNATURE_HEX.test(signature)) return yield* notVerified("Signature is not 64 bytes of hex")
    const nowNs = yield* Clock.currentTimeNanos
    const stale = state.nonces.refusal(hotkey, uuid, nonce, nowNs, context.timeout)
    if (stale !== undefined) return yield* notVerified(stale)
    const message = dendriteMessage({ nonce, dendriteHotkey: hotkey, axonHotkey: state.hotkey, uuid, bodyHash: context.computedBodyHash })
    if (!verify(message, signature, hotkey)) return yield* notVerified(`Signature mismatch with ${message} and ${signature}`)
    state.nonces.record(hotkey, uuid, nonce, nowNs)

    const bytes = yield* readBody(request, state.maxBodyBytes)
    const json = parseSynapseBody(bytes)
    if (Either.isLeft(json)) return yield* refuse(400, `Improperly formatted request body for ${definition.name}: ${json.left}`)
    const body = decodeBody(definition, json.right)
    if (Either.isLeft(body))
      return yield* refuse(400, `Improperly formatted request body for ${definition.name}: ${bodyErrorMessage(body.left)}`)
    const wire = encodeBody(definition, body.right)
    if (Either.isLeft(wire)) return yield* refuse(400, `Improperly formatted request body for ${definition.name}: ${bodyErrorMessage(wire.left)}`)
    const accepted = acceptedBodyHashes(definition, wire.right)
    if (!accepted.includes(context.computedBodyHash))
      return yield* notVerified(`Hash mismatch between header body hash ${context.computedBodyHash} and parsed body hash ${accepted.join(" or ")}`)

    const priority = handlers.priority?.(context, body.right) ?? 0
    const remainingMs = Math.max(0, context.timeout * 1000 - nsToSeconds(nowNs - startNs) * 1000)
    const forward = handlers.forward(context, body.right).pipe(
      Effect.catchAllCause((cause) => {
        // A handler's own Refusal keeps its status and message; anything else is an opaque 500.
        const failure = Cause.failureOption(cause)
        return Option.isSome(failure) && failure.value instanceof Refusal
          ? refuse(failure.value.status, failure.value.message)
          : internalError(`${definition.name} handler failed`, cause)
      })
    )
    const reply = yield* state.gate.run(priority, forward).pipe(
      Effect.catchTag("GateFull", () => refuse(503, "Service overloaded: too many requests waiting")),
      Effect.timeoutFail({
        duration: Duration.millis(remainingMs),
        onTimeout: () => new Refusal({ status: 408, message: `Response timeout after: ${pythonFloatRepr(context.timeout)}s` })
      })
    )
    const replyWire = encodeBody(definition, reply)
    if (Either.isLeft(replyWire)) return yield* internalError(`${definition.name} handler returned an invalid body`, replyWire.left)
    return replyWire.right
  })

/** Logs the real cause under a fresh id and refuses with the SDK's opaque 500 message. */
const internalError = (what: string, cause: unknown) =>
  Effect.gen(function* () {
    const id = crypto.randomUUID()
    yield* Effect.logError(`${what} (#${id})`, cause)
    return yield* refuse(500, `Internal Server Error #${id}`)
  })

/**
 * The route's handler: never fails; every outcome is a response. Success replies with the complete
 * synapse (the caller's terminals echoed, status 200 "Success", process_time) and `to_headers()` of it.
 */
export const handleRequest = (route: AxonRoute, state: AxonState) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const startNs = yield* Clock.currentTimeNanos
    const { definition } = route
    const peerIp = Option.getOrNull(request.remoteAddress)
    const elapsed = Effect.map(Clock.currentTimeNanos, (now) => ({ now, seconds: nsToSeconds(now - startNs) }))

    const parsed = parseHeaders(request.headers)
    if (Either.isLeft(parsed)) {
      const { now, seconds } = yield* elapsed
      const message = `Improperly formatted request. Could not parse headers into synapse of type ${definition.name}: ${parsed.left.message}`
      const envelope = { timeout: definition.defaultTimeout, dendrite: terminal({ ip: peerIp }), axon: terminal({ hotkey: state.hotkey }) }
      return errorResponse(definition.name, 400, message, envelope, now, state.uuid, seconds)
    }
    const headers = parsed.right
    const timeout = Math.min(Math.max(headers.timeout ?? definition.defaultTimeout, 0), state.maxTimeout)
    const context: AxonRequestContext = {
      synapse: definition.name,
      dendrite: headers.dendrite,
      axon: headers.axon,
      peerIp,
      timeout,
      computedBodyHash: headers.computedBodyHash ?? ""
    }
    const outcome = yield* processRequest(route, state, request, context, startNs).pipe(
      Effect.catchAllDefect((defect) => internalError(`${definition.name} request failed`, defect)),
      Effect.either
    )
    const { now, seconds } = yield* elapsed
    if (Either.isLeft(outcome)) {
      const envelope = { timeout: headers.timeout ?? definition.defaultTimeout, dendrite: { ...headers.dendrite, ip: peerIp }, axon: headers.axon }
      return errorResponse(definition.name, outcome.left.status, outcome.left.message, envelope, now, state.uuid, seconds)
    }
    const replyWire = outcome.right
    const envelope: SynapseEnvelope = {
      timeout: headers.timeout ?? definition.defaultTimeout,
      dendrite: headers.dendrite,
      axon: { ...headers.axon, status_code: 200, status_message: "Success", process_time: seconds }
    }
    return HttpServerResponse.text(toJson(definition, envelope, replyWire), {
      status: 200,
      contentType: "application/json",
      headers: toHeaders(definition, envelope, replyWire, wireBodyHash(definition, replyWire))
    })
  })
