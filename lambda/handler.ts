/**
 * The AWS Lambda that forwards MTurk results to the miner.
 *
 * Subscribed to the SNS topic that MTurk notifies (AssignmentSubmitted), it receives
 * `{Records: [{Sns: {Message}}]}` where each Message is an MTurk event document
 * `{EventDocId, Events: [{EventType, HITId, AssignmentId, …}]}`. For every HIT named (events deduped by
 * EventDocId and AssignmentId) it lists the HIT's submitted assignments with the MTurk SDK and POSTs
 * them, HMAC-signed (src/domain/mturk/callback-auth.ts), to the miner's callback. The miner keeps each
 * assignment once, so a redelivered notification or a Lambda retry is harmless.
 *
 * Environment:
 *   TARGET_URL            http(s)://<miner>:1888/api/human_feedback/callback (required)
 *   DOJO_CALLBACK_SECRET  the HMAC key shared with the miner (required)
 *   MTURK_ENDPOINT_URL    MTurk endpoint override (optional)
 *   MTURK_ENVIRONMENT     sandbox | production when no endpoint is given (default production)
 * AWS credentials come from the Lambda's execution role (the SDK's default chain); the role needs
 * mechanicalturk:ListAssignmentsForHIT only.
 *
 * Build one uploadable file with `bun run lambda/build.ts` (→ dist/lambda/index.mjs, handler
 * `index.handler`, Node.js 20+ runtime).
 */
import { Clock, Config, Duration, Effect, Either, type Redacted, Schedule, Schema } from "effect"
import * as MTurkClient from "../src/adapters/mturk/client.ts"
import { type CallbackBody, signCallback } from "../src/domain/mturk/callback-auth.ts"
import { MTurkEnvironment } from "../src/domain/wire/protocol.ts"
import type { MTurk } from "../src/services/mturk.ts"

const SnsEvent = Schema.Struct({
  Records: Schema.Array(Schema.Struct({ Sns: Schema.Struct({ Message: Schema.String }) }))
})

const EventDocument = Schema.parseJson(
  Schema.Struct({
    EventDocId: Schema.optional(Schema.String),
    Events: Schema.Array(
      Schema.Struct({
        EventType: Schema.String,
        HITId: Schema.optional(Schema.String),
        AssignmentId: Schema.optional(Schema.String)
      })
    )
  })
)

/** What one invocation did. */
export interface ForwardSummary {
  /** HITs whose assignments reached the miner. */
  readonly hits: ReadonlyArray<string>
  /** Assignments sent, over all HITs. */
  readonly assignments: number
  /** Records skipped because their Message was not an MTurk event document. */
  readonly skippedRecords: number
}

/** The forwarder's dependencies (the handler builds them from the environment). */
export interface ForwarderDeps {
  readonly targetUrl: string
  readonly secret: Redacted.Redacted<string>
  readonly mturk: MTurk["Type"]
  /** Attempts per POST on 5xx / network errors (default 3). */
  readonly postAttempts?: number
  /** First delay between POST attempts, doubling (default 500 ms). */
  readonly postBackoff?: Duration.DurationInput
}

/** The HITs with new submitted assignments in an SNS event, each once, and how many records were unreadable. */
export const hitsInEvent = (event: unknown): Either.Either<{ hitIds: string[]; skippedRecords: number }, string> => {
  const decoded = Schema.decodeUnknownEither(SnsEvent)(event)
  if (Either.isLeft(decoded)) return Either.left("not an SNS event ({Records: [{Sns: {Message}}]})")
  const docs = new Set<string>()
  const assignments = new Set<string>()
  const hitIds: string[] = []
  let skippedRecords = 0
  for (const record of decoded.right.Records) {
    const doc = Schema.decodeUnknownEither(EventDocument)(record.Sns.Message)
    if (Either.isLeft(doc)) {
      skippedRecords++
      continue
    }
    if (doc.right.EventDocId !== undefined) {
      if (docs.has(doc.right.EventDocId)) continue
      docs.add(doc.right.EventDocId)
    }
    for (const e of doc.right.Events) {
      if (e.EventType !== "AssignmentSubmitted" || e.HITId === undefined) continue
      if (e.AssignmentId !== undefined) {
        if (assignments.has(e.AssignmentId)) continue
        assignments.add(e.AssignmentId)
      }
      if (!hitIds.includes(e.HITId)) hitIds.push(e.HITId)
    }
  }
  return Either.right({ hitIds, skippedRecords })
}

class PostFailed extends Schema.TaggedError<PostFailed>()("PostFailed", {
  status: Schema.optional(Schema.Number),
  message: Schema.String
}) {}

const post = (deps: ForwarderDeps, body: string) =>
  Effect.gen(function* () {
    const nowSeconds = (yield* Clock.currentTimeMillis) / 1000
    const headers = { "content-type": "application/json", ...signCallback(deps.secret, body, nowSeconds) }
    const response = yield* Effect.tryPromise({
      try: (signal) => fetch(deps.targetUrl, { method: "POST", headers, body, signal }),
      catch: (e) => new PostFailed({ message: `miner unreachable: ${e instanceof Error ? e.message : String(e)}` })
    }).pipe(
      Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new PostFailed({ message: "miner did not answer in 20 s" }) })
    )
    if (!response.ok) {
      const text = (yield* Effect.promise(() => response.text().catch(() => ""))).slice(0, 300)
      return yield* new PostFailed({ status: response.status, message: `miner answered ${response.status}: ${text}` })
    }
  }).pipe(
    // Retry what may heal (miner restarting, 5xx); a 4xx (bad signature, bad body) will not.
    Effect.retry({
      schedule: Schedule.exponential(deps.postBackoff ?? "500 millis").pipe(
        Schedule.jittered,
        Schedule.intersect(Schedule.recurs((deps.postAttempts ?? 3) - 1))
      ),
      while: (e) => e.status === undefined || e.status >= 500
    })
  )

/** Forwards the assignments of every HIT in the event; fails (so Lambda retries) if any HIT could not be sent. */
export const forward = (event: unknown, deps: ForwarderDeps) =>
  Effect.gen(function* () {
    const found = hitsInEvent(event)
    if (Either.isLeft(found)) return yield* Effect.fail(new Error(found.left))
    const { hitIds, skippedRecords } = found.right
    if (skippedRecords > 0) yield* Effect.logWarning(`skipped ${skippedRecords} record(s) that were not MTurk event documents`)
    const results = yield* Effect.forEach(
      hitIds,
      (hitId) =>
        Effect.gen(function* () {
          const listed = yield* deps.mturk.listAssignmentsForHit(hitId, ["Submitted", "Approved"])
          const body: CallbackBody = {
            HITId: hitId,
            assignments: listed
              .filter((a) => a.submitTime !== undefined)
              .map((a) => ({
                AssignmentId: a.assignmentId,
                WorkerId: a.workerId,
                HITId: a.hitId,
                SubmitTime: new Date(a.submitTime!).toISOString(),
                Answer: a.answer
              }))
          }
          yield* post(deps, JSON.stringify(body))
          yield* Effect.logInfo("forwarded assignments").pipe(
            Effect.annotateLogs({ hit_id: hitId, assignments: body.assignments.length })
          )
          return body.assignments.length
        }).pipe(
          Effect.tapError((e) =>
            Effect.logError("could not forward a HIT").pipe(Effect.annotateLogs({ hit_id: hitId, error: e.message }))
          ),
          Effect.either
        ),
      { concurrency: 4 }
    )
    const failed = hitIds.filter((_, i) => Either.isLeft(results[i]!))
    if (failed.length > 0) return yield* Effect.fail(new Error(`could not forward HIT(s) ${failed.join(", ")}`))
    return {
      hits: hitIds,
      assignments: results.reduce((n, r) => n + Either.getOrElse(r, () => 0), 0),
      skippedRecords
    } satisfies ForwardSummary
  })

const targetUrl = Config.string("TARGET_URL").pipe(
  Config.validate({
    message: "TARGET_URL must be an http(s) URL",
    validation: (s) => /^https?:\/\/[^/\s]+/.test(s)
  })
)

/** Builds the forwarder's dependencies from the environment (see the header comment). */
export const depsFromEnv = Effect.gen(function* () {
  const endpoint = yield* Config.option(Config.string("MTURK_ENDPOINT_URL"))
  const environment = yield* Config.literal(...MTurkEnvironment.literals)("MTURK_ENVIRONMENT").pipe(
    Config.withDefault("production" as const)
  )
  return {
    targetUrl: yield* targetUrl,
    secret: yield* Config.redacted("DOJO_CALLBACK_SECRET"),
    mturk: MTurkClient.make({
      environment,
      ...(endpoint._tag === "Some" ? { endpoint: endpoint.value } : {}),
      credentials: undefined,
      callTimeout: Duration.seconds(20)
    })
  } satisfies ForwarderDeps
})

/** The Lambda entry point (`index.handler`). */
export const handler = (event: unknown): Promise<ForwardSummary> =>
  Effect.runPromise(Effect.flatMap(depsFromEnv, (deps) => forward(event, deps)))
