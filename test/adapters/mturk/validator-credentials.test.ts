import { afterAll, describe, expect, test } from "bun:test"
import { Effect, Either, Redacted, Schema } from "effect"
import * as MTurkClient from "../../../src/adapters/mturk/client.ts"
import * as Issuer from "../../../src/adapters/mturk/validator-credentials.ts"
import { buildHtmlQuestion } from "../../../src/domain/mturk/formats.ts"
import { AWSCredentials, MTurkResponse } from "../../../src/domain/wire/protocol.ts"
import { defaultHitTerms } from "../../../src/services/mturk.ts"
import { ValidatorCredentials } from "../../../src/services/validator-credentials.ts"
import { startMTurkStub } from "../../support/stubs/mturk.ts"

const stub = startMTurkStub({ accessKeyIds: ["AKIDMINER", "ASIATEMP0001"] })
afterAll(() => stub.stop())

const ROLE = "arn:aws:iam::123456789012:role/dojo-validator-verify"
const expiration = new Date("2026-11-25T01:00:00.000Z")

describe("validator credentials via AssumeRole", () => {
  test("assumes the role for 15 min with a ListAssignmentsForHIT-only session policy", async () => {
    const calls: Issuer.AssumeRoleInput[] = []
    const issuer = Issuer.make({
      roleArn: ROLE,
      environment: "sandbox",
      assumeRole: async (input) => {
        calls.push(input)
        return { AccessKeyId: "ASIATEMP0001", SecretAccessKey: "temp-secret", SessionToken: "temp-token", Expiration: expiration }
      }
    })
    const creds = await Effect.runPromise(issuer.issue("3AB<script>HIT"))
    expect(calls).toHaveLength(1)
    expect(calls[0]!.roleArn).toBe(ROLE)
    expect(calls[0]!.durationSeconds).toBe(900)
    expect(calls[0]!.sessionName).toBe("dojo-validator-3ABscriptHIT")
    expect(JSON.parse(calls[0]!.policy)).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "mechanicalturk:ListAssignmentsForHIT", Resource: "*" }]
    })
    expect(creds.access_key_id).toBe("ASIATEMP0001")
    expect(creds.access_expiration).toBe("2026-11-25T01:00:00.000Z")
    expect(creds.environment).toBe("sandbox")
    expect(String(creds.secret_access_key)).not.toContain("temp-secret")
    expect(Redacted.value(creds.session_token)).toBe("temp-token")
    // They travel in an MTurkResponse and decode back on the validator's side.
    const wire = Schema.encodeSync(MTurkResponse)({
      mturk_hit_id: "H1",
      aws_credentials: creds,
      completion_id_to_score: { c1: 0.5 },
      request_id: "r1"
    })
    const back = Schema.decodeUnknownSync(MTurkResponse)(JSON.parse(JSON.stringify(wire)))
    expect(Redacted.value(back.aws_credentials!.secret_access_key)).toBe("temp-secret")
  })

  test("an STS failure or an incomplete reply is CredentialsUnavailable, with no secret in it", async () => {
    const failing = Issuer.make({
      roleArn: ROLE,
      environment: "production",
      assumeRole: async () => {
        throw new Error("AccessDenied for key AKIDMINER secret xyz")
      }
    })
    const a = await Effect.runPromise(Effect.either(failing.issue("H1")))
    expect(Either.isLeft(a) && a.left._tag).toBe("CredentialsUnavailable")
    expect(JSON.stringify(a)).not.toContain("secret xyz")
    const partial = Issuer.make({ roleArn: ROLE, environment: "production", assumeRole: async () => ({ AccessKeyId: "A" }) })
    const b = await Effect.runPromise(Effect.either(partial.issue("H1")))
    expect(Either.isLeft(b) && b.left._tag).toBe("CredentialsUnavailable")
    const none = await Effect.runPromise(
      Effect.either(Effect.flatMap(ValidatorCredentials, (v) => v.issue("H1")).pipe(Effect.provide(Issuer.layerUnavailable)))
    )
    expect(Either.isLeft(none) && none.left._tag).toBe("CredentialsUnavailable")
  })

  test("the issued credentials let a validator list the HIT's assignments with a session token", async () => {
    const miner = MTurkClient.make({
      environment: "sandbox",
      endpoint: stub.endpoint,
      credentials: { accessKeyId: "AKIDMINER", secretAccessKey: Redacted.make("miner-secret") },
      maxAttempts: 1
    })
    const hit = await Effect.runPromise(
      miner.createHit({ ...defaultHitTerms, question: buildHtmlQuestion({ prompt: "p", completions: [{ cid: "c1", text: "t" }] }) })
    )
    stub.submitAssignment(hit.hitId, { scores: { c1: 6 } })
    const creds: AWSCredentials = await Effect.runPromise(
      Issuer.make({
        roleArn: ROLE,
        environment: "sandbox",
        assumeRole: async () => ({ AccessKeyId: "ASIATEMP0001", SecretAccessKey: "s", SessionToken: "tok", Expiration: expiration })
      }).issue(hit.hitId)
    )
    const validator = MTurkClient.make({
      environment: creds.environment,
      endpoint: stub.endpoint,
      credentials: {
        accessKeyId: creds.access_key_id,
        secretAccessKey: creds.secret_access_key,
        sessionToken: creds.session_token
      },
      maxAttempts: 1
    })
    const listed = await Effect.runPromise(validator.listAssignmentsForHit(hit.hitId))
    expect(listed).toHaveLength(1)
    expect(stub.requests.at(-1)!.securityToken).toBe("tok")
    expect(stub.requests.at(-1)!.accessKeyId).toBe("ASIATEMP0001")
  })
})
