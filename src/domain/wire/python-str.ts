/**
 * Python's `str()` and `repr()` of JSON-decoded values, as the Bittensor SDK feeds them into the body hash.
 * JSON loses the int/float distinction (`3.0` parses to `3`), so every value is printed against its
 * declared Python type (`PyType`), the way pydantic would have coerced it.
 */

/** A Python type as declared on a pydantic model field. */
export type PyType =
  | { readonly _tag: "str" }
  | { readonly _tag: "int" }
  | { readonly _tag: "float" }
  | { readonly _tag: "bool" }
  | { readonly _tag: "optional"; readonly value: PyType }
  | { readonly _tag: "list"; readonly item: PyType }
  | { readonly _tag: "dict"; readonly value: PyType }
  | { readonly _tag: "model"; readonly fields: PyFields }
  | { readonly _tag: "any" }

/** A model's fields in declaration order (JS keeps string-key insertion order). */
export type PyFields = Readonly<Record<string, PyType>>

/** Constructors for `PyType`. */
export const Py = {
  str: { _tag: "str" } as PyType,
  int: { _tag: "int" } as PyType,
  float: { _tag: "float" } as PyType,
  bool: { _tag: "bool" } as PyType,
  any: { _tag: "any" } as PyType,
  optional: (value: PyType): PyType => ({ _tag: "optional", value }),
  list: (item: PyType): PyType => ({ _tag: "list", item }),
  dict: (value: PyType): PyType => ({ _tag: "dict", value }),
  model: (fields: PyFields): PyType => ({ _tag: "model", fields })
} as const

/** Splits a finite non-zero |x| into its shortest round-trip digits and Python's `decpt` (x = 0.d1d2… × 10^decpt). */
const shortestDigits = (x: number): { digits: string; decpt: number } => {
  const [mantissa = "0", exponent = "0"] = Math.abs(x).toExponential().split("e")
  return { digits: mantissa.replace(".", ""), decpt: Number(exponent) + 1 }
}

/** Python `repr(float)`: shortest round-trip digits, exponent form when decpt ≤ -4 or > 16 (`1e-05`, `1e+16`). */
export const pythonFloatRepr = (x: number): string => {
  if (Number.isNaN(x)) return "nan"
  if (x === Infinity) return "inf"
  if (x === -Infinity) return "-inf"
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0"
  const sign = x < 0 ? "-" : ""
  const { digits, decpt } = shortestDigits(x)
  if (decpt <= -4 || decpt > 16) {
    const exp = decpt - 1
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
    const expDigits = String(Math.abs(exp)).padStart(2, "0")
    return `${sign}${mant}e${exp < 0 ? "-" : "+"}${expDigits}`
  }
  if (decpt <= 0) return `${sign}0.${"0".repeat(-decpt)}${digits}`
  if (decpt >= digits.length) return `${sign}${digits}${"0".repeat(decpt - digits.length)}.0`
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`
}

/** Python `str(int)` of an integer given as a number or a bigint (exact for any magnitude). */
export const pythonIntStr = (x: number | bigint): string =>
  typeof x === "bigint" ? x.toString() : Number.isInteger(x) ? BigInt(x).toString() : pythonFloatRepr(x)

const hex = (n: number, width: number): string => n.toString(16).padStart(width, "0")

const escapeChar = (ch: string): string => {
  if (ch === "\t") return "\\t"
  if (ch === "\n") return "\\n"
  if (ch === "\r") return "\\r"
  if (ch === "\\" || ch === "'" || ch === '"') return `\\${ch}`
  const cp = ch.codePointAt(0) ?? 0
  if (cp <= 0xff) return `\\x${hex(cp, 2)}`
  if (cp <= 0xffff) return `\\u${hex(cp, 4)}`
  return `\\U${hex(cp, 8)}`
}

// What unicode_repr escapes besides the quote: the backslash, ASCII controls and DEL, and every character
// that is not str.isprintable() (categories C* and Z*, except the ASCII space).
const ESCAPES_IN_SINGLE = /[\\'\x00-\x1f\x7f]|(?! )[\p{C}\p{Z}]/gu
const ESCAPES_IN_DOUBLE = /[\\"\x00-\x1f\x7f]|(?! )[\p{C}\p{Z}]/gu

/** Python `repr(str)`: single quotes unless the text has `'` and no `"`; escapes as CPython's unicode_repr. */
export const pythonStrRepr = (s: string): string => {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  return quote + s.replace(quote === "'" ? ESCAPES_IN_SINGLE : ESCAPES_IN_DOUBLE, escapeChar) + quote
}

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

/**
 * Repr of an untyped value, typed the way `json.loads` would have typed it (integral numbers are ints).
 * Also the fallback when a value does not fit its declared type, so printing never fails.
 */
const reprInferred = (v: unknown): string => {
  if (v === null || v === undefined) return "None"
  if (typeof v === "string") return pythonStrRepr(v)
  if (typeof v === "bigint") return pythonIntStr(v)
  if (typeof v === "number") return Number.isInteger(v) ? pythonIntStr(v) : pythonFloatRepr(v)
  if (typeof v === "boolean") return v ? "True" : "False"
  if (Array.isArray(v)) return pythonRepr(Py.list(Py.any), v)
  if (isRecord(v)) return pythonRepr(Py.dict(Py.any), v)
  return pythonStrRepr(String(v))
}

/** Python `repr()` of a JSON-decoded value of the declared type (None for null/undefined, whatever the type). */
export const pythonRepr = (type: PyType, value: unknown): string => {
  if (value === null || value === undefined) return "None"
  switch (type._tag) {
    case "any":
      return reprInferred(value)
    case "optional":
      return pythonRepr(type.value, value)
    case "str":
      return typeof value === "string" ? pythonStrRepr(value) : reprInferred(value)
    case "int":
      if (typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value))) return pythonIntStr(value)
      if (typeof value === "boolean") return value ? "1" : "0"
      return reprInferred(value)
    case "float":
      if (typeof value === "number") return pythonFloatRepr(value)
      if (typeof value === "bigint") return pythonFloatRepr(Number(value))
      if (typeof value === "boolean") return value ? "1.0" : "0.0"
      return reprInferred(value)
    case "bool":
      return typeof value === "boolean" ? (value ? "True" : "False") : reprInferred(value)
    case "list":
      return Array.isArray(value) ? `[${value.map((v) => pythonRepr(type.item, v)).join(", ")}]` : reprInferred(value)
    case "dict":
      if (!isRecord(value)) return reprInferred(value)
      return `{${Object.entries(value)
        .map(([k, v]) => `${pythonStrRepr(k)}: ${pythonRepr(type.value, v)}`)
        .join(", ")}}`
    case "model":
      if (!isRecord(value)) return reprInferred(value)
      // model_dump() gives every declared field, in declaration order.
      return `{${Object.entries(type.fields)
        .map(([k, t]) => `${pythonStrRepr(k)}: ${pythonRepr(t, value[k])}`)
        .join(", ")}}`
  }
}

/** Python `str()` of a field value: a top-level str is its raw text, anything else is its repr. */
export const pythonStr = (type: PyType, value: unknown): string => {
  const base = type._tag === "optional" ? type.value : type
  if (typeof value === "string" && (base._tag === "str" || base._tag === "any")) return value
  return pythonRepr(type, value)
}
