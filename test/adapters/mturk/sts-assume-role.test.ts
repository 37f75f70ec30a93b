import { afterAll, describe, expect, test } from "bun:test"
import { ConfigProvider, Effect, Either, Layer, Redacted } from "effect"
import * as MTurkClient from "../../../src/adapters/mturk/client.ts"
import { layerConfig, stsAssumeRole } from "../../../src/adapters/mturk/sts-assume-role.ts"
import * as Issuer from "../../../src/adapters/mturk/validator-credentials.ts"
import { buildHtmlQuestion } from "../../../src/domain/mturk/formats.ts"
import { defaultHitTerms } from "../../../src/services/mturk.ts"
import { ValidatorCredentials } from "../../../src/services/validator-credentials.ts"
import { startMTurkStub } from "../../support/stubs/mturk.ts"
import { startStsStub } from "../../support/stubs/sts.ts"

const MINER_KEY = "AKIDMINERLONGLIVED"
const MINER_SECRET = "miner-long-lived-secret-never-on-the-wire"
const ROLE = "arn:aws:iam::123456789012:role/dojo-validator-verify"

const mturkKeys: string[] = [MINER_KEY]
const mturk = startMTurkStub({ accessKeyIds: mturkKeys })
const sts = startStsStub({ accessKeyIds: [MINER_KEY], onIssue: (c) => mturkKeys.push(c.accessKeyId) })
afterAll(async () => {
  await sts.stop()
  await mturk.stop()
})

const minerCredentials = { accessKeyId: MINER_KEY, secretAccessKey: Redacted.make(MINER_SECRET) }
const issuer = (credentials = minerCredentials) =>
  Issuer.make({
    roleArn: ROLE,
    environment: "sandbox",
    assumeRole: stsAssumeRole({ credentials, endpoint: sts.endpoint, maxAttempts: 1 })
  })

describe("STS AssumeRole over @aws-sdk/client-sts (local STS stub)", () => {
  test("issues 15-minute credentials with the ListAssignmentsForHIT-only policy, usable against MTurk", async () => {
    const before = sts.requests.length
    const creds = await Effect.runPromise(issuer().issue("3HITABC"))
    const request = sts.requests[before]!
    expect(request.action).toBe("AssumeRole")
    expect(request.accessKeyId).toBe(MINER_KEY)
    expect(request.contentType).toStartWith("application/x-www-form-urlencoded")
    expect(request.params["RoleArn"]).toBe(ROLE)
    expect(request.params["RoleSessionName"]).toBe("dojo-validator-3HITABC")
    expect(request.params["DurationSeconds"]).toBe("900")
    expect(JSON.parse(request.params["Policy"]!)).toEqual(JSON.parse(Issuer.verificationPolicy))

    const issued = sts.issued.at(-1)!
    expect(creds.access_key_id).toBe(issued.accessKeyId)
    expect(Redacted.value(creds.secret_access_key)).toBe(issued.secretAccessKey)
    expect(Redacted.value(creds.session_token)).toBe(issued.sessionToken)
    expect(Date.parse(creds.access_expiration) / 1000).toBe(issued.expiration)
    expect(creds.environment).toBe("sandbox")
    expect(JSON.stringify(creds)).not.toContain(MINER_SECRET)

    // The temporary keys sign MTurk calls with their session token.
    const created = await Effect.runPromise(
      MTurkClient.make({ environment: "sandbox", endpoint: mturk.endpoint, credentials: minerCredentials, maxAttempts: 1 }).createHit({
        ...defaultHitTerms,
        question: buildHtmlQuestion({ prompt: "p", completions: [{ cid: "c", text: "t" }] })
      })
    )
    const asValidator = MTurkClient.make({
      environment: creds.environment,
      endpoint: mturk.endpoint,
      credentials: { accessKeyId: creds.access_key_id, secretAccessKey: creds.secret_access_key, sessionToken: creds.session_token },
      maxAttempts: 1
    })
    expect(await Effect.runPromise(asValidator.listAssignmentsForHit(created.hitId))).toEqual([])
    const listed = mturk.requests.at(-1)!
    expect(listed.accessKeyId).toBe(creds.access_key_id)
    expect(listed.securityToken).toBe(Redacted.value(creds.session_token))
  })

  test("an STS error (unknown key, AccessDenied) is CredentialsUnavailable naming only the error", async () => {
    const denied = await Effect.runPromise(
      Effect.either(issuer({ accessKeyId: "AKIDSTRANGER", secretAccessKey: Redacted.make("stranger-secret") }).issue("H1"))
    )
    expect(Either.isLeft(denied)).toBe(true)
    if (Either.isLeft(denied)) {
      expect(denied.left._tag).toBe("CredentialsUnavailable")
      expect(denied.left.message).toContain("InvalidClientTokenId")
      expect(denied.left.message).not.toContain("stranger-secret")
    }
    sts.failNext({ code: "AccessDenied", status: 403, message: "not authorized to perform sts:AssumeRole" })
    const refused = await Effect.runPromise(Effect.either(issuer().issue("H2")))
    expect(Either.isLeft(refused) && refused.left.message).toContain("AccessDenied")
  })

  test("layerConfig: role from AWS_ASSUME_ROLE_ARN and keys from the environment; without a role, unavailable", async () => {
    const env = (vars: Record<string, string>) => Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(vars))))
    const issue = (vars: Record<string, string>) =>
      Effect.runPromise(
        Effect.either(Effect.flatMap(ValidatorCredentials, (c) => c.issue("H3"))).pipe(
          Effect.provide(layerConfig({ environment: "production", endpoint: sts.endpoint }).pipe(Layer.provide(env(vars))))
        )
      )
    const ok = await issue({ AWS_ASSUME_ROLE_ARN: ROLE, AWS_ACCESS_KEY_ID: MINER_KEY, AWS_SECRET_ACCESS_KEY: MINER_SECRET })
    expect(Either.isRight(ok) && ok.right.environment).toBe("production")
    const none = await issue({ AWS_ACCESS_KEY_ID: MINER_KEY, AWS_SECRET_ACCESS_KEY: MINER_SECRET })
    expect(Either.isLeft(none) && none.left._tag).toBe("CredentialsUnavailable")
  })
})
