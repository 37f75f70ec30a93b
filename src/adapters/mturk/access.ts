/** `MTurkAccess` over the MTurk SDK client; endpoints can be overridden per environment (tests: the stub). */
import { Layer } from "effect"
import type { MTurkEnvironment } from "../../domain/wire/protocol.ts"
import { MTurkAccess } from "../../services/mturk-access.ts"
import * as MTurkClient from "./client.ts"

/** Builds clients for the environment the credentials name. */
export const layer = (options: { readonly endpoints?: Partial<Record<MTurkEnvironment, string>> } = {}): Layer.Layer<MTurkAccess> =>
  Layer.succeed(MTurkAccess, {
    withCredentials: (credentials) => {
      const endpoint = options.endpoints?.[credentials.environment]
      return MTurkClient.make({
        environment: credentials.environment,
        ...(endpoint === undefined ? {} : { endpoint }),
        credentials: {
          accessKeyId: credentials.access_key_id,
          secretAccessKey: credentials.secret_access_key,
          sessionToken: credentials.session_token
        },
        maxAttempts: 2,
        callTimeout: "20 seconds"
      })
    }
  })
