/**
 * `TerminalInfo`: what a synapse carries about each end of a call (the `dendrite` and `axon` objects and
 * their `bt_header_dendrite_*` / `bt_header_axon_*` headers). Every field may be None, as in the SDK.
 * Nonces are about 1.7e18, above 2^53, so they are bigints.
 */
import { Py, type PyFields } from "./python-str.ts"

/** One end of a synapse call. `null` is Python's None. */
export interface TerminalInfo {
  readonly status_code: number | null
  readonly status_message: string | null
  /** Seconds. */
  readonly process_time: number | null
  readonly ip: string | null
  readonly port: number | null
  /** The SDK's `version_as_int` (maj·10⁶ + min·10³ + patch since 7.2). */
  readonly version: number | null
  /** Nanoseconds since the Unix epoch, wall clock. */
  readonly nonce: bigint | null
  readonly uuid: string | null
  /** SS58 address. */
  readonly hotkey: string | null
  /** `0x` + 128 hex digits (sr25519). */
  readonly signature: string | null
}

/** TerminalInfo's fields, in the SDK's declaration (and header) order, with their Python types. */
export const TERMINAL_FIELDS: PyFields = {
  status_code: Py.optional(Py.int),
  status_message: Py.optional(Py.str),
  process_time: Py.optional(Py.float),
  ip: Py.optional(Py.str),
  port: Py.optional(Py.int),
  version: Py.optional(Py.int),
  nonce: Py.optional(Py.int),
  uuid: Py.optional(Py.str),
  hotkey: Py.optional(Py.str),
  signature: Py.optional(Py.str)
}

/** A TerminalInfo with every field None. */
export const emptyTerminal: TerminalInfo = {
  status_code: null,
  status_message: null,
  process_time: null,
  ip: null,
  port: null,
  version: null,
  nonce: null,
  uuid: null,
  hotkey: null,
  signature: null
}

/** A TerminalInfo with the given fields set and the rest None. */
export const terminal = (fields: Partial<TerminalInfo>): TerminalInfo => ({ ...emptyTerminal, ...fields })
