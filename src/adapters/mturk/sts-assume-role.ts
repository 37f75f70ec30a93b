/**
 * The live STS AssumeRole behind `ValidatorCredentials` (src/adapters/mturk/validator-credentials.ts), over
 * `@aws-sdk/client-sts` with the miner's own long-lived keys. Those keys sign the AssumeRole call and
 * nothing else: only the short-lived, ListAssignmentsForHIT-only credentials it returns leave the miner.
 */
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts"
import { Config, type ConfigError, Effect, Layer, Option } from "effect"
import type { MTurkEnvironment } from "../../domain/wire/protocol.ts"
import type { ValidatorCredentials } from "../../services/validator-credentials.ts"
import { type AwsCredentials, credentialsConfig, sdkCredentials } from "./client.ts"
import { type AssumeRole, layer as issuerLayer, layerUnavailable } from "./validator-credentials.ts"

/** Settings of the STS client. */
export interface StsOptions {
  /** Long-lived keys allowed to assume the role; undefined uses the SDK's default chain. */
  readonly credentials: AwsCredentials | undefined
  /** Overrides STS's endpoint (tests: the local stub; otherwise `https://sts.<region>.amazonaws.com`). */
  readonly endpoint?: string
  /** Default us-east-1 (MTurk's region). */
  readonly region?: string
  /** SDK attempts per call, first included (default 3). */
  readonly maxAttempts?: number
}

/** An `AssumeRole` function over one STS client (made once, reused for every HIT). */
export const stsAssumeRole = (options: StsOptions): AssumeRole => {
  const credentials = options.credentials
  const client = new STSClient({
    region: options.region ?? "us-east-1",
    maxAttempts: options.maxAttempts ?? 3,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...sdkCredentials(credentials)
  })
  return async (input, signal) => {
    const out = await client.send(
      new AssumeRoleCommand({
        RoleArn: input.roleArn,
        RoleSessionName: input.sessionName,
        DurationSeconds: input.durationSeconds,
        Policy: input.policy
      }),
      { abortSignal: signal }
    )
    return out.Credentials ?? {}
  }
}

/** Where the STS-backed issuer gets what it needs besides the environment. */
export interface StsIssuerConfig {
  /** The MTurk environment the validator must check the HIT in. */
  readonly environment: MTurkEnvironment
  /** STS endpoint override. */
  readonly endpoint?: string
}

/**
 * `ValidatorCredentials` from the environment: `AWS_ASSUME_ROLE_ARN` and the miner's keys
 * (`AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`). Without a role ARN it warns once and every issue
 * fails (MTurkResponses then go out without credentials, which validators cannot verify).
 */
export const layerConfig = (config: StsIssuerConfig): Layer.Layer<ValidatorCredentials, ConfigError.ConfigError> =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const roleArn = yield* Config.option(Config.nonEmptyString("AWS_ASSUME_ROLE_ARN"))
      if (Option.isNone(roleArn)) {
        yield* Effect.logWarning(
          "AWS_ASSUME_ROLE_ARN is not set: MTurkResponses will carry no verification credentials, so validators cannot check them"
        )
        return layerUnavailable
      }
      const credentials = yield* credentialsConfig
      return issuerLayer({
        roleArn: roleArn.value,
        environment: config.environment,
        assumeRole: stsAssumeRole({ credentials, ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }) })
      })
    })
  )
