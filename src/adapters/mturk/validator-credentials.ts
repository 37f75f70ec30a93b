/**
 * `ValidatorCredentials` through STS AssumeRole: assumes `AWS_ASSUME_ROLE_ARN` for 15 minutes (STS's
 * minimum) with an inline session policy that allows only `mechanicalturk:ListAssignmentsForHIT`, so
 * even a role granted more cannot be used for anything else through these credentials.
 *
 * The STS call sits behind the small `AssumeRole` function type: `@aws-sdk/client-sts` is not a
 * dependency yet. With it, the live function is
 *   (input) => new STSClient({ region: "us-east-1", credentials }).send(new AssumeRoleCommand({
 *     RoleArn: input.roleArn, RoleSessionName: input.sessionName,
 *     DurationSeconds: input.durationSeconds, Policy: input.policy })).then((o) => o.Credentials!)
 * Until then `layerUnavailable` fails every issue, and tests use `layerStatic` or their own function.
 */
import { Effect, Layer, Redacted } from "effect"
import type { AWSCredentials, MTurkEnvironment } from "../../domain/wire/protocol.ts"
import { CredentialsUnavailable, ValidatorCredentials } from "../../services/validator-credentials.ts"

/** What STS AssumeRole is asked for. */
export interface AssumeRoleInput {
  readonly roleArn: string
  /** ≤ 64 characters of [\w+=,.@-]. */
  readonly sessionName: string
  readonly durationSeconds: number
  /** Inline session policy (JSON) that narrows the role's permissions. */
  readonly policy: string
}

/** STS's `Credentials` in an AssumeRole reply. */
export interface StsCredentials {
  readonly AccessKeyId?: string | undefined
  readonly SecretAccessKey?: string | undefined
  readonly SessionToken?: string | undefined
  readonly Expiration?: Date | undefined
}

/** The STS AssumeRole call (see the header comment for the live one). */
export type AssumeRole = (input: AssumeRoleInput, signal: AbortSignal) => Promise<StsCredentials>

/** The session policy: ListAssignmentsForHIT and nothing else (MTurk has no per-HIT resources). */
export const verificationPolicy: string = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "mechanicalturk:ListAssignmentsForHIT", Resource: "*" }]
})

/** Settings of the STS-backed issuer. */
export interface StsIssuerOptions {
  /** `AWS_ASSUME_ROLE_ARN`. */
  readonly roleArn: string
  /** The MTurk environment the credentials are for (the validator must use the same endpoint). */
  readonly environment: MTurkEnvironment
  /** Lifetime (default and minimum 900 s). */
  readonly durationSeconds?: number
  readonly assumeRole: AssumeRole
}

/** Builds the issuer over an AssumeRole function. */
export const make = (options: StsIssuerOptions): ValidatorCredentials["Type"] => ({
  issue: (hitId: string) =>
    Effect.tryPromise({
      try: (signal) =>
        options.assumeRole(
          {
            roleArn: options.roleArn,
            sessionName: `dojo-validator-${hitId.replace(/[^\w+=,.@-]/g, "")}`.slice(0, 64),
            durationSeconds: Math.max(900, options.durationSeconds ?? 900),
            policy: verificationPolicy
          },
          signal
        ),
      catch: (e) =>
        new CredentialsUnavailable({ message: `AssumeRole failed: ${e instanceof Error ? e.name : "error"}` })
    }).pipe(
      Effect.timeoutFail({
        duration: "20 seconds",
        onTimeout: () => new CredentialsUnavailable({ message: "AssumeRole did not answer in 20 s" })
      }),
      Effect.flatMap((c) =>
        c.AccessKeyId && c.SecretAccessKey && c.SessionToken && c.Expiration
          ? Effect.succeed<AWSCredentials>({
              access_key_id: c.AccessKeyId,
              secret_access_key: Redacted.make(c.SecretAccessKey),
              session_token: Redacted.make(c.SessionToken),
              access_expiration: c.Expiration.toISOString(),
              environment: options.environment
            })
          : Effect.fail(new CredentialsUnavailable({ message: "AssumeRole reply has no complete credentials" }))
      ),
      Effect.withSpan("ValidatorCredentials.issue")
    )
})

/** The STS-backed issuer as a layer. */
export const layer = (options: StsIssuerOptions): Layer.Layer<ValidatorCredentials> =>
  Layer.succeed(ValidatorCredentials, make(options))

/** No STS client available: every issue fails (the miner then sends `aws_credentials: null`). */
export const layerUnavailable: Layer.Layer<ValidatorCredentials> = Layer.succeed(ValidatorCredentials, {
  issue: () =>
    Effect.fail(new CredentialsUnavailable({ message: "no STS client configured (@aws-sdk/client-sts is not installed)" }))
})

/** Tests: always hands out the given credentials. */
export const layerStatic = (credentials: AWSCredentials): Layer.Layer<ValidatorCredentials> =>
  Layer.succeed(ValidatorCredentials, { issue: () => Effect.succeed(credentials) })
