/**
 * The live Dendrite over `@effect/platform`'s HttpClient (fetch on Bun, which keeps connections alive).
 * Requests are built exactly as the SDK's dendrite builds them: wall-clock ns nonces, strictly increasing
 * per instance; one uuid1 per instance; version ≥ 7002000; the message
 * `{nonce}.{our hotkey}.{axon hotkey}.{uuid}.{body hash}` signed with our hotkey.
 */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { Clock, Duration, Effect, Either, Layer, Option } from "effect"
import type { Keypair } from "../domain/keypair.ts"
import {
  bodyErrorMessage,
  dendriteMessage,
  emptyTerminal,
  encodeBody,
  mergeReply,
  parseHeaders,
  parseJsonObject,
  SDK_VERSION,
  terminal,
  toHeaders,
  toJson,
  wireBodyHash,
  type SynapseDefinition,
  type TerminalInfo,
  type WireBody
} from "../domain/synapse.ts"
import { uuid1 } from "../domain/uuid1.ts"
import { Dendrite, type DendriteCallOptions, type DendriteResponse, type DendriteTarget } from "../services/dendrite.ts"
import { signHex } from "./sr25519.ts"

/** Who we are on the wire. */
export interface DendriteConfig {
  /** Our hotkey (with its secret): every request is signed with it. */
  readonly hotkey: Keypair
  /** Our external ip, sent as `bt_header_dendrite_ip` (the SDK always sends one; optional here). */
  readonly externalIp?: string | undefined
  /** The `version_as_int` we claim; must be ≥ 7002000 for wall-clock nonces to be accepted. */
  readonly version?: number | undefined
}

const urlOf = (target: DendriteTarget, name: string) =>
  `http://${target.ip.includes(":") ? `[${target.ip}]` : target.ip}:${target.port}/${name}`

/** Builds the Dendrite service; needs an HttpClient. */
export const make = (config: DendriteConfig) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const hotkey = config.hotkey.ss58Address
    const uuid = uuid1(yield* Clock.currentTimeNanos, crypto.getRandomValues(new Uint8Array(8)))
    const version = config.version ?? SDK_VERSION
    let lastNonce = 0n
    const nextNonce = Effect.map(Clock.currentTimeNanos, (now) => {
      lastNonce = now > lastNonce ? now : lastNonce + 1n
      return lastNonce
    })

    /** Sends one prepared body to one target and turns every outcome into a response. */
    const send = <A, I>(
      target: DendriteTarget,
      definition: SynapseDefinition<A, I>,
      wire: WireBody,
      bodyHash: string,
      timeout: number
    ): Effect.Effect<DendriteResponse<A>> =>
      Effect.gen(function* () {
        const nonce = yield* nextNonce
        const signature = signHex(config.hotkey, dendriteMessage({ nonce, dendriteHotkey: hotkey, axonHotkey: target.hotkey, uuid, bodyHash }))
        const envelope = {
          timeout,
          dendrite: terminal({ ip: config.externalIp ?? null, version, nonce, uuid, hotkey, signature }),
          axon: terminal({ ip: target.ip, port: target.port, hotkey: target.hotkey })
        }
        const request = HttpClientRequest.post(urlOf(target, definition.name)).pipe(
          HttpClientRequest.setHeaders(toHeaders(definition, envelope, wire, bodyHash)),
          HttpClientRequest.bodyText(toJson(definition, envelope, wire), "application/json")
        )
        const start = yield* Clock.currentTimeNanos
        const outcome = yield* client.execute(request).pipe(
          Effect.flatMap((response) => Effect.map(response.text, (text) => ({ response, text }))),
          Effect.timeoutFail({ duration: Duration.millis(timeout * 1000), onTimeout: () => "timeout" as const }),
          Effect.either
        )
        const processTime = Number((yield* Clock.currentTimeNanos) - start) / 1e9
        const result = (statusCode: number, statusMessage: string, body: Option.Option<A>, axon: TerminalInfo): DendriteResponse<A> => ({
          target,
          statusCode,
          statusMessage,
          processTime,
          body,
          axon
        })
        if (Either.isLeft(outcome)) {
          const error = outcome.left
          if (error === "timeout") return result(408, `Request timeout after ${timeout} seconds`, Option.none(), emptyTerminal)
          if (error._tag === "RequestError")
            return result(503, `Service unavailable at ${target.ip}:${target.port}/${definition.name}`, Option.none(), emptyTerminal)
          return result(422, `Failed to parse response: ${error.message}`, Option.none(), emptyTerminal)
        }
        const { response, text } = outcome.right
        const axon = Either.getOrElse(parseHeaders(response.headers), () => null)?.axon ?? emptyTerminal
        const json = parseJsonObject(text)
        if (response.status !== 200) {
          const message = Either.isRight(json) && typeof json.right.message === "string" ? json.right.message : text.slice(0, 512)
          return result(response.status, message, Option.none(), axon)
        }
        if (Either.isLeft(json)) return result(422, `Failed to parse response: ${json.left}`, Option.none(), axon)
        const merged = mergeReply(definition, wire, json.right)
        if (Either.isLeft(merged)) return result(422, `Failed to parse response: ${bodyErrorMessage(merged.left)}`, Option.none(), axon)
        return result(200, axon.status_message ?? "Success", Option.some(merged.right), axon)
      })

    /** Encodes and hashes a body once for any number of targets. */
    const prepare = <A, I>(definition: SynapseDefinition<A, I>, body: A) =>
      Either.map(encodeBody(definition, body), (wire) => ({ wire, bodyHash: wireBodyHash(definition, wire) }))

    const unencodable = <A>(target: DendriteTarget, definition: { readonly name: string }, message: string): DendriteResponse<A> => ({
      target,
      statusCode: 400,
      statusMessage: `Request body does not match ${definition.name}: ${message}`,
      processTime: 0,
      body: Option.none(),
      axon: emptyTerminal
    })

    const call = <A, I>(target: DendriteTarget, definition: SynapseDefinition<A, I>, body: A, options?: DendriteCallOptions) => {
      const prepared = prepare(definition, body)
      if (Either.isLeft(prepared)) return Effect.succeed(unencodable<A>(target, definition, bodyErrorMessage(prepared.left)))
      return send(target, definition, prepared.right.wire, prepared.right.bodyHash, options?.timeout ?? definition.defaultTimeout)
    }

    const callMany = <A, I>(
      targets: Iterable<DendriteTarget>,
      definition: SynapseDefinition<A, I>,
      body: A,
      options?: DendriteCallOptions & { readonly concurrency?: number | undefined }
    ) => {
      const list = Array.from(targets)
      const prepared = prepare(definition, body)
      if (Either.isLeft(prepared)) {
        const message = bodyErrorMessage(prepared.left)
        return Effect.succeed(list.map((t) => unencodable<A>(t, definition, message)))
      }
      const timeout = options?.timeout ?? definition.defaultTimeout
      return Effect.forEach(list, (t) => send(t, definition, prepared.right.wire, prepared.right.bodyHash, timeout), {
        concurrency: options?.concurrency ?? "unbounded"
      })
    }

    return Dendrite.of({ hotkey, uuid, call, callMany })
  })

/** The Dendrite service over a given HttpClient. */
export const layer = (config: DendriteConfig): Layer.Layer<Dendrite, never, HttpClient.HttpClient> =>
  Layer.effect(Dendrite, make(config))

/** The Dendrite service over fetch. */
export const layerFetch = (config: DendriteConfig): Layer.Layer<Dendrite> => layer(config).pipe(Layer.provide(FetchHttpClient.layer))
