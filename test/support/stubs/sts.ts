/**
 * A local stand-in for AWS STS, speaking the AWS Query protocol `@aws-sdk/client-sts` uses:
 *   POST /, content-type application/x-www-form-urlencoded, body `Action=AssumeRole&Version=2011-06-15&
 *   RoleArn=…&RoleSessionName=…&DurationSeconds=…&Policy=…`, SigV4 authorization for service sts;
 *   reply text/xml `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
 *   <AssumeRoleResult><Credentials>…</Credentials><AssumedRoleUser>…</AssumedRoleUser>…`,
 *   errors `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
 * It checks what STS checks on the inputs (role ARN shape, session name, duration 900–43200, policy JSON
 * ≤ 2048 characters) and hands out fresh ASIA… keys; `onIssue` lets a test make them valid elsewhere
 * (e.g. add them to the MTurk stub's accepted keys).
 */

const NS = "https://sts.amazonaws.com/doc/2011-06-15/"

/** One AssumeRole as the stub received it. */
export interface StsRecordedRequest {
  readonly action: string
  readonly params: Readonly<Record<string, string>>
  /** The access key id named in the SigV4 authorization header, if any. */
  readonly accessKeyId: string | undefined
  readonly contentType: string | null
}

/** Credentials the stub issued. */
export interface StsIssued {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken: string
  /** Unix seconds. */
  readonly expiration: number
  readonly roleArn: string
  readonly sessionName: string
  /** The session policy as sent (undefined when none). */
  readonly policy: string | undefined
}

/** An injected failure: an STS error code with its HTTP status. */
export interface StsFailure {
  readonly code: string
  readonly status?: number
  readonly message?: string
}

/** A running stub. */
export interface StsStub {
  readonly endpoint: string
  readonly requests: StsRecordedRequest[]
  readonly issued: StsIssued[]
  /** The next `times` calls fail with `failure`. */
  failNext(failure: StsFailure, times?: number): void
  stop(): Promise<void>
}

const xmlEscape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] as string)

const xml = (status: number, body: string): Response =>
  new Response(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`, {
    status,
    headers: { "content-type": "text/xml", "x-amzn-requestid": crypto.randomUUID() }
  })

const errorXml = (f: StsFailure): Response =>
  xml(
    f.status ?? 400,
    `<ErrorResponse xmlns="${NS}"><Error><Type>${(f.status ?? 400) >= 500 ? "Receiver" : "Sender"}</Type><Code>${xmlEscape(f.code)}</Code><Message>${xmlEscape(f.message ?? `stub ${f.code}`)}</Message></Error><RequestId>${crypto.randomUUID()}</RequestId></ErrorResponse>`
  )

const randomId = (prefix: string, n: number): string => {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
  return prefix + Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => alphabet[b % alphabet.length]).join("")
}

const ROLE_ARN = /^arn:aws:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/

/**
 * Starts the stub on 127.0.0.1 (random port). `accessKeyIds`, when given, are the only long-lived keys
 * allowed to call it (others get InvalidClientTokenId); `now` gives its clock in unix seconds.
 */
export const startStsStub = (
  options: {
    readonly accessKeyIds?: ReadonlyArray<string>
    readonly now?: () => number
    readonly onIssue?: (issued: StsIssued) => void
  } = {}
): StsStub => {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000))
  const requests: StsRecordedRequest[] = []
  const issued: StsIssued[] = []
  const failures: StsFailure[] = []

  const assumeRole = (p: Record<string, string>): Response => {
    const roleArn = p["RoleArn"]
    const sessionName = p["RoleSessionName"]
    if (roleArn === undefined || sessionName === undefined)
      return errorXml({ code: "MissingParameter", message: "RoleArn and RoleSessionName are required" })
    if (!ROLE_ARN.test(roleArn)) return errorXml({ code: "ValidationError", message: `${roleArn} is not a role ARN` })
    if (!SESSION_NAME.test(sessionName))
      return errorXml({ code: "ValidationError", message: "RoleSessionName must be 2-64 characters of [\\w+=,.@-]" })
    const duration = Number(p["DurationSeconds"] ?? 3600)
    if (!Number.isInteger(duration) || duration < 900 || duration > 43_200)
      return errorXml({ code: "ValidationError", message: "DurationSeconds must be between 900 and 43200" })
    const policy = p["Policy"]
    if (policy !== undefined) {
      if (policy.length > 2048) return errorXml({ code: "PackedPolicyTooLarge", message: "Policy is too large" })
      try {
        JSON.parse(policy)
      } catch {
        return errorXml({ code: "MalformedPolicyDocument", message: "Policy is not valid JSON" })
      }
    }
    const creds: StsIssued = {
      accessKeyId: randomId("ASIA", 16),
      secretAccessKey: randomId("", 40),
      sessionToken: randomId("FwoGZXIvYXdzE", 120),
      expiration: now() + duration,
      roleArn,
      sessionName,
      policy
    }
    issued.push(creds)
    options.onIssue?.(creds)
    const roleName = roleArn.slice(roleArn.lastIndexOf("/") + 1)
    const account = roleArn.split(":")[4]
    return xml(
      200,
      `<AssumeRoleResponse xmlns="${NS}">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::${account}:assumed-role/${xmlEscape(roleName)}/${xmlEscape(sessionName)}</Arn>
      <AssumedRoleId>AROA${randomId("", 17)}:${xmlEscape(sessionName)}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${creds.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${creds.secretAccessKey}</SecretAccessKey>
      <SessionToken>${creds.sessionToken}</SessionToken>
      <Expiration>${new Date(creds.expiration * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")}</Expiration>
    </Credentials>
    <PackedPolicySize>${policy === undefined ? 0 : Math.min(100, Math.ceil(policy.length / 20))}</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>${crypto.randomUUID()}</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>`
    )
  }

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      const authorization = req.headers.get("authorization")
      const accessKeyId = /Credential=([^/]+)\//.exec(authorization ?? "")?.[1]
      const contentType = req.headers.get("content-type")
      const params = Object.fromEntries(new URLSearchParams(await req.text()))
      const action = params["Action"] ?? ""
      requests.push({ action, params, accessKeyId, contentType })
      if (req.method !== "POST" || new URL(req.url).pathname !== "/") return errorXml({ code: "InvalidAction", status: 404 })
      if (!authorization?.startsWith("AWS4-HMAC-SHA256 ") || !/\/[a-z0-9-]+\/sts\/aws4_request/.test(authorization))
        return errorXml({ code: "MissingAuthenticationToken", status: 403, message: "Request is missing Authentication Token" })
      if (options.accessKeyIds !== undefined && (accessKeyId === undefined || !options.accessKeyIds.includes(accessKeyId)))
        return errorXml({ code: "InvalidClientTokenId", status: 403, message: "The security token included in the request is invalid." })
      if (!contentType?.startsWith("application/x-www-form-urlencoded"))
        return errorXml({ code: "InvalidParameterValue", message: "expected a form body" })
      if (params["Version"] !== "2011-06-15") return errorXml({ code: "InvalidParameterValue", message: "Version must be 2011-06-15" })
      const failure = failures.shift()
      if (failure !== undefined) return errorXml(failure)
      if (action !== "AssumeRole") return errorXml({ code: "InvalidAction", message: `${action} is not supported by the stub` })
      return assumeRole(params)
    }
  })

  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    requests,
    issued,
    failNext: (failure, times = 1) => {
      for (let i = 0; i < times; i++) failures.push(failure)
    },
    stop: async () => {
      await server.stop(true)
    }
  }
}
