/**
 * A request built exactly as the Python SDK's dendrite sends it (the signed-messages.json headers and body,
 * with a fresh nonce and a real signature by the vector's dendrite key) is accepted, and the reply has what
 * a Python dendrite needs. Then: any mutation of what the signature and body hash cover is refused.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import fc from "fast-check"
import { keypairFromMnemonic, signHex } from "../../../src/adapters/wallet/sr25519.ts"
import type { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { dendriteMessage } from "../../../src/domain/wire/synapse.ts"
import { RankingRequestSynapse } from "../../../src/domain/wire/synapses.ts"
import { axonRoute, type ServingAxon } from "../../../src/services/axon.ts"
import { readVector } from "../../support/shared.ts"
import { freshNonce, post, signedRequest, startAxon } from "./axon-fixture.ts"
import { TextSynapse, testRankingRequest } from "../../support/fixtures.ts"


const keys = readVector("keyfile-nacl.json").keys as Array<{ mnemonic: string; ss58_address_format42: string }>
const vector = readVector("signed-messages.json").cases[0] as {
  inputs: { dendrite_uuid: string; dendrite_hotkey: string; axon_hotkey: string; text: string }
  body_hash: string
  request_headers_as_sent_with_placeholder_signature: Record<string, string>
  request_json_body: Record<string, any>
}
const dendriteKey = keypairFromMnemonic(keys[0]!.mnemonic)
const axonKey = keypairFromMnemonic(keys[1]!.mnemonic)

let served: { axon: ServingAxon; stop: () => Promise<void> }
beforeAll(async () => {
  served = await startAxon({ hotkey: axonKey.ss58Address }, [
    axonRoute(TextSynapse, { forward: (_, body) => Effect.succeed({ text: `${body.text}!` }) }),
    axonRoute(RankingRequestSynapse, { forward: (_, body) => Effect.succeed(body) })
  ])
})
afterAll(() => served.stop())

describe("interop with a Python dendrite", () => {
  test("the vector's keys are the vector's hotkeys", () => {
    expect(dendriteKey.ss58Address).toBe(vector.inputs.dendrite_hotkey)
    expect(axonKey.ss58Address).toBe(vector.inputs.axon_hotkey)
  })

  test("a request shaped exactly like signed-messages.json, really signed, is accepted", async () => {
    const nonce = freshNonce()
    const signature = signHex(
      dendriteKey,
      dendriteMessage({
        nonce,
        dendriteHotkey: vector.inputs.dendrite_hotkey,
        axonHotkey: vector.inputs.axon_hotkey,
        uuid: vector.inputs.dendrite_uuid,
        bodyHash: vector.body_hash
      })
    )
    const headers = {
      ...vector.request_headers_as_sent_with_placeholder_signature,
      bt_header_dendrite_nonce: String(nonce),
      bt_header_dendrite_signature: signature,
      header_size: "640",
      total_size: "2987"
    }
    const body = { ...vector.request_json_body, dendrite: { ...vector.request_json_body.dendrite, nonce: 0, signature } }
    // JSON.parse rounded the vector's nonce; write ours back exactly, as a bare 19-digit number.
    const text = JSON.stringify(body).replace('"nonce":0', `"nonce":${nonce}`)
    const res = await post(served.axon, "TextSynapse", { headers, body: text })
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("application/json")
    expect(res.headers.get("bt_header_axon_status_code")).toBe("200")
    expect(res.headers.get("bt_header_axon_status_message")).toBe("Success")
    expect(res.headers.get("bt_header_dendrite_nonce")).toBe(String(nonce))
    expect(res.json.text).toBe(`${vector.inputs.text}!`)
    expect(res.json.name).toBe("TextSynapse")
    expect(res.json.axon.status_code).toBe(200)
    expect(res.json.dendrite.hotkey).toBe(vector.inputs.dendrite_hotkey)
  })
})

const base: RankingRequest = testRankingRequest()

/** Flips one character of a string to another printable ASCII character. */
const flip = (s: string, at: number, to: string) => {
  const i = at % Math.max(1, s.length)
  const replacement = s[i] === to ? (to === "a" ? "b" : "a") : to
  return s.slice(0, i) + replacement + s.slice(i + 1)
}

type Mutation =
  | { kind: "header"; header: string; at: number; to: string }
  | { kind: "drop"; header: string }
  | { kind: "body"; field: "epoch_timestamp" | "request_id" | "prompt" | "completion" ; at: number; to: string }

const signedHeaders = ["bt_header_dendrite_nonce", "bt_header_dendrite_uuid", "bt_header_dendrite_hotkey", "bt_header_dendrite_signature", "computed_body_hash"]
const printable = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)).filter((c) => c !== '"' && c !== "\\")
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("header" as const), header: fc.constantFrom(...signedHeaders), at: fc.nat(200), to: printable }),
  fc.record({ kind: fc.constant("drop" as const), header: fc.constantFrom(...signedHeaders) }),
  fc.record({ kind: fc.constant("body" as const), field: fc.constantFrom("epoch_timestamp" as const, "request_id" as const, "prompt" as const, "completion" as const), at: fc.nat(50), to: printable })
)

const mutateBody = (b: RankingRequest, m: Extract<Mutation, { kind: "body" }>): RankingRequest => {
  switch (m.field) {
    case "epoch_timestamp":
      return { ...b, epoch_timestamp: b.epoch_timestamp + 1 + m.at }
    case "request_id":
      return { ...b, request_id: flip(b.request_id, m.at, m.to) }
    case "prompt":
      return { ...b, prompt: flip(b.prompt, m.at, m.to) }
    case "completion":
      return { ...b, completions: [{ cid: "a", text: flip("x", m.at, m.to) }, { cid: "b", text: "y" }] }
  }
}

// The Python Dojo classes hash no body field; the axon also accepts a hash over the immutable fields,
// and a request signed that way binds its body: that is the mode this property exercises.
const fuller = { ...RankingRequestSynapse, requiredHashFields: RankingRequestSynapse.alsoAcceptedHashFields![0]! }

describe("any mutation of the signed content is refused", () => {
  test("mutated header or hashed body field (immutable-field hash) → never 200 (and the unmutated request is accepted)", async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const original = signedRequest({ definition: fuller, body: base, signer: dendriteKey, axonHotkey: axonKey.ss58Address })
        let mutated = original
        if (m.kind === "header") {
          const value = original.headers[m.header]!
          mutated = { ...original, headers: { ...original.headers, [m.header]: flip(value, m.at, m.to) } }
        } else if (m.kind === "drop") {
          const { [m.header]: _, ...rest } = original.headers
          mutated = { ...original, headers: rest }
        } else {
          // Re-serialise a changed body under the original headers (what a man in the middle would send).
          const forged = signedRequest({ definition: fuller, body: mutateBody(base, m), signer: dendriteKey, axonHotkey: axonKey.ss58Address })
          mutated = { headers: original.headers, body: forged.body }
        }
        const res = await post(served.axon, "RankingRequest", mutated)
        expect(res.status).not.toBe(200)
        expect([400, 401]).toContain(res.status)
        // Control: the same request untouched (fresh session, so nothing was consumed) is accepted.
        const control = signedRequest({ definition: RankingRequestSynapse, body: base, signer: dendriteKey, axonHotkey: axonKey.ss58Address })
        expect((await post(served.axon, "RankingRequest", control)).status).toBe(200)
      }),
      { numRuns: 40 }
    )
  })
})
