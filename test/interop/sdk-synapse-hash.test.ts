/**
 * Body hash and required-field headers, differentially against the real Python SDK (10.5.0 and
 * 9.12.2): Dojo's synapses declared as a Python operator declares them, built and hashed by the SDK's
 * own `Synapse`, on generated text (unicode, escapes, empty, long), must give our exact values.
 */
import { describe, expect, test } from "bun:test"
import { Either } from "effect"
import fc from "fast-check"
import { encodeBody, terminal, wireBodyHash } from "../../src/domain/wire/synapse.ts"
import { toHeaders } from "../../src/domain/wire/synapse-headers.ts"
import { MTurkResponseSynapse, RankingRequestSynapse, RankingResultSynapse } from "../../src/domain/wire/synapses.ts"
import { type PythonEnvName, pythonEnv, peerResult, runPython } from "../support/python-env.ts"

const text = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary", maxLength: 200 }), fc.constant(""), fc.constant("a\"b'c\\d\n\t\r\u0000\u00e9\u{1F600}"))
const score = fc.double({ min: 0, max: 1, noNaN: true })

const cases = fc.sample(
  fc.oneof(
    fc.record({
      name: fc.constant("RankingRequest" as const),
      fields: fc.record({
        epoch_timestamp: fc.double({ min: 0, max: 2e9, noNaN: true }),
        request_id: text,
        prompt: text,
        completions: fc.array(text, { minLength: 1, maxLength: 4 }).map((texts) => texts.map((t, i) => ({ cid: `c${i}`, text: t })))
      }).map((f) => ({ ...f, n_completions: f.completions.length }))
    }),
    fc.record({
      name: fc.constant("RankingResult" as const),
      fields: fc.record({ request_id: text, cid_to_consensus: fc.dictionary(fc.string({ minLength: 1 }), score), hotkey_to_score: fc.dictionary(fc.string({ minLength: 1 }), score) })
    }),
    fc.record({
      name: fc.constant("MTurkResponse" as const),
      // An empty HIT id names nothing MTurk could verify: we refuse it with 400 (stricter than Python's str).
      fields: fc.record({ mturk_hit_id: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== ""), completion_id_to_score: fc.dictionary(fc.string({ minLength: 1 }), score) })
    })
  ),
  { numRuns: 150, seed: 16 }
)

const definitions = { RankingRequest: RankingRequestSynapse, RankingResult: RankingResultSynapse, MTurkResponse: MTurkResponseSynapse } as const

const ours = (c: (typeof cases)[number]) => {
  const definition = definitions[c.name] as typeof RankingRequestSynapse
  // Our types spell out the defaults the Python classes leave implicit.
  const body =
    c.name === "MTurkResponse"
      ? { ...c.fields, aws_credentials: null, request_id: null }
      : c.name === "RankingRequest"
        ? { ...c.fields, ranks: [], scoring_method: null, model_config: null, mturk_hit_id: null, modality: "text" }
        : c.fields
  const encoded = encodeBody(definition, body as never)
  if (Either.isLeft(encoded)) throw new Error(`${c.name} ${JSON.stringify(body).slice(0, 300)}: ${String(encoded.left.message ?? encoded.left).slice(-300)}`)
  const wire = encoded.right
  const hash = wireBodyHash(definition, wire)
  const headers = toHeaders(definition, { timeout: 12, dendrite: terminal({}), axon: terminal({}) }, wire, hash)
  return {
    body_hash: hash,
    computed_body_hash: headers.computed_body_hash,
    input_obj: Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith("bt_header_input_obj_")))
  }
}

describe.each(["sdk10", "sdk9"] as ReadonlyArray<PythonEnvName>)("Dojo synapses hashed by the real SDK (%s)", (name) => {
  test("body hash and bt_header_input_obj_* headers equal ours on 150 generated synapses", async () => {
    const env = await pythonEnv(name)
    const result = await runPython(env, ["synapse_headers.py"], { stdin: JSON.stringify(cases) })
    expect(result.stderr).not.toContain("Traceback")
    const theirs = peerResult<ReadonlyArray<unknown>>(result, "synapse_headers.py")
    expect(theirs.length).toBe(cases.length)
    // The Python Dojo classes declare no hash fields: the SDK hashes the empty string.
    expect((theirs[0] as { body_hash: string }).body_hash).toBe("a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a")
    cases.forEach((c, i) => expect({ i, name: c.name, ...ours(c) } as object).toEqual({ i, name: c.name, ...(theirs[i] as object) }))
  })
})
