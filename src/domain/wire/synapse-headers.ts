/**
 * Synapse headers exactly as the SDK writes (`Synapse.to_headers`) and reads (`parse_headers_to_inputs`)
 * them: lowercase names, values as Python `str()`, one `bt_header_input_obj_*` placeholder per required field.
 */
import { Data, Either } from "effect"
import { pythonFloatRepr, pythonStr, type PyType } from "./python-str.ts"
import type { SynapseDefinition, WireBody } from "./synapse-definition.ts"
import { emptyTerminal, TERMINAL_FIELDS, type TerminalInfo } from "./terminal-info.ts"

/** The call-level state that travels beside the body. */
export interface SynapseEnvelope {
  /** Seconds. */
  readonly timeout: number
  readonly dendrite: TerminalInfo
  readonly axon: TerminalInfo
}

/** The empty value of a field's type, as `json.dumps(type(value)())` prints it. */
const emptyJson = (type: PyType, value: unknown): string => {
  switch (type._tag) {
    case "str":
      return '""'
    case "int":
      return "0"
    case "float":
      return "0.0"
    case "bool":
      return "false"
    case "list":
      return "[]"
    case "dict":
    case "model":
      return "{}"
    case "optional":
      return emptyJson(type.value, value)
    case "any":
      if (typeof value === "string") return '""'
      if (typeof value === "boolean") return "false"
      if (typeof value === "number") return Number.isInteger(value) ? "0" : "0.0"
      if (typeof value === "bigint") return "0"
      return Array.isArray(value) ? "[]" : "{}"
  }
}

/** The `bt_header_input_obj_<field>` value for a required field: base64 of the JSON of an empty value of its type. */
export const inputObjPlaceholder = (type: PyType, value: unknown): string => btoa(emptyJson(type, value))

const terminalHeaders = (prefix: string, info: TerminalInfo, out: Record<string, string>): void => {
  for (const [k, type] of Object.entries(TERMINAL_FIELDS)) {
    const v = info[k as keyof TerminalInfo]
    if (v !== null) out[`${prefix}${k}`] = pythonStr(type, v)
  }
}

/** The `name`, `timeout` and terminal headers of a synapse: all an error response carries. */
export const envelopeHeaders = (name: string, envelope: SynapseEnvelope): Record<string, string> => {
  const headers: Record<string, string> = { name, timeout: pythonFloatRepr(envelope.timeout) }
  terminalHeaders("bt_header_axon_", envelope.axon, headers)
  terminalHeaders("bt_header_dendrite_", envelope.dendrite, headers)
  return headers
}

/**
 * `Synapse.to_headers()`. `header_size` and `total_size` are Python memory sizes that nobody validates, so
 * they are sent as 0. `bodyHash` is the hash of `wire` (see `wireBodyHash`).
 */
export const toHeaders = <A, I>(
  definition: SynapseDefinition<A, I>,
  envelope: SynapseEnvelope,
  wire: WireBody,
  bodyHash: string
): Record<string, string> => {
  const headers = envelopeHeaders(definition.name, envelope)
  for (const field of Object.keys(definition.fields)) {
    const value = wire[field]
    if (value === null || value === undefined || !definition.requiredFields.includes(field)) continue
    headers[`bt_header_input_obj_${field}`] = inputObjPlaceholder(definition.fields[field] ?? { _tag: "any" }, value)
  }
  headers.header_size = "0"
  headers.total_size = "0"
  headers.computed_body_hash = bodyHash
  return headers
}

/** A header the SDK's pydantic model would have refused. */
export class SynapseHeaderError extends Data.TaggedError("SynapseHeaderError")<{
  readonly header: string
  readonly message: string
}> {}

/** What the headers say about a call. Absent headers are undefined / None. */
export interface ParsedHeaders {
  readonly name: string | undefined
  /** Seconds; undefined when the header is absent. */
  readonly timeout: number | undefined
  readonly computedBodyHash: string | undefined
  readonly dendrite: TerminalInfo
  readonly axon: TerminalInfo
}

const INT = /^\s*[+-]?\d+\s*$/
const FLOAT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/

const parseFloatHeader = (header: string, raw: string): Either.Either<number, SynapseHeaderError> => {
  const x = FLOAT.test(raw) ? Number(raw) : NaN
  return Number.isFinite(x)
    ? Either.right(x)
    : Either.left(new SynapseHeaderError({ header, message: `${header} must be a finite number` }))
}

const parseTerminalValue = (header: string, field: string, raw: string): Either.Either<unknown, SynapseHeaderError> => {
  const type = TERMINAL_FIELDS[field]
  const base = type?._tag === "optional" ? type.value : type
  if (base?._tag === "float") return parseFloatHeader(header, raw)
  if (base?._tag === "int") {
    if (!INT.test(raw)) return Either.left(new SynapseHeaderError({ header, message: `${header} must be an integer` }))
    const n = BigInt(raw.trim())
    if (field === "nonce") return Either.right(n)
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Either.right(Number(n))
      : Either.left(new SynapseHeaderError({ header, message: `${header} is out of range` }))
  }
  return Either.right(raw)
}

const AXON = "bt_header_axon_"
const DENDRITE = "bt_header_dendrite_"

/**
 * `Synapse.parse_headers_to_inputs` + the TerminalInfo validators: header names are matched by substring
 * (as the SDK does) and must be lowercase; unknown terminal fields are ignored; a malformed number fails.
 */
export const parseHeaders = (
  headers: Readonly<Record<string, string | undefined>>
): Either.Either<ParsedHeaders, SynapseHeaderError> => {
  const axon: Record<string, unknown> = { ...emptyTerminal }
  const dendrite: Record<string, unknown> = { ...emptyTerminal }
  for (const [key, raw] of Object.entries(headers)) {
    if (raw === undefined) continue
    const [target, at, prefix] = key.includes(AXON)
      ? [axon, key.indexOf(AXON), AXON]
      : key.includes(DENDRITE)
        ? [dendrite, key.indexOf(DENDRITE), DENDRITE]
        : [undefined, -1, ""]
    if (target === undefined) continue
    const field = key.slice(at + prefix.length)
    if (!(field in TERMINAL_FIELDS)) continue
    const value = parseTerminalValue(key, field, raw)
    if (Either.isLeft(value)) return Either.left(value.left)
    target[field] = value.right
  }
  let timeout: number | undefined
  if (headers.timeout !== undefined) {
    const parsed = parseFloatHeader("timeout", headers.timeout)
    if (Either.isLeft(parsed)) return Either.left(parsed.left)
    timeout = parsed.right
  }
  return Either.right({
    name: headers.name,
    timeout,
    computedBodyHash: headers.computed_body_hash,
    dendrite: dendrite as unknown as TerminalInfo,
    axon: axon as unknown as TerminalInfo
  })
}
