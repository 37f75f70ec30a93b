import { describe, expect, test } from "bun:test"
import { Either, Redacted, Schema } from "effect"
import fc from "fast-check"
import {
  CallbackBody,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  canonicalString,
  sha256Hex,
  signCallback,
  verifyCallback
} from "../../../src/domain/mturk/callback-auth.ts"

const secret = Redacted.make("s3cret-shared-with-the-lambda")
const now = 1_767_000_000

const verify = (body: string, headers: Record<string, string | undefined>, nowSeconds = now) =>
  verifyCallback({
    secret,
    body,
    timestamp: headers[TIMESTAMP_HEADER],
    signature: headers[SIGNATURE_HEADER],
    nowSeconds
  })

const reason = (e: Either.Either<unknown, { reason: string }>) => (Either.isLeft(e) ? e.left.reason : "ok")

describe("callback HMAC", () => {
  test("canonical string and signature follow the documented recipe", () => {
    const body = '{"HITId":"H1","assignments":[]}'
    expect(canonicalString(now, body)).toBe(`${now}.${new Bun.CryptoHasher("sha256").update(body).digest("hex")}`)
    const headers = signCallback(secret, body, now + 0.9)
    expect(headers[TIMESTAMP_HEADER]).toBe(String(now))
    const expected = new Bun.CryptoHasher("sha256", Redacted.value(secret)).update(canonicalString(now, body)).digest("hex")
    expect(headers[SIGNATURE_HEADER]).toBe(expected)
    expect(sha256Hex(new TextEncoder().encode("é"))).toBe(sha256Hex("é"))
  })

  test("a signed body verifies within ±300 s and not beyond", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: -1000, max: 1000 }), (body, skew) => {
        const headers = signCallback(secret, body, now + skew)
        expect(reason(verify(body, headers))).toBe(Math.abs(skew) <= 300 ? "ok" : "stale_timestamp")
      })
    )
  })

  test("any change to the body is refused", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (body, other) => {
        fc.pre(body !== other)
        expect(reason(verify(other, signCallback(secret, body, now)))).toBe("bad_signature")
      })
    )
  })

  test("any other timestamp is refused, even a fresh one (no re-dating a captured request)", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: -300, max: 300 }), (body, delta) => {
        fc.pre(delta !== 0)
        const headers = signCallback(secret, body, now)
        const moved = { ...headers, [TIMESTAMP_HEADER]: String(now + delta) }
        expect(reason(verify(body, moved))).toBe("bad_signature")
      })
    )
  })

  test("any mutation of the signature is refused", () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(63), fc.constantFrom(..."0123456789abcdef"), (body, at, digit) => {
        const headers = signCallback(secret, body, now)
        const sig = headers[SIGNATURE_HEADER]
        fc.pre(sig[at] !== digit)
        const forged = sig.slice(0, at) + digit + sig.slice(at + 1)
        expect(reason(verify(body, { ...headers, [SIGNATURE_HEADER]: forged }))).toBe("bad_signature")
      })
    )
  })

  test("a signature made with another secret is refused", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (other, body) => {
        fc.pre(other !== Redacted.value(secret))
        expect(reason(verify(body, signCallback(Redacted.make(other), body, now)))).toBe("bad_signature")
      })
    )
  })

  test("a replay after the window is refused even though the signature is genuine", () => {
    const body = "{}"
    const headers = signCallback(secret, body, now)
    expect(reason(verify(body, headers, now + 300))).toBe("ok")
    expect(reason(verify(body, headers, now + 301))).toBe("stale_timestamp")
  })

  test("missing or malformed headers are refused before any HMAC work", () => {
    const headers = signCallback(secret, "{}", now)
    expect(reason(verify("{}", { [SIGNATURE_HEADER]: headers[SIGNATURE_HEADER] }))).toBe("missing_header")
    expect(reason(verify("{}", { [TIMESTAMP_HEADER]: headers[TIMESTAMP_HEADER] }))).toBe("missing_header")
    for (const ts of ["", "1e9", "-5", " 1767000000", "1767000000.5", "0x10"])
      expect(reason(verify("{}", { ...headers, [TIMESTAMP_HEADER]: ts }))).toBe("malformed_timestamp")
    const sig = headers[SIGNATURE_HEADER]
    for (const bad of ["", sig.toUpperCase(), sig.slice(1), `${sig}0`, `sha256=${sig}`])
      expect(reason(verify("{}", { ...headers, [SIGNATURE_HEADER]: bad }))).toBe("malformed_signature")
  })
})

describe("CallbackBody", () => {
  const decode = Schema.decodeUnknownEither(CallbackBody)
  const assignment = (id: string, hit = "HIT1") => ({
    AssignmentId: id,
    WorkerId: "W1",
    HITId: hit,
    SubmitTime: "2026-11-25T00:00:00.000Z",
    Answer: "<QuestionFormAnswers/>"
  })

  test("a well-formed body decodes", () => {
    const body = { HITId: "HIT1", assignments: [assignment("A1"), assignment("A2")] }
    expect(Either.getOrThrow(decode(body))).toEqual(body)
  })

  test("an assignment of another HIT, a duplicate id, a bad id or a bad time is refused with its path", () => {
    const bad = [
      { HITId: "HIT1", assignments: [assignment("A1", "HIT2")] },
      { HITId: "HIT1", assignments: [assignment("A1"), assignment("A1")] },
      { HITId: "HIT 1", assignments: [] },
      { HITId: "HIT1", assignments: [{ ...assignment("A1"), SubmitTime: "yesterday" }] },
      { HITId: "HIT1", assignments: [{ ...assignment("A1"), Answer: 5 }] },
      { HITId: "HIT1" }
    ]
    for (const body of bad) expect(Either.isLeft(decode(body))).toBe(true)
    const dup = decode(bad[1])
    if (Either.isLeft(dup)) expect(String(dup.left)).toContain("AssignmentId")
  })
})
