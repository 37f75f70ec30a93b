/**
 * The `MTurk` port over `@aws-sdk/client-mturk` (region us-east-1). The endpoint follows
 * `--aws_mturk_environment` unless overridden (tests point it at a local stub). Retries are the SDK's
 * standard ones (`maxAttempts`, default 3: ServiceFault, throttling, connection errors); each call also
 * has a time limit. Errors are mapped to `MTurkRequestError` / `MTurkUnavailable` with messages built
 * from MTurk's reply, never from the request (which carries the signature).
 */
import {
  CreateHITCommand,
  ListAssignmentsForHITCommand,
  MTurkClient,
  RequestError,
  ServiceFault,
  UpdateNotificationSettingsCommand,
  type Assignment
} from "@aws-sdk/client-mturk"
import { Clock, Config, Duration, Effect, Layer, Option, Redacted } from "effect"
import type { MTurkEnvironment } from "../../domain/wire/protocol.ts"
import {
  type AssignmentStatus,
  type CreatedHit,
  MTurk,
  type MTurkAssignment,
  MTurkRequestError,
  MTurkUnavailable,
  type NewHit,
  type NotificationTarget
} from "../../services/mturk.ts"

/** The requester endpoints of the two environments. */
export const MTURK_ENDPOINTS: Readonly<Record<MTurkEnvironment, string>> = {
  production: "https://mturk-requester.us-east-1.amazonaws.com",
  sandbox: "https://mturk-requester-sandbox.us-east-1.amazonaws.com"
}

/** AWS credentials; the secret parts stay `Redacted`. */
export interface AwsCredentials {
  readonly accessKeyId: string
  readonly secretAccessKey: Redacted.Redacted<string>
  /** Present for temporary (STS / Lambda role) credentials. */
  readonly sessionToken?: Redacted.Redacted<string>
}

/** Settings of the MTurk client. */
export interface MTurkClientOptions {
  /** `--aws_mturk_environment`. */
  readonly environment: MTurkEnvironment
  /** Overrides the environment's endpoint (tests: the local stub). */
  readonly endpoint?: string
  /** Explicit credentials; undefined uses the SDK's default chain (e.g. a Lambda's role). */
  readonly credentials: AwsCredentials | undefined
  /** SDK attempts per call, first included (default 3). */
  readonly maxAttempts?: number
  /** Time limit of one call, retries included (default 30 s). */
  readonly callTimeout?: Duration.DurationInput
}

const mapError = (operation: string) => (error: unknown) => {
  if (error instanceof RequestError)
    return new MTurkRequestError({
      operation,
      message: error.Message ?? error.message,
      turkErrorCode: error.TurkErrorCode
    })
  if (error instanceof ServiceFault)
    return new MTurkUnavailable({ operation, message: `ServiceFault: ${error.Message ?? error.message}` })
  const name = error instanceof Error ? error.name : "Error"
  const message = error instanceof Error ? error.message : String(error)
  return new MTurkUnavailable({ operation, message: `${name}: ${message.slice(0, 300)}` })
}

const toAssignment = (a: Assignment): MTurkAssignment => ({
  assignmentId: a.AssignmentId ?? "",
  workerId: a.WorkerId ?? "",
  hitId: a.HITId ?? "",
  status: (a.AssignmentStatus ?? "Submitted") as AssignmentStatus,
  submitTime: a.SubmitTime?.getTime(),
  answer: a.Answer ?? ""
})

/** The AWS SDK clients' `credentials` option: the secrets unwrapped only here; none to use the SDK's default chain. */
export const sdkCredentials = (credentials: AwsCredentials | undefined) =>
  credentials === undefined
    ? {}
    : {
        credentials: {
          accessKeyId: credentials.accessKeyId,
          secretAccessKey: Redacted.value(credentials.secretAccessKey),
          ...(credentials.sessionToken === undefined ? {} : { sessionToken: Redacted.value(credentials.sessionToken) })
        }
      }

/** Builds the MTurk service for one environment and set of credentials. */
export const make = (options: MTurkClientOptions): MTurk["Type"] => {
  const credentials = options.credentials
  const client = new MTurkClient({
    region: "us-east-1",
    endpoint: options.endpoint ?? MTURK_ENDPOINTS[options.environment],
    maxAttempts: options.maxAttempts ?? 3,
    ...sdkCredentials(credentials)
  })
  const timeout = Duration.decode(options.callTimeout ?? "30 seconds")

  const call = <A>(operation: string, send: (abortSignal: AbortSignal) => Promise<A>) =>
    Effect.tryPromise({ try: send, catch: mapError(operation) }).pipe(
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () => new MTurkUnavailable({ operation, message: `no answer within ${Duration.format(timeout)}` })
      }),
      Effect.withSpan(`MTurk.${operation}`)
    )

  const createHit = (hit: NewHit) =>
    Effect.gen(function* () {
      const out = yield* call("CreateHIT", (abortSignal) =>
        client.send(
          new CreateHITCommand({
            Title: hit.title,
            Description: hit.description,
            Keywords: hit.keywords,
            Reward: hit.reward,
            MaxAssignments: hit.maxAssignments,
            LifetimeInSeconds: hit.lifetimeSeconds,
            AssignmentDurationInSeconds: hit.assignmentDurationSeconds,
            AutoApprovalDelayInSeconds: hit.autoApprovalDelaySeconds,
            Question: hit.question,
            ...(hit.requesterAnnotation === undefined ? {} : { RequesterAnnotation: hit.requesterAnnotation }),
            ...(hit.uniqueRequestToken === undefined ? {} : { UniqueRequestToken: hit.uniqueRequestToken })
          }),
          { abortSignal }
        )
      )
      const created = out.HIT
      if (created?.HITId === undefined || created.HITTypeId === undefined)
        return yield* new MTurkUnavailable({ operation: "CreateHIT", message: "reply has no HIT id" })
      const now = yield* Clock.currentTimeMillis
      return {
        hitId: created.HITId,
        hitTypeId: created.HITTypeId,
        expiresAt: created.Expiration?.getTime() ?? now + hit.lifetimeSeconds * 1000,
        maxAssignments: created.MaxAssignments ?? hit.maxAssignments
      } satisfies CreatedHit
    })

  const updateNotificationSettings = (target: NotificationTarget) =>
    call("UpdateNotificationSettings", (abortSignal) =>
      client.send(
        new UpdateNotificationSettingsCommand({
          HITTypeId: target.hitTypeId,
          Notification: {
            Destination: target.snsTopicArn,
            Transport: "SNS",
            Version: "2014-08-15",
            EventTypes: [...(target.eventTypes ?? ["AssignmentSubmitted"])] as never
          },
          Active: target.active ?? true
        }),
        { abortSignal }
      )
    ).pipe(Effect.asVoid)

  const listAssignmentsForHit = (hitId: string, statuses: ReadonlyArray<AssignmentStatus> = ["Submitted", "Approved"]) =>
    Effect.gen(function* () {
      const all: MTurkAssignment[] = []
      let nextToken: string | undefined
      // MTurk pages by NextToken; a page without one is the last. The cap stops a server that loops.
      for (let page = 0; page < 1_000; page++) {
        const token = nextToken
        const out = yield* call("ListAssignmentsForHIT", (abortSignal) =>
          client.send(
            new ListAssignmentsForHITCommand({
              HITId: hitId,
              MaxResults: 100,
              AssignmentStatuses: [...statuses],
              ...(token === undefined ? {} : { NextToken: token })
            }),
            { abortSignal }
          )
        )
        all.push(...(out.Assignments ?? []).map(toAssignment))
        nextToken = out.NextToken
        if (nextToken === undefined || (out.Assignments ?? []).length === 0) return all
      }
      return yield* new MTurkUnavailable({ operation: "ListAssignmentsForHIT", message: "too many pages" })
    })

  return { environment: options.environment, createHit, updateNotificationSettings, listAssignmentsForHit }
}

/** The MTurk service as a layer, from explicit options. */
export const layer = (options: MTurkClientOptions): Layer.Layer<MTurk> => Layer.succeed(MTurk, make(options))

/**
 * Credentials from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (the original's `AWS_SECRET_KEY` is
 * accepted too), plus `AWS_SESSION_TOKEN` when set.
 */
export const credentialsConfig: Config.Config<AwsCredentials> = Config.all({
  accessKeyId: Config.string("AWS_ACCESS_KEY_ID"),
  secretAccessKey: Config.redacted("AWS_SECRET_ACCESS_KEY").pipe(Config.orElse(() => Config.redacted("AWS_SECRET_KEY"))),
  sessionToken: Config.option(Config.redacted("AWS_SESSION_TOKEN"))
}).pipe(
  Config.map(({ sessionToken, ...rest }) =>
    Option.match(sessionToken, { onNone: () => rest, onSome: (token) => ({ ...rest, sessionToken: token }) })
  )
)

/** The MTurk service as a layer, with credentials from the environment (`credentialsConfig`). */
export const layerConfig = (options: Omit<MTurkClientOptions, "credentials">) =>
  Layer.effect(
    MTurk,
    Effect.map(credentialsConfig, (credentials) => make({ ...options, credentials }))
  )
