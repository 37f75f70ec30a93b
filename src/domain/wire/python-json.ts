/**
 * Python's `json.dumps(value)` with its defaults (`", "` and `": "` separators, `ensure_ascii`, floats as
 * `repr`, NaN/Infinity as bare tokens), printed against declared Python types so a float field holding 3
 * comes out as `3.0` and 19-digit bigint nonces stay exact. This is the request body a Python dendrite sends.
 */
import { Py, pythonFloatRepr, pythonIntStr, type PyType } from "./python-str.ts"

const hex4 = (n: number): string => n.toString(16).padStart(4, "0")

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f"
}

// Everything json.dumps (ensure_ascii) escapes: quote, backslash, and all but printable ASCII. Without the
// `u` flag the regex sees UTF-16 units, which is exactly Python's surrogate-pair escaping of astral characters.
const JSON_ESCAPES = /["\\\x00-\x1f\x7f-\uffff]/g

const escapeUnit = (ch: string): string => SHORT_ESCAPES[ch] ?? `\\u${hex4(ch.charCodeAt(0))}`

/** A JSON string literal as `json.dumps` writes it: everything outside printable ASCII as lowercase `\uXXXX`. */
export const pythonJsonString = (s: string): string => `"${s.replace(JSON_ESCAPES, escapeUnit)}"`

/** `json.dumps` of a float: repr, with Python's non-standard NaN / Infinity / -Infinity tokens. */
const jsonFloat = (x: number): string =>
  Number.isNaN(x) ? "NaN" : x === Infinity ? "Infinity" : x === -Infinity ? "-Infinity" : pythonFloatRepr(x)

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

const inferred = (v: unknown): string => {
  if (v === null || v === undefined) return "null"
  if (typeof v === "string") return pythonJsonString(v)
  if (typeof v === "bigint") return v.toString()
  if (typeof v === "number") return Number.isInteger(v) ? pythonIntStr(v) : jsonFloat(v)
  if (typeof v === "boolean") return v ? "true" : "false"
  if (Array.isArray(v)) return pythonJson(Py.list(Py.any), v)
  if (isRecord(v)) return pythonJson(Py.dict(Py.any), v)
  return pythonJsonString(String(v))
}

/** `json.dumps(value)` for a value of the declared Python type; a value that does not fit is printed as it is. */
export const pythonJson = (type: PyType, value: unknown): string => {
  if (value === null || value === undefined) return "null"
  switch (type._tag) {
    case "any":
      return inferred(value)
    case "optional":
      return pythonJson(type.value, value)
    case "int":
      return typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value)) ? pythonIntStr(value) : inferred(value)
    case "float":
      return typeof value === "number" ? jsonFloat(value) : typeof value === "bigint" ? jsonFloat(Number(value)) : inferred(value)
    case "str":
    case "bool":
      return inferred(value)
    case "list":
      return Array.isArray(value) ? `[${value.map((v) => pythonJson(type.item, v)).join(", ")}]` : inferred(value)
    case "dict":
      if (!isRecord(value)) return inferred(value)
      return `{${Object.entries(value)
        .map(([k, v]) => `${pythonJsonString(k)}: ${pythonJson(type.value, v)}`)
        .join(", ")}}`
    case "model":
      if (!isRecord(value)) return inferred(value)
      return `{${Object.entries(type.fields)
        .map(([k, t]) => `${pythonJsonString(k)}: ${pythonJson(t, value[k])}`)
        .join(", ")}}`
  }
}
