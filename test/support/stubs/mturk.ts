/**
 * A local stand-in for the Amazon Mechanical Turk requester API, speaking the AWS JSON 1.1 protocol the
 * `@aws-sdk/client-mturk` client uses (see shared/reference/cloud-apis.md):
 *   POST /, content-type application/x-amz-json-1.1, x-amz-target MTurkRequesterServiceV20170117.<Op>,
 *   SigV4 authorization for service mturk-requester; times as epoch seconds (numbers);
 *   errors 400 {"__type": "...#RequestError", "Message", "TurkErrorCode"} / 500 ...#ServiceFault.
 * It keeps HITs in memory; a test "submits" assignments (slider answers as QuestionFormAnswers XML,
 * the crowd-form shape) and builds the SNS event MTurk would publish for them.
 */
import { escapeHtml, taskAnswersIdentifier } from "../../../src/domain/mturk/formats.ts"

const TARGET_PREFIX = "MTurkRequesterServiceV20170117."
const ERROR_NS = "com.amazonaws.mechanicalturkrequester#"

/** One request as the stub received it. */
export interface MTurkRecordedRequest {
  readonly operation: string
  readonly authorization: string | null
  /** The access key id named in the SigV4 authorization header, if any. */
  readonly accessKeyId: string | undefined
  readonly securityToken: string | null
  readonly contentType: string | null
  readonly body: any
}

/** An assignment the stub holds (times in epoch seconds). */
export interface StubAssignment {
  readonly AssignmentId: string
  readonly WorkerId: string
  readonly HITId: string
  AssignmentStatus: "Submitted" | "Approved" | "Rejected"
  readonly AcceptTime: number
  readonly SubmitTime: number
  readonly AutoApprovalTime: number
  readonly Answer: string
}

/** A HIT the stub holds. */
export interface StubHit {
  readonly HITId: string
  readonly HITTypeId: string
  readonly input: Record<string, any>
  readonly CreationTime: number
  readonly Expiration: number
  readonly assignments: StubAssignment[]
}

/** An injected failure. `status` defaults to 400 for RequestError/Throttling and 500 for ServiceFault. */
export interface MTurkFailure {
  readonly type: "RequestError" | "ServiceFault" | "ThrottlingException" | (string & {})
  readonly status?: number
  readonly message?: string
  readonly turkErrorCode?: string
}

/** Notification settings set for a HIT type. */
export interface StubNotification {
  readonly Destination: string
  readonly Transport: string
  readonly Version: string
  readonly EventTypes: ReadonlyArray<string>
  readonly Active: boolean
}

/** The SNS → Lambda event for some MTurk events. */
export interface SnsLambdaEvent {
  readonly Records: ReadonlyArray<{
    readonly EventSource: "aws:sns"
    readonly EventVersion: "1.0"
    readonly EventSubscriptionArn: string
    readonly Sns: Record<string, unknown> & { readonly Message: string }
  }>
}

/** A running stub. */
export interface MTurkStub {
  /** Give this to the client as `endpoint`. */
  readonly endpoint: string
  readonly requests: MTurkRecordedRequest[]
  readonly hits: Map<string, StubHit>
  readonly notifications: Map<string, StubNotification>
  /** The next `times` calls of `operation` fail with `failure`. */
  failNext(operation: string, failure: MTurkFailure, times?: number): void
  /** The next `times` calls of `operation` wait `ms` first. */
  delayNext(operation: string, ms: number, times?: number): void
  /** A worker submits an assignment: slider values per cid (crowd-form JSON), or a raw Answer XML. */
  submitAssignment(
    hitId: string,
    answer: { readonly scores: Readonly<Record<string, unknown>> } | { readonly answerXml: string },
    options?: { readonly workerId?: string; readonly status?: StubAssignment["AssignmentStatus"] }
  ): string
  /** The slider names (cids) the HIT's HTMLQuestion asks for, in order. */
  questionCids(hitId: string): string[]
  /** The SNS notification (Lambda event) MTurk would publish for these assignments of their HITs. */
  snsEvent(
    events: ReadonlyArray<{ readonly hitId: string; readonly assignmentId: string; readonly eventType?: string }>,
    options?: { readonly eventDocId?: string; readonly topicArn?: string }
  ): SnsLambdaEvent
  stop(): Promise<void>
}

/** The QuestionFormAnswers XML a crowd-form submits: one `taskAnswers` FreeText holding `[{cid: value}]`. */
export const crowdFormAnswerXml = (scores: Readonly<Record<string, unknown>>): string =>
  `<?xml version="1.0" encoding="ASCII"?><QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>${taskAnswersIdentifier}</QuestionIdentifier><FreeText>${escapeHtml(JSON.stringify([scores]))}</FreeText></Answer></QuestionFormAnswers>`

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
const turkId = (prefix: string): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(29))
  return prefix + Array.from(bytes, (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join("")
}

const hitTypeIdOf = (input: Record<string, any>): string => {
  const key = JSON.stringify([
    input.Title,
    input.Description,
    input.Keywords,
    input.Reward,
    input.AssignmentDurationInSeconds,
    input.AutoApprovalDelayInSeconds,
    input.QualificationRequirements ?? []
  ])
  return `T${new Bun.CryptoHasher("sha256").update(key).digest("hex").toUpperCase().slice(0, 29)}`
}

const awsJson = (status: number, value: unknown): Response =>
  new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": crypto.randomUUID() }
  })

const errorResponse = (f: MTurkFailure): Response =>
  awsJson(f.status ?? (f.type === "ServiceFault" ? 500 : 400), {
    __type: `${ERROR_NS}${f.type}`,
    Message: f.message ?? `stub ${f.type}`,
    ...(f.turkErrorCode === undefined ? {} : { TurkErrorCode: f.turkErrorCode })
  })

const requestError = (message: string, turkErrorCode = "AWS.MechanicalTurk.ParameterValidationError") =>
  errorResponse({ type: "RequestError", message, turkErrorCode })

const publicHit = (hit: StubHit, now: number) => {
  const i = hit.input
  const submitted = hit.assignments.length
  return {
    HITId: hit.HITId,
    HITTypeId: hit.HITTypeId,
    HITGroupId: hit.HITTypeId.replace(/^T/, "G"),
    CreationTime: hit.CreationTime,
    Title: i.Title,
    Description: i.Description,
    Question: i.Question,
    Keywords: i.Keywords,
    HITStatus: submitted >= (i.MaxAssignments ?? 1) || now >= hit.Expiration ? "Reviewable" : "Assignable",
    MaxAssignments: i.MaxAssignments ?? 1,
    Reward: i.Reward,
    AutoApprovalDelayInSeconds: i.AutoApprovalDelayInSeconds ?? 2_592_000,
    Expiration: hit.Expiration,
    AssignmentDurationInSeconds: i.AssignmentDurationInSeconds,
    ...(i.RequesterAnnotation === undefined ? {} : { RequesterAnnotation: i.RequesterAnnotation }),
    HITReviewStatus: "NotReviewed",
    NumberOfAssignmentsPending: 0,
    NumberOfAssignmentsAvailable: Math.max(0, (i.MaxAssignments ?? 1) - submitted),
    NumberOfAssignmentsCompleted: submitted
  }
}

/**
 * Starts the stub on 127.0.0.1 (random port). `accessKeyIds`, when given, are the only credentials it
 * accepts (others get UnrecognizedClientException, as AWS answers an unknown key). `now` gives the
 * stub's clock in epoch seconds.
 */
export const startMTurkStub = (
  options: { readonly accessKeyIds?: ReadonlyArray<string>; readonly now?: () => number } = {}
): MTurkStub => {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000))
  const requests: MTurkRecordedRequest[] = []
  const hits = new Map<string, StubHit>()
  const notifications = new Map<string, StubNotification>()
  const tokens = new Map<string, string>()
  const failures = new Map<string, MTurkFailure[]>()
  const delays = new Map<string, number[]>()

  const operations: Record<string, (body: any) => Response> = {
    CreateHIT: (b) => {
      for (const field of ["Title", "Description", "Reward", "LifetimeInSeconds", "AssignmentDurationInSeconds", "Question"])
        if (b[field] === undefined || b[field] === "") return requestError(`${field} is required`)
      if (typeof b.Reward !== "string" || !/^\d+\.\d{2}$/.test(b.Reward)) return requestError("Reward must be like 0.01")
      if (!String(b.Question).includes("HTMLQuestion.xsd") || !String(b.Question).includes("<HTMLContent>"))
        return requestError("Question is not a valid HTMLQuestion")
      if (b.UniqueRequestToken !== undefined) {
        const existing = tokens.get(b.UniqueRequestToken)
        if (existing !== undefined)
          return requestError(
            `The HIT with ID "${existing}" already exists. Duplicate request token.`,
            "AWS.MechanicalTurk.HitAlreadyExists"
          )
      }
      const created = now()
      const hit: StubHit = {
        HITId: turkId("H"),
        HITTypeId: hitTypeIdOf(b),
        input: b,
        CreationTime: created,
        Expiration: created + Number(b.LifetimeInSeconds),
        assignments: []
      }
      hits.set(hit.HITId, hit)
      if (b.UniqueRequestToken !== undefined) tokens.set(b.UniqueRequestToken, hit.HITId)
      return awsJson(200, { HIT: publicHit(hit, created) })
    },
    GetHIT: (b) => {
      const hit = hits.get(b.HITId)
      return hit === undefined
        ? requestError(`Hit ${b.HITId} does not exist.`, "AWS.MechanicalTurk.HitDoesNotExist")
        : awsJson(200, { HIT: publicHit(hit, now()) })
    },
    UpdateNotificationSettings: (b) => {
      const known = [...hits.values()].some((h) => h.HITTypeId === b.HITTypeId)
      if (!known) return requestError(`HITType ${b.HITTypeId} does not exist.`, "AWS.MechanicalTurk.HITTypeDoesNotExist")
      const n = b.Notification
      if (n !== undefined) {
        if (!["Email", "SQS", "SNS"].includes(n.Transport)) return requestError("Transport must be Email, SQS or SNS")
        if (n.Version !== "2014-08-15") return requestError("Notification Version must be 2014-08-15")
        if (!Array.isArray(n.EventTypes) || n.EventTypes.length === 0) return requestError("EventTypes is required")
        if (n.Transport === "SNS" && !String(n.Destination).startsWith("arn:aws:sns:"))
          return requestError("Destination must be an SNS topic ARN")
        notifications.set(b.HITTypeId, { ...n, Active: b.Active ?? true })
      } else {
        const previous = notifications.get(b.HITTypeId)
        if (previous !== undefined && b.Active !== undefined)
          notifications.set(b.HITTypeId, { ...previous, Active: b.Active })
      }
      return awsJson(200, {})
    },
    ListAssignmentsForHIT: (b) => {
      const hit = hits.get(b.HITId)
      if (hit === undefined) return requestError(`Hit ${b.HITId} does not exist.`, "AWS.MechanicalTurk.HitDoesNotExist")
      const statuses: string[] | undefined = b.AssignmentStatuses
      const all = hit.assignments.filter((a) => statuses === undefined || statuses.includes(a.AssignmentStatus))
      const max = Math.min(100, Math.max(1, b.MaxResults ?? 10))
      const start = b.NextToken === undefined ? 0 : Number(b.NextToken.replace(/^page-/, ""))
      if (!Number.isSafeInteger(start) || start < 0) return requestError("NextToken is invalid")
      const page = all.slice(start, start + max)
      const next = start + max < all.length ? { NextToken: `page-${start + max}` } : {}
      return awsJson(200, { ...next, NumResults: page.length, Assignments: page })
    },
    GetAssignment: (b) => {
      for (const hit of hits.values()) {
        const a = hit.assignments.find((x) => x.AssignmentId === b.AssignmentId)
        if (a !== undefined) return awsJson(200, { Assignment: a, HIT: publicHit(hit, now()) })
      }
      return requestError(`Assignment ${b.AssignmentId} does not exist.`, "AWS.MechanicalTurk.AssignmentDoesNotExist")
    },
    ApproveAssignment: (b) => {
      for (const hit of hits.values()) {
        const a = hit.assignments.find((x) => x.AssignmentId === b.AssignmentId)
        if (a !== undefined) {
          a.AssignmentStatus = "Approved"
          return awsJson(200, {})
        }
      }
      return requestError(`Assignment ${b.AssignmentId} does not exist.`, "AWS.MechanicalTurk.AssignmentDoesNotExist")
    },
    GetAccountBalance: () => awsJson(200, { AvailableBalance: "10000.00" })
  }

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      const target = req.headers.get("x-amz-target") ?? ""
      const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : ""
      const authorization = req.headers.get("authorization")
      const accessKeyId = /Credential=([^/]+)\//.exec(authorization ?? "")?.[1]
      let body: any
      try {
        body = JSON.parse(await req.text())
      } catch {
        body = undefined
      }
      requests.push({
        operation,
        authorization,
        accessKeyId,
        securityToken: req.headers.get("x-amz-security-token"),
        contentType: req.headers.get("content-type"),
        body
      })
      const delay = delays.get(operation)?.shift()
      if (delay !== undefined) await Bun.sleep(delay)
      if (req.method !== "POST" || new URL(req.url).pathname !== "/") return awsJson(404, { message: "not found" })
      if (!authorization?.startsWith("AWS4-HMAC-SHA256 ") || !authorization.includes("/us-east-1/mturk-requester/aws4_request"))
        return awsJson(400, { __type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" })
      if (options.accessKeyIds !== undefined && (accessKeyId === undefined || !options.accessKeyIds.includes(accessKeyId)))
        return awsJson(400, {
          __type: "com.amazon.coral.service#UnrecognizedClientException",
          message: "The security token included in the request is invalid."
        })
      if (req.headers.get("content-type") !== "application/x-amz-json-1.1" || typeof body !== "object" || body === null)
        return awsJson(400, { __type: "SerializationException", message: "body is not AWS JSON 1.1" })
      const failure = failures.get(operation)?.shift()
      if (failure !== undefined) return errorResponse(failure)
      const handler = operations[operation]
      if (handler === undefined) return awsJson(400, { __type: "UnknownOperationException", message: operation })
      return handler(body)
    }
  })

  const mustHit = (hitId: string): StubHit => {
    const hit = hits.get(hitId)
    if (hit === undefined) throw new Error(`stub: no HIT ${hitId}`)
    return hit
  }

  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    requests,
    hits,
    notifications,
    failNext: (operation, failure, times = 1) => {
      const queue = failures.get(operation) ?? []
      for (let i = 0; i < times; i++) queue.push(failure)
      failures.set(operation, queue)
    },
    delayNext: (operation, ms, times = 1) => {
      const queue = delays.get(operation) ?? []
      for (let i = 0; i < times; i++) queue.push(ms)
      delays.set(operation, queue)
    },
    submitAssignment: (hitId, answer, opts = {}) => {
      const hit = mustHit(hitId)
      const t = now()
      const assignment: StubAssignment = {
        AssignmentId: turkId("A"),
        WorkerId: opts.workerId ?? turkId("W"),
        HITId: hitId,
        AssignmentStatus: opts.status ?? "Submitted",
        AcceptTime: t - 30,
        SubmitTime: t,
        AutoApprovalTime: t + Number(hit.input.AutoApprovalDelayInSeconds ?? 2_592_000),
        Answer: "answerXml" in answer ? answer.answerXml : crowdFormAnswerXml(answer.scores)
      }
      hit.assignments.push(assignment)
      return assignment.AssignmentId
    },
    questionCids: (hitId) =>
      [...String(mustHit(hitId).input.Question).matchAll(/<crowd-slider name="([^"]*)"/g)].map((m) =>
        m[1]!.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&")
      ),
    snsEvent: (events, opts = {}) => {
      const topicArn = opts.topicArn ?? "arn:aws:sns:us-east-1:123456789012:dojo-mturk"
      const message = {
        Events: events.map((e) => ({
          EventType: e.eventType ?? "AssignmentSubmitted",
          EventTimestamp: new Date(now() * 1000).toISOString(),
          HITId: e.hitId,
          AssignmentId: e.assignmentId,
          HITTypeId: hits.get(e.hitId)?.HITTypeId ?? "UNKNOWN"
        })),
        EventDocId: opts.eventDocId ?? crypto.randomUUID(),
        SourceAccount: "123456789012",
        CustomerId: "A1CUSTOMER",
        EventDocVersion: "2014-08-15"
      }
      return {
        Records: [
          {
            EventSource: "aws:sns",
            EventVersion: "1.0",
            EventSubscriptionArn: `${topicArn}:${crypto.randomUUID()}`,
            Sns: {
              Type: "Notification",
              MessageId: crypto.randomUUID(),
              TopicArn: topicArn,
              Subject: null,
              Message: JSON.stringify(message),
              Timestamp: new Date(now() * 1000).toISOString(),
              SignatureVersion: "1",
              Signature: "c3R1Yg==",
              SigningCertUrl: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-stub.pem",
              UnsubscribeUrl: "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
              MessageAttributes: {}
            }
          }
        ]
      }
    },
    stop: async () => {
      await server.stop(true)
    }
  }
}
