/**
 * The raw-bytes JSON limits: within-limit JSON always passes and parses as JSON.parse does; every limit
 * refuses with the field it is in; hostile shapes (a million levels, lone surrogates, bad UTF-8) are
 * refused without recursion.
 */
import { describe, expect, test } from "bun:test"
import { Either } from "effect"
import fc from "fast-check"
import { checkJsonLimits, parseLimitedJson, type JsonLimits } from "../../../src/domain/wire/json-limits.ts"

const limits: JsonLimits = { maxDepth: 8, maxItems: 16, maxStringBytes: 64, maxNumberChars: 32 }
const enc = (s: string) => new TextEncoder().encode(s)
const refusal = (text: string | Uint8Array, l = limits) => {
  const r = parseLimitedJson(typeof text === "string" ? enc(text) : text, l)
  return Either.isLeft(r) ? r.left : undefined
}

/** JSON values that fit `limits` (depth ≤ 4, ≤ 8 items, short strings, finite numbers). */
const smallJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.string({ maxLength: 8, unit: "grapheme" }),
    fc.string({ maxLength: 8, unit: "binary-ascii" }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 8 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie("value"), { maxKeys: 8 })
  )
})).value

describe("JSON limits", () => {
  test("anything within the limits passes and parses exactly as JSON.parse (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8, unit: "binary-ascii" }), smallJson, { maxKeys: 8 }), (value) => {
        const text = JSON.stringify(value)
        const parsed = parseLimitedJson(enc(text), { ...limits, maxDepth: 64 })
        expect(Either.getOrThrow(parsed)).toEqual(JSON.parse(text))
      }),
      { numRuns: 500 }
    )
  })

  test("depth: refused at the level past the limit, naming where it is; a million levels without recursion", () => {
    expect(refusal(`{"a": ${"[".repeat(7)}${"]".repeat(7)}}`)).toBeUndefined()
    expect(refusal(`{"a": ${"[".repeat(8)}${"]".repeat(8)}}`)).toEqual({ field: "a[0][0][0][0][0][0][0]", message: "nests deeper than 8 levels" })
    const deep = `{"prompt": ${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}}`
    expect(refusal(deep)?.message).toBe("nests deeper than 8 levels")
    expect(refusal(`{"HITId": ${'{"x":'.repeat(50_000)}1${"}".repeat(50_000)}}`)?.field).toBe("HITId.x.x.x.x.x.x.x")
  })

  test("items and members", () => {
    expect(refusal(`{"completions": [${Array(16).fill('"x"').join(",")}]}`)).toBeUndefined()
    expect(refusal(`{"completions": [${Array(17).fill('"x"').join(",")}]}`)).toEqual({ field: "completions", message: "has more than 16 items" })
    const members = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]))
    expect(refusal(JSON.stringify({ scores: members }))).toEqual({ field: "scores", message: "has more than 16 members" })
  })

  test("strings: bytes as sent, keys included", () => {
    expect(refusal(JSON.stringify({ prompt: "x".repeat(64) }))).toBeUndefined()
    expect(refusal(JSON.stringify({ prompt: "x".repeat(65) }))).toEqual({ field: "prompt", message: "is a string longer than 64 bytes" })
    expect(refusal(JSON.stringify({ completions: ["ok", "é".repeat(40)] }))).toEqual({
      field: "completions[1]",
      message: "is a string longer than 64 bytes"
    })
    expect(refusal(`{"${"k".repeat(65)}": 1}`)?.message).toBe("is a string longer than 64 bytes")
  })

  test("numbers: overflow and overlong tokens refused; NaN/Infinity tokens are not JSON", () => {
    expect(refusal('{"score": 1e308}')).toBeUndefined()
    expect(refusal('{"score": 1e309}')).toEqual({ field: "score", message: "is a number out of range (it overflows a 64-bit float)" })
    expect(refusal('{"ranks": [{"score": -1e400}]}')).toEqual({ field: "ranks[0].score", message: "is a number out of range (it overflows a 64-bit float)" })
    expect(refusal(`{"n": ${"9".repeat(33)}}`)?.message).toBe("is a number longer than 32 characters")
    expect(refusal('{"score": NaN}')?.field).toBe("body")
    expect(refusal('{"score": Infinity}')?.field).toBe("body")
  })

  test("text: bad UTF-8 and lone surrogates are refused naming the field; pairs and astral characters pass", () => {
    const bad = new Uint8Array([...enc('{"prompt": "ab'), 0xff, ...enc('"}')])
    expect(refusal(bad)).toEqual({ field: "prompt", message: "is not valid UTF-8" })
    const overlong = new Uint8Array([...enc('{"a": ["x", "'), 0xc0, 0xaf, ...enc('"]}')])
    expect(refusal(overlong)).toEqual({ field: "a[1]", message: "is not valid UTF-8" })
    const encodedSurrogate = new Uint8Array([...enc('{"a": "'), 0xed, 0xa0, 0x80, ...enc('"}')])
    expect(refusal(encodedSurrogate)?.message).toBe("is not valid UTF-8")
    expect(refusal(new Uint8Array([...enc('{"a": "'), 0xe2, 0x82]))?.message).toBe("is not valid UTF-8")
    expect(refusal('{"prompt": "\\ud800"}')).toEqual({ field: "prompt", message: "has a lone UTF-16 surrogate (an unpaired \\ud800–\\udfff escape)" })
    expect(refusal('{"prompt": "\\udc00x"}')?.field).toBe("prompt")
    expect(refusal('{"prompt": "\\ud800\\u0041"}')?.field).toBe("prompt")
    expect(refusal('{"prompt": "\\ud83d\\ude00 😀 café"}')).toBeUndefined()
    expect(Either.getOrThrow(parseLimitedJson(enc('{"p": "\\ud83d\\ude00"}'), limits))).toEqual({ p: "😀" })
  })

  test("never throws, on any bytes (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = checkJsonLimits(bytes, limits)
        expect(Either.isLeft(r) || Either.isRight(r)).toBe(true)
        parseLimitedJson(bytes, limits)
      }),
      { numRuns: 500 }
    )
  })

  test("syntax errors (truncated bodies, duplicate keys) are JSON.parse's: truncated refused as the body, duplicates last-wins as in Python", () => {
    expect(refusal('{"prompt": "abc')).toEqual({ field: "body", message: expect.stringContaining("is not valid JSON") })
    expect(refusal('{"a": [1, 2')?.field).toBe("body")
    expect(Either.getOrThrow(parseLimitedJson(enc('{"a": 1, "a": 2}'), limits))).toEqual({ a: 2 })
  })
})
