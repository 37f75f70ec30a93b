/**
 * What the wire needs to know about one synapse class: its name (the route), its own fields (an Effect
 * Schema for decoding plus the declared Python types for hashing and JSON), and which fields are hashed,
 * required (header placeholders) and immutable (a reply may not change them).
 */
import type { Schema } from "effect"
import type { PyFields } from "./python-str.ts"

/** A synapse subclass as both ends of the wire see it. */
export interface SynapseDefinition<A, I = unknown> {
  /** The Python class name: the route `/{name}` and the `name` header. */
  readonly name: string
  /** Decodes the subclass fields of a body (extra keys, such as the base Synapse fields, are ignored). */
  readonly bodySchema: Schema.Schema<A, I>
  /** The subclass fields in declaration order with their Python types (drives `str()` and `json.dumps`). */
  readonly fields: PyFields
  /** `required_hash_fields`, in hash order (declare them in field order to satisfy 6.x peers too). What a dendrite hashes. */
  readonly requiredHashFields: ReadonlyArray<string>
  /**
   * Further hash-field lists an axon accepts besides `requiredHashFields` (a peer whose class declares
   * more). The hash of `requiredHashFields` is always accepted; these only widen what passes.
   */
  readonly alsoAcceptedHashFields?: ReadonlyArray<ReadonlyArray<string>>
  /** Fields without a default: each gets a `bt_header_input_obj_<field>` placeholder header. */
  readonly requiredFields: ReadonlyArray<string>
  /** Fields a reply may not change: the dendrite keeps what it sent. */
  readonly immutableFields: ReadonlyArray<string>
  /** Seconds a caller waits by default. */
  readonly defaultTimeout: number
}

/** Any synapse definition, for collections of mixed synapses. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySynapseDefinition = SynapseDefinition<any, any>

/** The wire (model_dump) form of a synapse's own fields: the encoded side of its body Schema. */
export type WireBody = Readonly<Record<string, unknown>>
