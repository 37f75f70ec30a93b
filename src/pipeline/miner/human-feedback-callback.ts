/**
 * The miner's human-feedback API: `POST /api/human_feedback/callback`, where the MTurk Lambda sends a
 * HIT's submitted assignments. In order: the shared secret must be configured (503), the body at most
 * 1 MiB (413), the HMAC over the raw bytes and a fresh timestamp must check out (401), the body must
 * decode (400 naming the field), the HIT must be ours (404). Each assignment is then parsed against the
 * HIT's completions and stored once per AssignmentId. The batch rule (README, "Batch inputs"): every
 * assignment readable → 200; some readable → 207 listing what was kept and what was refused (with the
 * reason); none → 400 and nothing is stored. Refused requests change nothing.
 */
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Data, Effect, Either, Option, ParseResult, Schema, type Scope } from "effect"
import { readRequestBody } from "../../adapters/http/bounded-body.ts"
import { CALLBACK_JSON_LIMITS, CallbackBody, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyCallback } from "../../domain/mturk/callback-auth.ts"
import { parseLimitedJson, refusalText } from "../../domain/wire/json-limits.ts"
import { assignmentScores } from "../../domain/mturk/formats.ts"
import { MinerStore } from "../../services/miner-store.ts"
import { nowSeconds } from "../clock.ts"
import { MinerSettings } from "./settings.ts"

/** The callback's path (the Lambda's TARGET_URL ends with it). */
export const CALLBACK_PATH = "/api/human_feedback/callback"

/** A refused callback: status and a reason safe to send back and to log. */
class CallbackRefused extends Data.TaggedError("CallbackRefused")<{ readonly status: number; readonly reason: string }> {}

const refuse = (status: number, reason: string) => Effect.fail(new CallbackRefused({ status, reason }))

/** Reads the raw body, refusing more than `limit` bytes whatever the content-length says. */
const readRawBody = (request: HttpServerRequest.HttpServerRequest, limit: number) =>
  readRequestBody(request, limit).pipe(
    Effect.mapError((e) =>
      e._tag === "BodyTooLarge"
        ? new CallbackRefused({ status: 413, reason: `body larger than ${limit} bytes` })
        : new CallbackRefused({ status: 400, reason: "could not read the body" })
    )
  )

const fieldError = (error: ParseResult.ParseError): string => {
  const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
  if (first === undefined) return error.message
  const path = first.path.map(String).join(".")
  return path === "" ? first.message : `${path}: ${first.message}`
}

const decodeBody = Schema.decodeUnknownEither(CallbackBody, { errors: "first" })

/** What a callback did. */
export interface CallbackOutcome {
  readonly hitId: string
  /** AssignmentIds stored now or before (added + duplicate). */
  readonly kept: ReadonlyArray<string>
  readonly added: number
  readonly duplicate: number
  readonly rejected: ReadonlyArray<{ readonly assignmentId: string; readonly reason: string }>
}

/** Handles one callback request; every outcome is a response. */
export const handleCallback = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  const settings = yield* MinerSettings
  const store = yield* MinerStore
  const work = Effect.gen(function* () {
    if (Option.isNone(settings.callbackSecret)) return yield* refuse(503, "DOJO_CALLBACK_SECRET is not configured on this miner")
    const raw = yield* readRawBody(request, settings.callbackMaxBodyBytes)
    const auth = verifyCallback({
      secret: settings.callbackSecret.value,
      body: raw,
      timestamp: request.headers[TIMESTAMP_HEADER],
      signature: request.headers[SIGNATURE_HEADER],
      nowSeconds: yield* nowSeconds,
      toleranceSeconds: settings.callbackToleranceSeconds
    })
    if (Either.isLeft(auth)) return yield* refuse(401, `${auth.left.reason}: ${auth.left.message}`)

    const json = parseLimitedJson(raw, CALLBACK_JSON_LIMITS)
    if (Either.isLeft(json)) return yield* refuse(400, refusalText(json.left))
    const decoded = decodeBody(json.right)
    if (Either.isLeft(decoded)) return yield* refuse(400, fieldError(decoded.left))
    const body = decoded.right

    const hit = yield* store.getHit(body.HITId)
    if (Option.isNone(hit)) return yield* refuse(404, `unknown HIT ${body.HITId}`)
    const cids = hit.value.cids

    let added = 0
    let duplicate = 0
    const kept: Array<string> = []
    const rejected: Array<{ assignmentId: string; reason: string }> = []
    for (const a of body.assignments) {
      const scores = assignmentScores(a.Answer, cids)
      if (Either.isLeft(scores)) {
        rejected.push({ assignmentId: a.AssignmentId, reason: scores.left.message })
        continue
      }
      const stored = yield* store.addAssignment({
        assignmentId: a.AssignmentId,
        hitId: a.HITId,
        workerId: a.WorkerId,
        scores: scores.right,
        submittedAt: Math.floor(Date.parse(a.SubmitTime) / 1000)
      })
      if (stored === "added") added++
      else if (stored === "duplicate") duplicate++
      kept.push(a.AssignmentId)
    }
    return { hitId: body.HITId, kept, added, duplicate, rejected } satisfies CallbackOutcome
  })

  return yield* work.pipe(
    Effect.flatMap((outcome) => {
      const log = Effect.annotateLogs({ hit_id: outcome.hitId, added: outcome.added, duplicate: outcome.duplicate, rejected: outcome.rejected.length })
      if (outcome.rejected.length === 0)
        return Effect.as(log(Effect.logInfo("human feedback received")), HttpServerResponse.unsafeJson(outcome))
      return Effect.as(
        log(Effect.logWarning("human feedback: assignments refused").pipe(
          Effect.annotateLogs({ reasons: outcome.rejected.map((r) => `${r.assignmentId}: ${r.reason}`).join("; ") })
        )),
        // 207: part of the batch was kept (the Lambda must not resend it); 400: none was, nothing changed.
        outcome.kept.length > 0
          ? HttpServerResponse.unsafeJson({ error: "some assignments could not be read", ...outcome }, { status: 207 })
          : HttpServerResponse.unsafeJson({ error: "no assignment could be read", ...outcome }, { status: 400 })
      )
    }),
    Effect.catchTag("CallbackRefused", (e) =>
      Effect.as(
        Effect.logWarning("human feedback callback refused").pipe(Effect.annotateLogs({ status: e.status, reason: e.reason })),
        HttpServerResponse.unsafeJson({ error: e.reason }, { status: e.status })
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
