/**
 * Hostile inputs for the boundary fuzzing tests, and what they check: fast-check generators that take a
 * valid body and break it one way (deep nesting, numbers out of range, bad UTF-8, lone surrogates,
 * duplicate keys whose last value is wrong, wrong types, truncation, not an object) under any content
 * type, and a digest of every table of an SQLite store to prove a refusal changed nothing.
 */
import { Database } from "bun:sqlite"
import { createHash } from "node:crypto"
import { u8aConcat as concat } from "@polkadot/util"
import fc from "fast-check"
import { bodyOf } from "./http-reply.ts"

const enc = (s: string) => new TextEncoder().encode(s)

/** `text` as UTF-8 with raw `bytes` inserted before character `at` (to put non-UTF-8 inside a string). */
export const withBytesAt = (text: string, at: number, bytes: ReadonlyArray<number>): Uint8Array =>
  concat(enc(text.slice(0, at)), new Uint8Array(bytes), enc(text.slice(at)))

/** sha256 over every row of every table of an SQLite file (read through its own read-only connection). */
export const storeDigest = (filename: string): string => {
  const db = new Database(filename, { readonly: true })
  try {
    const hash = createHash("sha256")
    const tables = db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>
    for (const { name } of tables) {
      const rows = (db.query(`SELECT * FROM "${name.replace(/"/g, '""')}"`).all() as Array<unknown>).map((r) =>
        JSON.stringify(r, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("hex") : typeof v === "bigint" ? v.toString() : v))
      )
      rows.sort()
      hash.update(`${name}\n${rows.join("\n")}\n`)
    }
    return hash.digest("hex")
  } finally {
    db.close()
  }
}

/** A path to a value in a body: keys and indices. */
export type FieldPath = ReadonlyArray<string | number>

const HOLE = "\u0000HOLE\u0000"
const HOLE_JSON = JSON.stringify(HOLE)

/** `base` with the value at `path` replaced by raw bytes. */
const withRaw = (base: unknown, path: FieldPath, raw: Uint8Array): Uint8Array => {
  const copy = structuredClone(base) as any
  let at = copy
  for (const key of path.slice(0, -1)) at = at[key]
  at[path[path.length - 1]!] = HOLE
  const [before, after] = JSON.stringify(copy).split(HOLE_JSON) as [string, string]
  return concat(enc(before), raw, enc(after))
}

const nested = (depth: number, kind: "array" | "object"): string =>
  kind === "array" ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`

/** Number tokens no boundary accepts: overflow, overlong, Python's non-JSON tokens. */
const badNumbers = fc.constantFrom("1e999", "-1e400", "1e309", "9".repeat(400), `0.${"1".repeat(100)}`, "NaN", "Infinity", "-Infinity", "-", "1e", "0x10")

/** Byte sequences that are not UTF-8 (lone continuation, overlong, encoded surrogate, truncated, > U+10FFFF). */
const badUtf8 = fc.constantFrom([0xff], [0x80], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0xfe, 0xfe])

/** `\u` escapes leaving a lone surrogate. */
const loneSurrogates = fc.constantFrom("\\ud800", "\\udfff", "\\ud83d", "\\ude00x", "\\ud800\\u0041", "\\ud800\\ud800")

/** Values of a type no field of ours has (a bool; a record of lists of bools). */
const wrongTypes = fc.constantFrom("true", "false", '{"__x": [true]}', '[{"__x": [true]}]')

/** Strings that are well-formed text but edge cases; used inside a broken body, never alone. */
const unicodeEdge = fc.constantFrom("\u0000", "\u202e", "\ufeff", "😀", "\u{10ffff}", "e\u0301", "\u2028")

/** One way of breaking a valid body; `describe` says which, for a failing case's report. */
export interface HostileBody {
  readonly describe: string
  readonly bytes: Uint8Array
}

/**
 * Broken variants of `base`. `checked` are the paths the boundary's schema validates (values there must
 * be refused when wrong); `strings` those holding strings (for encoding attacks). Every variant is
 * invalid for the boundary, whatever else it contains.
 */
export const hostileBodies = (base: Record<string, unknown>, checked: ReadonlyArray<FieldPath>, strings: ReadonlyArray<FieldPath>): fc.Arbitrary<HostileBody> => {
  const text = JSON.stringify(base)
  const field = fc.constantFrom(...checked)
  const stringField = fc.constantFrom(...strings)
  return fc.oneof(
    fc
      .tuple(fc.constantFrom(...checked, ["__extra"]), fc.integer({ min: 20, max: 60_000 }), fc.constantFrom("array" as const, "object" as const))
      .map(([path, depth, kind]) => ({ describe: `${kind} nested ${depth} deep at ${path.join(".")}`, bytes: withRaw(base, path, enc(nested(depth, kind))) })),
    fc.tuple(field, badNumbers).map(([path, n]) => ({ describe: `number ${n.slice(0, 20)} at ${path.join(".")}`, bytes: withRaw(base, path, enc(n)) })),
    fc
      .tuple(stringField, badUtf8, unicodeEdge)
      .map(([path, bad, edge]) => ({ describe: `bytes ${bad} in ${path.join(".")}`, bytes: withRaw(base, path, concat(enc(`"a${edge}`), new Uint8Array(bad), enc('b"'))) })),
    fc
      .tuple(stringField, loneSurrogates)
      .map(([path, s]) => ({ describe: `${s} in ${path.join(".")}`, bytes: withRaw(base, path, enc(`"x${s}y"`)) })),
    fc.tuple(field, wrongTypes).map(([path, w]) => ({ describe: `${w} at ${path.join(".")}`, bytes: withRaw(base, path, enc(w)) })),
    fc
      .tuple(fc.constantFrom(...checked.filter((p) => p.length === 1)), wrongTypes)
      .map(([path, w]) => ({ describe: `duplicate key ${path[0]}, last ${w}`, bytes: enc(`${text.slice(0, -1)}, ${JSON.stringify(path[0])}: ${w}}`) })),
    fc.integer({ min: 0, max: text.length - 1 }).map((cut) => ({ describe: `truncated at ${cut} of ${text.length}`, bytes: enc(text.slice(0, cut)) })),
    fc
      .constantFrom("", "[]", "null", "1", '"text"', `[${text}]`, "{", "}", "\ufeff", "{}{}", `${text}x`)
      .map((s) => ({ describe: `body ${JSON.stringify(s.slice(0, 20))}`, bytes: enc(s) }))
  )
}

/** Content types a hostile client may send with a body. */
export const contentTypes = fc.constantFrom<string | undefined>(
  "application/json",
  "application/json; charset=latin1",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/octet-stream",
  undefined
)

/** A response as the property sees it. */
export interface Seen {
  readonly status: number
  readonly json: unknown
  readonly text: string
}

/** Reads a response's status, text and JSON (undefined when the body is not JSON). */
export const seen = async (res: Response): Promise<Seen> => ({ status: res.status, ...(await bodyOf(res)) })

/** POSTs raw `bytes` with `headers`, and `content-type` unless it is undefined (hostile requests may omit it). */
export const postRaw = async (url: string, headers: Record<string, string>, bytes: Uint8Array | string, contentType: string | undefined = "application/json"): Promise<Seen> =>
  seen(await fetch(url, { method: "POST", headers: contentType === undefined ? headers : { ...headers, "content-type": contentType }, body: bytes }))

/**
 * The refusal property for one hostile request: a 4xx, a non-empty message, the store's digest as it
 * was `before`. Throws with what happened otherwise (fast-check then shrinks the input).
 */
export const assertRefusedCleanly = (s: Seen, message: unknown, storeFile: string, before: string, what: string): void => {
  if (s.status >= 400 && s.status < 500 && typeof message === "string" && message !== "" && storeDigest(storeFile) === before) return
  throw new Error(`${what}: answered ${s.status} ${s.text.slice(0, 300)} (store ${storeDigest(storeFile) === before ? "unchanged" : "CHANGED"})`)
}

/** Fuzz runs per boundary: enough to meet every generator branch a few times, few enough to stay fast. */
export const FUZZ_RUNS = Number(process.env.DOJO_FUZZ_RUNS ?? 60)
