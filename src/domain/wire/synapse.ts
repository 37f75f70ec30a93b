/**
 * The Bittensor synapse envelope on the wire, byte-compatible with the Python SDK (7.2+): body encoding
 * (Python `json.dumps(model_dump())`), body decoding, body hash, headers and the signed messages.
 * Nonces, uuids and hotkeys are always taken from headers: `JSON.parse` rounds a 19-digit body nonce.
 */
import { Either, ParseResult, Schema } from "effect"
import { bodyHash } from "./body-hash.ts"
import { parseLimitedJson, refusalText, type JsonLimits } from "./json-limits.ts"
import { pythonJson, pythonJsonString } from "./python-json.ts"
import { Py } from "./python-str.ts"
import type { SynapseDefinition, WireBody } from "./synapse-definition.ts"
import type { SynapseEnvelope } from "./synapse-headers.ts"
import { TERMINAL_FIELDS } from "./terminal-info.ts"

export type { AnySynapseDefinition, SynapseDefinition, WireBody } from "./synapse-definition.ts"
export {
  envelopeHeaders,
  inputObjPlaceholder,
  parseHeaders,
  SynapseHeaderError,
  toHeaders,
  type ParsedHeaders,
  type SynapseEnvelope
} from "./synapse-headers.ts"
export { emptyTerminal, terminal, TERMINAL_FIELDS, type TerminalInfo } from "./terminal-info.ts"

/** The `version_as_int` we claim (SDK 9.12.2): ≥ 7002000 selects wall-clock nonces at every axon. */
export const SDK_VERSION = 9012002

interface BodyCodec {
  readonly encode: (body: unknown) => Either.Either<WireBody, ParseResult.ParseError>
  readonly decode: (json: unknown) => Either.Either<unknown, ParseResult.ParseError>
}

// Building a Schema parser costs several times what running it does, and every request needs both.
const codecs = new WeakMap<Schema.Schema.Any, BodyCodec>()
const codecOf = (schema: Schema.Schema.Any): BodyCodec => {
  let codec = codecs.get(schema)
  if (codec === undefined) {
    codec = {
      encode: Schema.encodeEither(schema as Schema.Schema<unknown, WireBody>),
      decode: Schema.decodeUnknownEither(schema as Schema.Schema<unknown, unknown>, { errors: "first" })
    }
    codecs.set(schema, codec)
  }
  return codec
}

/** Encodes a body to its wire form (Redacted secrets become their plain strings, as the peer must hash them). */
export const encodeBody = <A, I>(definition: SynapseDefinition<A, I>, body: A): Either.Either<WireBody, ParseResult.ParseError> =>
  codecOf(definition.bodySchema).encode(body)

/** Decodes the subclass fields of a parsed JSON body; the error names the offending field. */
export const decodeBody = <A, I>(definition: SynapseDefinition<A, I>, json: unknown): Either.Either<A, ParseResult.ParseError> =>
  codecOf(definition.bodySchema).decode(json) as Either.Either<A, ParseResult.ParseError>

/** One line naming the first offending field of a body decoding error (`completions.0.cid: …`). */
export const bodyErrorMessage = (error: ParseResult.ParseError): string => {
  const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
  if (first === undefined) return error.message
  const path = first.path.map(String).join(".")
  return path === "" ? first.message : `${path}: ${first.message}`
}

/** The SDK `body_hash` of a wire body. */
export const wireBodyHash = <A, I>(definition: SynapseDefinition<A, I>, wire: WireBody): string =>
  bodyHash(definition.fields, definition.requiredHashFields, wire)

/**
 * Every body hash an axon accepts for a wire body: the `requiredHashFields` hash first (what every
 * Python peer of the class sends), then one per `alsoAcceptedHashFields` list.
 */
export const acceptedBodyHashes = <A, I>(definition: SynapseDefinition<A, I>, wire: WireBody): ReadonlyArray<string> => [
  wireBodyHash(definition, wire),
  ...(definition.alsoAcceptedHashFields ?? []).map((fields) => bodyHash(definition.fields, fields, wire))
]

const TERMINAL_TYPE = Py.model(TERMINAL_FIELDS)

/**
 * Renders bodies of one synapse value for many envelopes: the subclass fields are serialised once (a
 * fan-out to 256 axons differs only in the terminals). Output is exactly `toJson`'s.
 */
export const jsonRenderer = <A, I>(
  definition: SynapseDefinition<A, I>,
  wire: WireBody,
  computedBodyHash = ""
): ((envelope: SynapseEnvelope) => string) => {
  const own = Object.entries(definition.fields)
    .map(([k, t]) => `, ${pythonJsonString(k)}: ${pythonJson(t, wire[k])}`)
    .join("")
  const name = pythonJsonString(definition.name)
  const tail = `, "computed_body_hash": ${pythonJsonString(computedBodyHash)}${own}}`
  return (envelope) =>
    `{"name": ${name}, "timeout": ${pythonJson(Py.float, envelope.timeout)}, "total_size": 0, "header_size": 0, ` +
    `"dendrite": ${pythonJson(TERMINAL_TYPE, envelope.dendrite)}, "axon": ${pythonJson(TERMINAL_TYPE, envelope.axon)}${tail}`
}

/**
 * The JSON body a Python dendrite or axon sends: `json.dumps(model_dump())` of the whole synapse (base
 * fields, then the subclass fields in declaration order). `computed_body_hash` is "" on requests; the real
 * hash travels in the header.
 */
export const toJson = <A, I>(
  definition: SynapseDefinition<A, I>,
  envelope: SynapseEnvelope,
  wire: WireBody,
  computedBodyHash = ""
): string => jsonRenderer(definition, wire, computedBodyHash)(envelope)

/**
 * What a synapse body (a request at an axon, a reply at a dendrite) may contain, checked over the raw bytes
 * before parsing: our bodies nest 3 levels (synapse → completions → completion), list at most a few hundred
 * completions or miners, and carry prompts and completions of tens of KiB.
 */
export const SYNAPSE_JSON_LIMITS: JsonLimits = { maxDepth: 16, maxItems: 1024, maxStringBytes: 256 * 1024, maxNumberChars: 32 }

/**
 * Parses a synapse body (raw bytes) that must be a JSON object within `SYNAPSE_JSON_LIMITS`; the refusal
 * names the field. NaN/Infinity tokens (Python's non-JSON) are refused, as JSON.parse does.
 */
export const parseSynapseBody = (bytes: Uint8Array): Either.Either<Record<string, unknown>, string> =>
  Either.flatMap(Either.mapLeft(parseLimitedJson(bytes, SYNAPSE_JSON_LIMITS), refusalText), (value) =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? Either.right(value as Record<string, unknown>)
      : Either.left("body must be a JSON object")
  )

/**
 * Decodes a reply the way the SDK dendrite merges it: every mutable field from the reply, every immutable
 * field as we sent it (`sent` is our own wire body).
 */
export const mergeReply = <A, I>(
  definition: SynapseDefinition<A, I>,
  sent: WireBody,
  reply: Readonly<Record<string, unknown>>
): Either.Either<A, ParseResult.ParseError> => {
  const merged: Record<string, unknown> = { ...reply }
  for (const field of definition.immutableFields) merged[field] = sent[field]
  return decodeBody(definition, merged)
}

/** The parts of a dendrite's signed message. */
export interface DendriteMessageParts {
  readonly nonce: bigint
  readonly dendriteHotkey: string
  readonly axonHotkey: string
  readonly uuid: string
  readonly bodyHash: string
}

/** `{nonce}.{dendrite_hotkey}.{axon_hotkey}.{uuid}.{body_hash}`: what a dendrite signs for each request. */
export const dendriteMessage = (p: DendriteMessageParts): string =>
  `${p.nonce}.${p.dendriteHotkey}.${p.axonHotkey}.${p.uuid}.${p.bodyHash}`

/** `{axon_nonce}.{dendrite_hotkey}.{axon_hotkey}.{axon_uuid}`: what an SDK axon signs (nobody verifies it). */
export const axonMessage = (p: Omit<DendriteMessageParts, "bodyHash">): string =>
  `${p.nonce}.${p.dendriteHotkey}.${p.axonHotkey}.${p.uuid}`
