/**
 * Limits on an inbound JSON body, checked over its raw bytes in one iterative pass before anything
 * recursive runs on it (JSON.parse is fine with a million levels, but Schema's error formatter, Python
 * `str()` emulation for the body hash and logging are recursive and overflow the stack at ~30k).
 *
 * One pass checks, and names the field (`completions[3].text`, `body` for the whole) of the first
 * violation: nesting depth, items per array and members per object, bytes per string, characters per
 * number and its range (a number that overflows to ±Infinity), and text encoding — the bytes of every
 * string must be well-formed UTF-8 and its `\u` escapes must not leave a lone surrogate. Everything
 * else (syntax, types) is left to JSON.parse and the Schema, which then run on a bounded value.
 */
import { Either } from "effect"

/** The limits of one boundary. */
export interface JsonLimits {
  /** Deepest nesting of objects and arrays (the top-level object is depth 1). */
  readonly maxDepth: number
  /** Most items of one array, or members of one object. */
  readonly maxItems: number
  /** Longest string (a key or a value), in bytes as sent (escapes count as written). */
  readonly maxStringBytes: number
  /** Longest number token, in characters. */
  readonly maxNumberChars: number
}

/** Why a body was refused: the field (a path, or `body`) and what is wrong with it. */
export interface JsonRefusal {
  readonly field: string
  readonly message: string
}

interface Frame {
  readonly array: boolean
  /** Items (array) or members (object) seen so far. */
  count: number
  /** Byte range of the current member's key (object frames), for naming it on a violation. */
  keyStart: number
  keyEnd: number
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const isDigitStart = (b: number) => b === 0x2d || (b >= 0x30 && b <= 0x39)
const isNumberChar = (b: number) => (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2b || b === 0x2e || b === 0x65 || b === 0x45
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09
const hexValue = (b: number) => (b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x61 && b <= 0x66 ? b - 0x57 : b >= 0x41 && b <= 0x46 ? b - 0x37 : -1)

const latin1 = new TextDecoder("latin1")
const utf8Lenient = new TextDecoder("utf-8")

/** A key for a path: its text when it parses, cut short if long. */
const keyText = (bytes: Uint8Array, start: number, end: number): string => {
  let key: string
  try {
    key = JSON.parse(utf8Lenient.decode(bytes.subarray(start, end))) as string
  } catch {
    key = latin1.decode(bytes.subarray(start + 1, Math.max(start + 1, end - 1)))
  }
  return key.length > 64 ? `${key.slice(0, 64)}…` : key
}

/** `completions[3].text`; `body` for the top level. */
const pathOf = (bytes: Uint8Array, stack: ReadonlyArray<Frame>): string => {
  let path = ""
  for (const f of stack) {
    if (f.array) path += `[${Math.max(0, f.count - 1)}]`
    else if (f.keyEnd > f.keyStart) {
      const key = keyText(bytes, f.keyStart, f.keyEnd)
      path += path === "" ? key : `.${key}`
    }
  }
  return path === "" ? "body" : path
}

const isCont = (b: number | undefined) => b !== undefined && (b & 0xc0) === 0x80

/** The index of the first byte in [from, to) that does not start a well-formed UTF-8 sequence, or -1. */
const firstInvalidUtf8 = (bytes: Uint8Array, from: number, to: number): number => {
  let i = from
  while (i < to) {
    const b0 = bytes[i]!
    if (b0 < 0x80) {
      i++
      continue
    }
    const b1 = bytes[i + 1]
    let len = 0
    if (b0 >= 0xc2 && b0 <= 0xdf) len = isCont(b1) ? 2 : 0
    else if (b0 >= 0xe0 && b0 <= 0xef) {
      // No overlong forms (E0 80..9F) and no surrogates encoded as UTF-8 (ED A0..BF).
      const ok = isCont(b1) && isCont(bytes[i + 2]) && !(b0 === 0xe0 && b1! < 0xa0) && !(b0 === 0xed && b1! > 0x9f)
      len = ok ? 3 : 0
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      // No overlong forms (F0 80..8F) and nothing above U+10FFFF (F4 90..).
      const ok = isCont(b1) && isCont(bytes[i + 2]) && isCont(bytes[i + 3]) && !(b0 === 0xf0 && b1! < 0x90) && !(b0 === 0xf4 && b1! > 0x8f)
      len = ok ? 4 : 0
    }
    if (len === 0 || i + len > to) return i
    i += len
  }
  return -1
}

/**
 * Checks `bytes` against `limits`; the first violation, or right when the body is within them (it may
 * still be invalid JSON: syntax is JSON.parse's to report). Iterative, linear, never throws. Without
 * `validateUtf8` the bytes of strings are not checked (for a body already known to be UTF-8).
 */
export const checkJsonLimits = (bytes: Uint8Array, limits: JsonLimits, validateUtf8 = true): Either.Either<void, JsonRefusal> => {
  const stack: Frame[] = []
  const refuse = (message: string, field = pathOf(bytes, stack)) => Either.left({ field, message })
  /** A value starts: counts it as an item of the enclosing array. */
  const valueStarts = (): JsonRefusal | undefined => {
    const top = stack[stack.length - 1]
    if (top === undefined || !top.array) return undefined
    top.count++
    return top.count > limits.maxItems ? { field: pathOf(bytes, stack.slice(0, -1)), message: `has more than ${limits.maxItems} items` } : undefined
  }
  let expectKey = false
  let nextBackslash = -2 // -2: not searched yet; -1: none left
  const n = bytes.length
  let i = 0
  while (i < n) {
    const b = bytes[i]!
    if (isSpace(b) || b === 0x3a) {
      i++
      continue
    }
    if (b === 0x7b || b === 0x5b) {
      const counted = valueStarts()
      if (counted !== undefined) return Either.left(counted)
      if (stack.length >= limits.maxDepth) return refuse(`nests deeper than ${limits.maxDepth} levels`)
      const array = b === 0x5b
      stack.push({ array, count: 0, keyStart: 0, keyEnd: 0 })
      expectKey = !array
      i++
      continue
    }
    if (b === 0x7d || b === 0x5d) {
      stack.pop()
      expectKey = false
      i++
      continue
    }
    if (b === 0x2c) {
      const top = stack[stack.length - 1]
      expectKey = top !== undefined && !top.array
      i++
      continue
    }
    if (b === QUOTE) {
      const start = i
      const isKey = expectKey
      const top = stack[stack.length - 1]
      if (isKey && top !== undefined) {
        top.count++
        top.keyStart = start
        top.keyEnd = start
        if (top.count > limits.maxItems) return refuse(`has more than ${limits.maxItems} members`, pathOf(bytes, stack.slice(0, -1)))
      } else {
        const counted = valueStarts()
        if (counted !== undefined) return Either.left(counted)
      }
      expectKey = false
      i++
      let pendingHigh = false
      let closed = false
      // Jumps from escape to escape (native indexOf), so plain text costs almost nothing.
      while (i < n) {
        const quote = bytes.indexOf(QUOTE, i)
        const stop = quote < 0 ? n : quote
        // The next backslash is remembered: searching afresh in every string would rescan the rest of the body.
        if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = bytes.indexOf(BACKSLASH, i)
        const escape = nextBackslash < 0 || nextBackslash > stop ? -1 : nextBackslash
        const plainEnd = escape < 0 ? stop : escape
        if (pendingHigh && plainEnd > i) break // a high surrogate escape followed by text
        if (validateUtf8) {
          const bad = firstInvalidUtf8(bytes, i, plainEnd)
          if (bad >= 0) {
            if (isKey && top !== undefined) top.keyEnd = bad
            return refuse("is not valid UTF-8")
          }
        }
        if (escape < 0) {
          i = stop
          closed = quote >= 0
          break
        }
        i = escape
        if (bytes[i + 1] === 0x75) {
          let unit = 0
          for (let k = 2; k < 6; k++) {
            const h = hexValue(bytes[i + k] ?? 0)
            // A malformed escape is a syntax error: JSON.parse reports it, not as a surrogate.
            unit = h < 0 || unit < 0 ? -1 : unit * 16 + h
          }
          if (unit >= 0xd800 && unit <= 0xdbff) {
            if (pendingHigh) break
            pendingHigh = true
          } else if (unit >= 0xdc00 && unit <= 0xdfff) {
            if (!pendingHigh) break
            pendingHigh = false
          } else if (pendingHigh) break
          i += 6
          continue
        }
        if (pendingHigh) break
        i += 2
      }
      if (isKey && top !== undefined) top.keyEnd = Math.min(n, i + 1)
      if (pendingHigh || (!closed && i < n)) return refuse("has a lone UTF-16 surrogate (an unpaired \\ud800–\\udfff escape)")
      if (i - start - 1 > limits.maxStringBytes) return refuse(`is a string longer than ${limits.maxStringBytes} bytes`)
      i++
      continue
    }
    if (isDigitStart(b)) {
      const counted = valueStarts()
      if (counted !== undefined) return Either.left(counted)
      const start = i
      while (i < n && isNumberChar(bytes[i]!)) i++
      if (i - start > limits.maxNumberChars) return refuse(`is a number longer than ${limits.maxNumberChars} characters`)
      const value = Number(latin1.decode(bytes.subarray(start, i)))
      if (value === Infinity || value === -Infinity) return refuse("is a number out of range (it overflows a 64-bit float)")
      continue
    }
    // true / false / null, or garbage: counted as a value, then left to JSON.parse.
    const counted = valueStarts()
    if (counted !== undefined) return Either.left(counted)
    while (i < n && bytes[i]! >= 0x61 && bytes[i]! <= 0x7a) i++
    if (i < n && !(bytes[i]! >= 0x61 && bytes[i]! <= 0x7a)) {
      const c = bytes[i]!
      if (!(isSpace(c) || c === 0x2c || c === 0x7d || c === 0x5d || c === 0x3a)) i++
    }
  }
  return Either.right(undefined)
}

const utf8Strict = new TextDecoder("utf-8", { fatal: true })

/**
 * A body within `limits`, decoded and parsed: the one way every boundary turns raw bytes into a JSON
 * value. A refusal names the field; `body` when the bytes are not JSON at all.
 */
export const parseLimitedJson = (bytes: Uint8Array, limits: JsonLimits): Either.Either<unknown, JsonRefusal> => {
  // The native decoder checks UTF-8 fast; only a body that fails it is scanned again to name the field.
  let text: string | undefined
  try {
    text = utf8Strict.decode(bytes)
  } catch {
    text = undefined
  }
  const checked = checkJsonLimits(bytes, limits, text === undefined)
  if (Either.isLeft(checked)) return checked
  if (text === undefined) return Either.left({ field: "body", message: "is not valid UTF-8" })
  try {
    return Either.right(JSON.parse(text) as unknown)
  } catch (e) {
    return Either.left({ field: "body", message: `is not valid JSON (${e instanceof Error ? e.message : String(e)})` })
  }
}

/** `field message` as one line (`prompt is not valid UTF-8`). */
export const refusalText = (r: JsonRefusal): string => `${r.field} ${r.message}`
