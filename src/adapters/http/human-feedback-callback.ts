/**
 * The miner's human-feedback API over HTTP: `POST /api/human_feedback/callback`, where the MTurk Lambda
 * sends a HIT's submitted assignments. This file is only the HTTP side: the route, the body read within
 * `callbackMaxBodyBytes` (413, whatever the content-length says), and statuses and JSON bodies for what
 * the decision (pipeline/miner/human-feedback-callback.ts) answers or refuses. Every outcome is a
 * response: a refusal is `{"error": reason}` with its status, a store failure 503 (the Lambda retries).
 */
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Option, type Scope } from "effect"
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from "../../domain/mturk/callback-auth.ts"
import { Refusal } from "../../domain/refusal.ts"
import { callbackSecret, receiveCallback } from "../../pipeline/miner/human-feedback-callback.ts"
import { MinerSettings } from "../../pipeline/miner/settings.ts"
import type { MinerStore } from "../../services/miner-store.ts"
import { readRequestBody } from "./bounded-body.ts"

/** The callback's path (the Lambda's TARGET_URL ends with it). */
export const CALLBACK_PATH = "/api/human_feedback/callback"

/** Reads the raw body, refusing more than `limit` bytes (413) or a body that cannot be read (400). */
const readRawBody = (request: HttpServerRequest.HttpServerRequest, limit: number) =>
  readRequestBody(request, limit).pipe(
    Effect.mapError((e) =>
      e._tag === "BodyTooLarge"
        ? new Refusal({ status: 413, message: `body larger than ${limit} bytes` })
        : new Refusal({ status: 400, message: "could not read the body" })
    )
  )

/** Handles one callback request; every outcome is a response. */
export const handleCallback = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  const settings = yield* MinerSettings
  return yield* Effect.gen(function* () {
    // The secret first: an unconfigured miner refuses (503) without reading the body.
    const secret = yield* callbackSecret
    const body = yield* readRawBody(request, settings.callbackMaxBodyBytes)
    const answer = yield* receiveCallback(secret, {
      body,
      timestamp: request.headers[TIMESTAMP_HEADER],
      signature: request.headers[SIGNATURE_HEADER]
    })
    return HttpServerResponse.unsafeJson(answer.error === undefined ? answer.outcome : { error: answer.error, ...answer.outcome }, {
      status: answer.status
    })
  }).pipe(
    Effect.catchTag("Refusal", (e) =>
      Effect.as(
        Effect.logWarning("human feedback callback refused").pipe(Effect.annotateLogs({ status: e.status, reason: e.message })),
        HttpServerResponse.unsafeJson({ error: e.message }, { status: e.status })
      )
    ),
    Effect.catchTag("StoreError", (e) =>
      Effect.as(
        Effect.logError("human feedback callback: store failed").pipe(Effect.annotateLogs({ error: e.message })),
        // 5xx: the Lambda retries, and the assignments are stored idempotently when it does.
        HttpServerResponse.unsafeJson({ error: "store unavailable" }, { status: 503 })
      )
    )
  )
})

/** The callback API as an app: the callback route, 404 for anything else. */
export const callbackApp = HttpRouter.empty.pipe(
  HttpRouter.post(CALLBACK_PATH, handleCallback),
  HttpRouter.all("*", HttpServerResponse.unsafeJson({ error: "not found" }, { status: 404 }))
)

/** Serves the callback API on the ambient HttpServer until the scope closes; returns where it listens. */
export const serveCallbackApi: Effect.Effect<HttpServer.Address, never, HttpServer.HttpServer | MinerStore | MinerSettings | Scope.Scope> =
  Effect.gen(function* () {
    const settings = yield* MinerSettings
    if (Option.isNone(settings.callbackSecret))
      yield* Effect.logWarning("DOJO_CALLBACK_SECRET is not set: the human-feedback callback refuses every request (503)")
    const server = yield* HttpServer.HttpServer
    yield* HttpServer.serveEffect(callbackApp)
    yield* Effect.logInfo(`human-feedback callback listening at ${HttpServer.formatAddress(server.address)}${CALLBACK_PATH}`)
    return server.address
  })
