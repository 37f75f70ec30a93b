/** Shared pieces of the axon tests: a real axon in a scope, and requests built by hand as a Python dendrite builds them. */
import { Effect, Either, Exit, Scope } from "effect"
import * as AxonLive from "../../../src/adapters/axon/axon.ts"
import { signHex } from "../../../src/adapters/wallet/sr25519.ts"
import type { Keypair } from "../../../src/domain/wallet/keypair.ts"
import {
  dendriteMessage,
  encodeBody,
  terminal,
  toHeaders,
  toJson,
  wireBodyHash,
  type SynapseDefinition
} from "../../../src/domain/wire/synapse.ts"
import type { AxonRoute, ServingAxon } from "../../../src/services/axon.ts"
import { replyOf } from "../../support/http-reply.ts"

/** Starts an axon on 127.0.0.2 (port 0) and returns it with a function that stops it. */
export const startAxon = async (config: Partial<AxonLive.AxonConfig> & { hotkey: string }, routes: ReadonlyArray<AxonRoute>) => {
  const scope = Effect.runSync(Scope.make())
  const axon: ServingAxon = await Effect.runPromise(
    AxonLive.make({ ...AxonLive.defaultAxonConfig, ip: "127.0.0.2", port: 0, ...config }, routes).pipe(Scope.extend(scope))
  )
  return { axon, stop: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

let lastNonce = 0n
/** A wall-clock ns nonce, strictly increasing within this test process. */
export const freshNonce = (offsetNs = 0n): bigint => {
  const now = BigInt(Date.now()) * 1_000_000n + offsetNs
  lastNonce = now > lastNonce ? now : lastNonce + 1n
  return lastNonce
}

/** A request as raw headers and JSON text, exactly as the SDK dendrite would send it. */
export interface RawRequest {
  readonly headers: Record<string, string>
  readonly body: string
}

/** Builds and signs a request by hand (the same steps as `Dendrite.preprocess_synapse_for_request`). */
export const signedRequest = <A, I>(options: {
  readonly definition: SynapseDefinition<A, I>
  readonly body: A
  readonly signer: Keypair
  readonly axonHotkey: string
  readonly nonce?: bigint
  readonly uuid?: string
  readonly timeout?: number
}): RawRequest => {
  const wire = Either.getOrThrow(encodeBody(options.definition, options.body))
  const bodyHash = wireBodyHash(options.definition, wire)
  const nonce = options.nonce ?? freshNonce()
  const uuid = options.uuid ?? crypto.randomUUID()
  const signature = signHex(
    options.signer,
    dendriteMessage({ nonce, dendriteHotkey: options.signer.ss58Address, axonHotkey: options.axonHotkey, uuid, bodyHash })
  )
  const envelope = {
    timeout: options.timeout ?? options.definition.defaultTimeout,
    dendrite: terminal({ ip: "203.0.113.7", version: 9012002, nonce, uuid, hotkey: options.signer.ss58Address, signature }),
    axon: terminal({ ip: "127.0.0.2", port: 8091, hotkey: options.axonHotkey })
  }
  return { headers: toHeaders(options.definition, envelope, wire, bodyHash), body: toJson(options.definition, envelope, wire) }
}

/** POSTs a raw request; returns status, parsed JSON body (or the text) and headers. */
export const post = async (axon: ServingAxon, name: string, request: RawRequest | { headers: Record<string, string>; body: string | ReadableStream<Uint8Array> }) => {
  const res = await fetch(`http://${axon.bound.ip}:${axon.bound.port}/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...request.headers },
    body: request.body
  })
  return replyOf(res)
}

/** Waits (polling) until `condition` holds; for synchronising with the server, not for timing. */
export const until = async (condition: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return
    await Bun.sleep(10)
  }
  throw new Error(`timed out waiting for ${what}`)
}
