import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { pythonJson, pythonJsonString } from "../../../src/domain/wire/python-json.ts"
import { Py, pythonFloatRepr, pythonRepr, pythonStr, pythonStrRepr } from "../../../src/domain/wire/python-str.ts"

/** A minimal reader of Python string literals (the subset repr produces), independent of the writer. */
const readPythonLiteral = (lit: string): string => {
  const quote = lit[0]
  expect(quote === "'" || quote === '"').toBe(true)
  expect(lit.at(-1)).toBe(quote)
  let out = ""
  let i = 1
  while (i < lit.length - 1) {
    const ch = lit[i] as string
    if (ch === quote) throw new Error(`unescaped quote at ${i} in ${lit}`)
    if (ch !== "\\") {
      out += ch
      i++
      continue
    }
    const kind = lit[i + 1]
    const width = kind === "x" ? 2 : kind === "u" ? 4 : kind === "U" ? 8 : 0
    if (width > 0) {
      out += String.fromCodePoint(parseInt(lit.slice(i + 2, i + 2 + width), 16))
      i += 2 + width
    } else {
      const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"' }
      const s = kind === undefined ? undefined : simple[kind]
      if (s === undefined) throw new Error(`unknown escape \\${kind}`)
      out += s
      i += 2
    }
  }
  return out
}

describe("pythonFloatRepr", () => {
  test("matches Python's repr on known values", () => {
    const cases: Array<[number, string]> = [
      [3, "3.0"],
      [1e-5, "1e-05"],
      [1e16, "1e+16"],
      [1e15, "1000000000000000.0"],
      [-0, "-0.0"],
      [0, "0.0"],
      [0.1, "0.1"],
      [1718000000.5, "1718000000.5"],
      [5e-324, "5e-324"],
      [1.7976931348623157e308, "1.7976931348623157e+308"],
      [0.0001, "0.0001"],
      [2.5e-5, "2.5e-05"],
      [NaN, "nan"],
      [Infinity, "inf"],
      [-Infinity, "-inf"]
    ]
    for (const [x, s] of cases) expect(pythonFloatRepr(x)).toBe(s)
  })

  test("round-trips every finite double and uses exponent form exactly outside [1e-4, 1e16)", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const s = pythonFloatRepr(x)
        expect(parseFloat(s)).toBe(x)
        const a = Math.abs(x)
        expect(s.includes("e")).toBe(a !== 0 && (a < 1e-4 || a >= 1e16))
        // Python always shows a float as a float: a dot or an exponent.
        expect(/[.e]/.test(s)).toBe(true)
      }),
      { numRuns: 3000 }
    )
  })
})

describe("pythonStrRepr", () => {
  test("matches Python's repr on escaping edge cases", () => {
    const cases: Array<[string, string]> = [
      ["\x7f\x80\xa0\xad", "'\\x7f\\x80\\xa0\\xad'"],
      ["\u2028\u200b\ufeff", "'\\u2028\\u200b\\ufeff'"],
      ["\ud800", "'\\ud800'"],
      ["\u{e0001}", "'\\U000e0001'"],
      [" \u3000", "' \\u3000'"],
      ["it's", `"it's"`],
      [`it's "x"`, `'it\\'s "x"'`],
      ["a\\b", "'a\\\\b'"],
      ["\x00\x1b", "'\\x00\\x1b'"],
      ["café ✓ 😀", "'café ✓ 😀'"]
    ]
    for (const [s, r] of cases) expect(pythonStrRepr(s)).toBe(r)
  })

  test("any string: the literal reads back to the same string, holds no raw control character, and picks quotes as Python does", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: fc.constantFrom("'", '"', "\\", "\n", "a", "\x7f", "é") })), (s) => {
        const lit = pythonStrRepr(s)
        expect(readPythonLiteral(lit)).toBe(s)
        expect(/[\x00-\x1f\x7f]/.test(lit)).toBe(false)
        expect(lit[0]).toBe(s.includes("'") && !s.includes('"') ? '"' : "'")
      }),
      { numRuns: 1000 }
    )
  })
})

describe("pythonStr / pythonRepr", () => {
  test("typed values print as pydantic-coerced Python values", () => {
    expect(pythonStr(Py.str, "raw 'text'")).toBe("raw 'text'")
    expect(pythonStr(Py.optional(Py.str), null)).toBe("None")
    expect(pythonStr(Py.float, 3)).toBe("3.0")
    expect(pythonStr(Py.int, 3)).toBe("3")
    expect(pythonStr(Py.int, 1718000000123456789n)).toBe("1718000000123456789")
    expect(pythonStr(Py.bool, false)).toBe("False")
    expect(pythonStr(Py.list(Py.float), [1, 0.5])).toBe("[1.0, 0.5]")
    expect(pythonStr(Py.dict(Py.float), { a: 1, b: 2.5 })).toBe("{'a': 1.0, 'b': 2.5}")
    expect(pythonStr(Py.any, { k: [1, 2], b: null, s: "x" })).toBe("{'k': [1, 2], 'b': None, 's': 'x'}")
    expect(pythonStr(Py.list(Py.model({ cid: Py.str, text: Py.str })), [{ text: "t", cid: "c" }])).toBe(
      "[{'cid': 'c', 'text': 't'}]"
    )
    expect(pythonRepr(Py.model({ a: Py.optional(Py.int) }), {})).toBe("{'a': None}")
    expect(pythonStr(Py.list(Py.str), [])).toBe("[]")
  })
})

describe("pythonJson (json.dumps)", () => {
  test("matches json.dumps on a mixed value", () => {
    const type = Py.model({ a: Py.list(Py.float), b: Py.str, c: Py.optional(Py.str), d: Py.bool, n: Py.int })
    expect(pythonJson(type, { a: [1, 1e-5, 1e20, -0], b: "café", c: null, d: true, n: 1718000000123456789n })).toBe(
      '{"a": [1.0, 1e-05, 1e+20, -0.0], "b": "caf\\u00e9", "c": null, "d": true, "n": 1718000000123456789}'
    )
    expect(pythonJson(Py.float, NaN)).toBe("NaN")
    expect(pythonJsonString("\u{e0001}\x7f\x00")).toBe('"\\udb40\\udc01\\u007f\\u0000"')
  })

  test("any string: the JSON literal is printable ASCII and parses back to the same string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const j = pythonJsonString(s)
        expect(/^[\x20-\x7e]*$/.test(j)).toBe(true)
        expect(JSON.parse(j)).toBe(s)
      }),
      { numRuns: 2000 }
    )
  })
})
