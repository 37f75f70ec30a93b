import { describe, expect, test } from "bun:test"
import { Either, Redacted, Schema } from "effect"
import fc from "fast-check"
import type { MTurkResponse, RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { Py } from "../../../src/domain/wire/python-str.ts"
import {
  acceptedBodyHashes,
  axonMessage,
  dendriteMessage,
  encodeBody,
  mergeReply,
  parseHeaders,
  parseSynapseBody,
  terminal,
  toHeaders,
  toJson,
  wireBodyHash,
  type AnySynapseDefinition,
  type SynapseDefinition,
  type TerminalInfo
} from "../../../src/domain/wire/synapse.ts"
import { MTurkResponseSynapse, RankingRequestSynapse, RankingResultSynapse, dojoSynapses } from "../../../src/domain/wire/synapses.ts"
import { readVector } from "../../support/shared.ts"
import { TextSynapse, mixedSynapseFields, testRankingRequest } from "../../support/fixtures.ts"

/** The SDK vector classes, declared as their Python source declares them. */

const MixedBody = Schema.Record({ key: Schema.String, value: Schema.Unknown })
const MixedSynapse: SynapseDefinition<typeof MixedBody.Type, typeof MixedBody.Encoded> = {
  name: "MixedSynapse",
  bodySchema: MixedBody,
  fields: mixedSynapseFields,
  requiredHashFields: ["an_int", "a_float", "small_float", "big_float", "flag", "nothing", "scores", "nested", "quoted"],
  requiredFields: ["an_int"],
  immutableFields: [],
  defaultTimeout: 12
}

const withoutSizes = (h: Record<string, string>) => {
  const { header_size: _h, total_size: _t, ...rest } = h
  return rest
}

const hashVectors = readVector("synapse-body-hash.json").sdk_7_2_plus.cases as Array<{
  label: string
  json_body_model_dump: Record<string, unknown>
  body_hash: string
  headers_without_size_fields: Record<string, string>
}>

describe("headers: synapse-body-hash.json", () => {
  for (const c of hashVectors.filter((c) => c.label === "TextSynapse" || c.label === "MixedSynapse")) {
    test(c.label, () => {
      const def = c.label === "TextSynapse" ? TextSynapse : MixedSynapse
      const wire = c.json_body_model_dump
      const hash = wireBodyHash(def as AnySynapseDefinition, wire)
      expect(hash).toBe(c.body_hash)
      const headers = toHeaders(def as AnySynapseDefinition, { timeout: 12, dendrite: terminal({}), axon: terminal({}) }, wire, hash)
      expect(withoutSizes(headers)).toEqual(c.headers_without_size_fields)
      expect(Object.keys(withoutSizes(headers))).toEqual(Object.keys(c.headers_without_size_fields))
    })
  }

  test("MixedSynapse body prints floats, escapes and None as json.dumps does", () => {
    const c = hashVectors.find((c) => c.label === "MixedSynapse")!
    const json = toJson(MixedSynapse, { timeout: 12, dendrite: terminal({}), axon: terminal({}) }, c.json_body_model_dump)
    expect(JSON.parse(json)).toEqual(c.json_body_model_dump)
    for (const part of [
      '"timeout": 12.0',
      '"a_float": 3.0',
      '"small_float": 1e-05',
      '"big_float": 1e+16',
      '"scores": [0.5, 1.0, 2.25, 0.1]',
      '"nested": {"k": [1, 2], "b": null, "s": "x"}',
      '"quoted": "it\'s a \\"test\\"\\n\\tcaf\\u00e9 \\u2713 \\\\ end"'
    ])
      expect(json).toContain(part)
  })
})

interface SignedCase {
  inputs: {
    dendrite_nonce: number
    dendrite_uuid: string
    dendrite_hotkey: string
    axon_hotkey: string
    text: string
    dendrite_version: number
    timeout: number
  }
  body_hash: string
  dendrite_signed_message: string
  dendrite_signed_message_utf8_hex: string
  request_headers_as_sent_with_placeholder_signature: Record<string, string>
  request_json_body: Record<string, any>
  axon_inputs: { axon_nonce: number; axon_uuid: string }
  axon_signed_message: string
}

const signed = readVector("signed-messages.json").cases as SignedCase[]
/** The exact 19-digit nonce as written in the vector (JSON.parse would round it). */
const exactNonce = (message: string) => BigInt(message.split(".")[0]!)

describe("signed messages: signed-messages.json", () => {
  for (const [i, c] of signed.entries()) {
    test(`case ${i}: messages, headers and body as the SDK dendrite sends them`, () => {
      const nonce = exactNonce(c.dendrite_signed_message)
      const wire = { text: c.inputs.text }
      const hash = wireBodyHash(TextSynapse, wire)
      expect(hash).toBe(c.body_hash)
      const message = dendriteMessage({
        nonce,
        dendriteHotkey: c.inputs.dendrite_hotkey,
        axonHotkey: c.inputs.axon_hotkey,
        uuid: c.inputs.dendrite_uuid,
        bodyHash: hash
      })
      expect(message).toBe(c.dendrite_signed_message)
      expect(Buffer.from(message, "utf8").toString("hex")).toBe(c.dendrite_signed_message_utf8_hex)
      expect(
        axonMessage({
          nonce: exactNonce(c.axon_signed_message),
          dendriteHotkey: c.inputs.dendrite_hotkey,
          axonHotkey: c.inputs.axon_hotkey,
          uuid: c.axon_inputs.axon_uuid
        })
      ).toBe(c.axon_signed_message)

      const sent = c.request_headers_as_sent_with_placeholder_signature
      const envelope = {
        timeout: c.inputs.timeout,
        dendrite: terminal({
          ip: sent.bt_header_dendrite_ip!,
          version: c.inputs.dendrite_version,
          nonce,
          uuid: c.inputs.dendrite_uuid,
          hotkey: c.inputs.dendrite_hotkey,
          signature: sent.bt_header_dendrite_signature!
        }),
        axon: terminal({ ip: sent.bt_header_axon_ip!, port: Number(sent.bt_header_axon_port), hotkey: c.inputs.axon_hotkey })
      }
      const headers = toHeaders(TextSynapse, envelope, wire, hash)
      expect(withoutSizes(headers)).toEqual(sent)
      expect(Object.keys(withoutSizes(headers))).toEqual(Object.keys(sent))

      const json = toJson(TextSynapse, envelope, wire)
      const parsed = JSON.parse(json)
      expect(parsed).toEqual({ ...c.request_json_body, total_size: 0 })
      expect(Object.keys(parsed)).toEqual(Object.keys(c.request_json_body))
      expect(Object.keys(parsed.dendrite)).toEqual(Object.keys(c.request_json_body.dendrite))
      expect(json).toContain(`"nonce": ${nonce}, `)
      expect(json).toContain(`"timeout": ${c.inputs.timeout.toFixed(1)}, `)
      // json.dumps separators: ", " and ": " everywhere (no string here holds a comma or colon).
      expect(/[,:][^ ]/.test(json)).toBe(false)

      // What the axon reads back from those headers.
      const back = Either.getOrThrow(parseHeaders(sent))
      expect(back.dendrite).toEqual(envelope.dendrite)
      expect(back.axon).toEqual(envelope.axon)
      expect(back.timeout).toBe(c.inputs.timeout)
      expect(back.computedBodyHash).toBe(hash)
    })
  }
})

// The texts carry quotes, a non-ASCII letter and a newline: what Python's str() escapes.
const rankingRequest: RankingRequest = testRankingRequest({
  epoch_timestamp: 1718000000,
  prompt: `Which is better? it's "tricky"`,
  completions: [
    { cid: "a", text: "x 'y'" },
    { cid: "b", text: "café\n" }
  ]
})

describe("Dojo synapses", () => {
  test("every schema field has a declared Python type and the field lists name declared fields, hash fields in field order", () => {
    const samples: Record<string, unknown> = {
      RankingRequest: rankingRequest,
      RankingResult: { request_id: "r", cid_to_consensus: {}, hotkey_to_score: {} },
      MTurkResponse: { mturk_hit_id: "h", aws_credentials: null, completion_id_to_score: {}, request_id: null }
    }
    for (const def of dojoSynapses) {
      const wire = Either.getOrThrow(encodeBody(def as AnySynapseDefinition, samples[def.name]))
      const declared = Object.keys(def.fields)
      expect(Object.keys(wire).sort()).toEqual([...declared].sort())
      for (const f of [...def.requiredHashFields, ...def.requiredFields, ...def.immutableFields]) expect(declared).toContain(f)
      const positions = def.requiredHashFields.map((f) => declared.indexOf(f))
      expect(positions).toEqual([...positions].sort((a, b) => a - b))
    }
  })

  test("RankingRequest hashes as Python str() would (reference computed with CPython 3.11)", () => {
    const wire = Either.getOrThrow(encodeBody(RankingRequestSynapse, rankingRequest))
    // The Python Dojo class declares no hash fields: every Python peer sends sha3-256 of "".
    expect(wireBodyHash(RankingRequestSynapse, wire)).toBe("a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a")
    // The fuller hash our own neurons may send is still accepted (reference computed with CPython 3.11).
    expect(acceptedBodyHashes(RankingRequestSynapse, wire)[0]).toBe("a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a")
    expect(acceptedBodyHashes(RankingRequestSynapse, wire)).toContain("35dfa442c7004719125ecc29451bb4538120bfe6ebac3ddb63b826305916e635")
    const headers = toHeaders(RankingRequestSynapse, { timeout: 30, dendrite: terminal({}), axon: terminal({}) }, wire, "h")
    expect(headers.bt_header_input_obj_prompt).toBe("IiI=")
    expect(headers.bt_header_input_obj_n_completions).toBe("MA==")
    expect(headers.bt_header_input_obj_completions).toBe("W10=")
    expect(headers.bt_header_input_obj_ranks).toBeUndefined()
    expect(headers.timeout).toBe("30.0")
  })

  test("RankingResult hashes its dicts of floats as Python reprs", () => {
    const wire = Either.getOrThrow(
      encodeBody(RankingResultSynapse, { request_id: "req-1", cid_to_consensus: { a: 0.5, b: 1 }, hotkey_to_score: { "5Grw": 0.25 } })
    )
    // The Python Dojo class declares no hash fields: every Python peer sends sha3-256 of "".
    expect(wireBodyHash(RankingResultSynapse, wire)).toBe("a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a")
    // The fuller hash our own neurons may send is still accepted (reference computed with CPython 3.11).
    expect(acceptedBodyHashes(RankingResultSynapse, wire)[0]).toBe("a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a")
    expect(acceptedBodyHashes(RankingResultSynapse, wire)).toContain("ca106d3e3a3c673d9f509c93509b0dd83d2a0947c0769a8f88a8ffef3b0ceef4")
    const headers = toHeaders(RankingResultSynapse, { timeout: 12, dendrite: terminal({}), axon: terminal({}) }, wire, "h")
    expect(headers.bt_header_input_obj_cid_to_consensus).toBe("e30=")
    expect(headers.bt_header_input_obj_request_id).toBe("IiI=")
  })

  test("MTurkResponse: Redacted credentials hash and serialise as their plain strings", () => {
    const body: MTurkResponse = {
      mturk_hit_id: "HIT1",
      aws_credentials: {
        access_key_id: "AKIA1",
        secret_access_key: Redacted.make("SECRET/KEY"),
        session_token: Redacted.make("TOKEN"),
        access_expiration: "2024-03-14T00:00:00Z",
        environment: "sandbox"
      },
      completion_id_to_score: { a: 3 },
      request_id: null
    }
    const wire = Either.getOrThrow(encodeBody(MTurkResponseSynapse, body))
    // The Python Dojo class declares no hash fields: every Python peer sends sha3-256 of "".
    expect(wireBodyHash(MTurkResponseSynapse, wire)).toBe("a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a")
    // The fuller hash our own neurons may send is still accepted (reference computed with CPython 3.11).
    expect(acceptedBodyHashes(MTurkResponseSynapse, wire)[0]).toBe("a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a")
    expect(acceptedBodyHashes(MTurkResponseSynapse, wire)).toContain("79a46f1043ddd9f86659235c9dca6cc260efdccd06541392c6d11cb75c246aa2")
    const json = toJson(MTurkResponseSynapse, { timeout: 60, dendrite: terminal({}), axon: terminal({}) }, wire)
    expect(json).toContain('"secret_access_key": "SECRET/KEY"')
    expect(json).toContain('"completion_id_to_score": {"a": 3.0}')
    expect(String(body.aws_credentials?.secret_access_key)).not.toContain("SECRET")
  })

  test("mergeReply keeps immutable fields as sent and takes mutable ones (model_config_ accepted) from the reply", () => {
    const wire = Either.getOrThrow(encodeBody(RankingRequestSynapse, rankingRequest))
    const reply = JSON.parse(toJson(RankingRequestSynapse, { timeout: 30, dendrite: terminal({}), axon: terminal({}) }, wire))
    reply.prompt = "tampered"
    reply.completions = [{ cid: "zz", text: "evil" }]
    reply.ranks = [{ cid: "a", score: 0.9 }, { cid: "b" }]
    reply.scoring_method = "hf_model"
    delete reply.model_config
    reply.model_config_ = { model_name: "m" }
    const merged = Either.getOrThrow(mergeReply(RankingRequestSynapse, wire, reply))
    expect(merged.prompt).toBe(rankingRequest.prompt)
    expect(merged.completions).toEqual(rankingRequest.completions)
    expect(merged.ranks).toEqual([{ cid: "a", score: 0.9 }, { cid: "b", score: 0 }])
    expect(merged.scoring_method).toBe("hf_model")
    expect(merged.model_config).toEqual({ provider: null, model_name: "m" })
  })

  test("parseSynapseBody refuses NaN/Infinity tokens and non-objects", () => {
    const parseJsonObject = (text: string) => parseSynapseBody(new TextEncoder().encode(text))
    expect(Either.isLeft(parseJsonObject('{"a": NaN}'))).toBe(true)
    expect(Either.isLeft(parseJsonObject('{"a": Infinity}'))).toBe(true)
    expect(Either.isLeft(parseJsonObject("[1]"))).toBe(true)
    expect(Either.getOrThrow(parseJsonObject('{"a": 1.5}'))).toEqual({ a: 1.5 })
  })
})

describe("parseHeaders", () => {
  const headerText = fc.string({ unit: fc.constantFrom(..."abcXYZ019 .-_:/=+") })
  const info: fc.Arbitrary<TerminalInfo> = fc.record({
    status_code: fc.option(fc.integer({ min: 0, max: 999 }), { nil: null }),
    status_message: fc.option(headerText, { nil: null }),
    process_time: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
    ip: fc.option(headerText, { nil: null }),
    port: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: null }),
    version: fc.option(fc.integer({ min: 0, max: 99_999_999 }), { nil: null }),
    nonce: fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { nil: null }),
    uuid: fc.option(headerText, { nil: null }),
    hotkey: fc.option(headerText, { nil: null }),
    signature: fc.option(headerText, { nil: null })
  })

  test("reads back every TerminalInfo that toHeaders wrote (exact nonces, Python float reprs)", () => {
    fc.assert(
      fc.property(info, info, fc.double({ min: 0, max: 1e6, noNaN: true }), (dendrite, axon, timeout) => {
        const headers = toHeaders(TextSynapse, { timeout, dendrite, axon }, { text: "t" }, "h")
        const back = Either.getOrThrow(parseHeaders(headers))
        expect(back.dendrite).toEqual(dendrite)
        expect(back.axon).toEqual(axon)
        expect(back.timeout).toBe(timeout)
        expect(back.name).toBe("TextSynapse")
      }),
      { numRuns: 300 }
    )
  })

  test("a malformed number names its header", () => {
    const bad = parseHeaders({ name: "X", bt_header_dendrite_nonce: "12a" })
    expect(Either.isLeft(bad) && bad.left.header).toBe("bt_header_dendrite_nonce")
    const badTimeout = parseHeaders({ timeout: "nan" })
    expect(Either.isLeft(badTimeout) && badTimeout.left.header).toBe("timeout")
    expect(Either.getOrThrow(parseHeaders({ bt_header_axon_unknown: "x", other: "y" })).axon).toEqual(terminal({}))
  })
})
