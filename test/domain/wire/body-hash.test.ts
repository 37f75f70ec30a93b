import { describe, expect, test } from "bun:test"
import { bodyHash, fieldHashes, sha3Hex } from "../../../src/domain/wire/body-hash.ts"
import { Py, type PyFields } from "../../../src/domain/wire/python-str.ts"
import { mixedSynapseFields } from "../../support/fixtures.ts"
import { readVector } from "../../support/shared.ts"

/** The declared Python types of the SDK vector classes (as their Python source declares them). */
const classFields: Record<string, PyFields> = {
  TextSynapse: { text: Py.str },
  ChatSynapse: {
    roles: Py.list(Py.str),
    messages: Py.list(Py.dict(Py.str)),
    temperature: Py.float,
    completion: Py.optional(Py.str)
  },
  MixedSynapse: mixedSynapseFields,
  NoHashSynapse: { query: Py.str }
}

interface Case {
  label: string
  synapse_class: string
  required_hash_fields_in_hash_order: string[]
  json_body_model_dump?: Record<string, unknown>
  json_body_dict?: Record<string, unknown>
  per_field: Array<{ field: string; python_str: string; sha3_256_hex: string }>
  concatenated_hex: string
  body_hash: string
}

const vectors = readVector<{ sdk_7_2_plus: { cases: Case[] }; sdk_6_x: { cases: Case[] } }>("synapse-body-hash.json")
const allCases = [...vectors.sdk_7_2_plus.cases, ...vectors.sdk_6_x.cases]

describe("body hash: synapse-body-hash.json", () => {
  test("sha3 of the empty string", () => {
    expect(sha3Hex("")).toBe("a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a")
  })

  for (const c of allCases) {
    test(`${c.label} (${c.required_hash_fields_in_hash_order.join(", ") || "no fields"})`, () => {
      const fields = classFields[c.synapse_class]
      expect(fields).toBeDefined()
      const body = (c.json_body_model_dump ?? c.json_body_dict) as Record<string, unknown>
      const got = fieldHashes(fields as PyFields, c.required_hash_fields_in_hash_order, body)
      expect(got.map((h) => [h.field, h.pythonStr, h.sha3])).toEqual(
        c.per_field.map((f) => [f.field, f.python_str, f.sha3_256_hex])
      )
      expect(got.map((h) => h.sha3).join("")).toBe(c.concatenated_hex)
      expect(bodyHash(fields as PyFields, c.required_hash_fields_in_hash_order, body)).toBe(c.body_hash)
    })
  }
})
