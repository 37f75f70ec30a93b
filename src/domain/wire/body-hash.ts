/**
 * The Bittensor synapse body hash (`Synapse.body_hash`): sha3-256 hex over the concatenated sha3-256 hex
 * of Python `str()` of each required hash field, in `required_hash_fields` order.
 */
import { createHash } from "node:crypto"
import { pythonStr, type PyFields } from "./python-str.ts"

/** Lowercase sha3-256 hex of a string's UTF-8 bytes (Bittensor's `get_hash`). */
export const sha3Hex = (text: string): string => createHash("sha3-256").update(text, "utf8").digest("hex")

/** One hashed field: its Python `str()` and that string's sha3-256 hex. */
export interface FieldHash {
  readonly field: string
  readonly pythonStr: string
  readonly sha3: string
}

/** The per-field strings and hashes, in hash order (exposed for tests and diagnostics). */
export const fieldHashes = (
  fields: PyFields,
  hashFields: ReadonlyArray<string>,
  values: Readonly<Record<string, unknown>>
): ReadonlyArray<FieldHash> =>
  hashFields.map((field) => {
    const text = pythonStr(fields[field] ?? { _tag: "any" }, values[field])
    return { field, pythonStr: text, sha3: sha3Hex(text) }
  })

/** The body hash of the wire (model_dump) values of a synapse's fields. */
export const bodyHash = (
  fields: PyFields,
  hashFields: ReadonlyArray<string>,
  values: Readonly<Record<string, unknown>>
): string => sha3Hex(fieldHashes(fields, hashFields, values).map((h) => h.sha3).join(""))
