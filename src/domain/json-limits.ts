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

/** Length of the well-formed UTF-8 sequence at `i` (lead byte ≥ 0x80), or 0 when it is not one. */
const utf8SequenceLength = (bytes: Uint8Array, i: number): number => {
  const b0 = bytes[i]!
  const cont = (k: number) => i + k < bytes.length && (bytes[i + k]! & 0xc0) === 0x80
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const b1 = bytes[i + 1] ?? 0
    if (b0 === 0xe0 && b1 < 0xa0) return 0 // overlong
    if (b0 === 0xed && b1 > 0x9f) return 0 // a surrogate encoded as UTF-8
    return cont(1) && cont(2) ? 3 : 0
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const b1 = bytes[i + 1] ?? 0
    if (b0 === 0xf0 && b1 < 0x90) return 0 // overlong
    if (b0 === 0xf4 && b1 > 0x8f) return 0 // above U+10FFFF
    return cont(1) && cont(2) && cont(3) ? 4 : 0
  }
  return 0
}

/**
 * Checks `bytes` against `limits`; the first violation, or right when the body is within them (it may
 * still be invalid JSON: syntax is JSON.parse's to report). Iterative, linear, never throws.
 */
export const checkJsonLimits = (bytes: Uint8Array, limits: JsonLimits): Either.Either<void, JsonRefusal> => {
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
      while (i < n) {
        const c = bytes[i]!
        if (c === QUOTE) {
          closed = true
          break
        }
        if (c === BACKSLASH) {
          if (bytes[i + 1] === 0x75) {
            let unit = 0
            for (let k = 2; k < 6; k++) unit = unit * 16 + hexValue(bytes[i + k] ?? 0)
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
          continue
        }
        if (pendingHigh) break
        if (c >= 0x80) {
          const len = utf8SequenceLength(bytes, i)
          if (len === 0) {
            if (isKey && top !== undefined) top.keyEnd = i
            return refuse("is not valid UTF-8")
          }
          i += len
          continue
        }
        i++
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
  const checked = checkJsonLimits(bytes, limits)
  if (Either.isLeft(checked)) return checked
  let text: string
  try {
    text = utf8Strict.decode(bytes)
  } catch {
    return Either.left({ field: "body", message: "is not valid UTF-8" })
  }
  try {
    return Either.right(JSON.parse(text) as unknown)
  } catch (e) {
    return Either.left({ field: "body", message: `is not valid JSON (${e instanceof Error ? e.message : String(e)})` })
  }
}

/** `field message` as one line (`prompt is not valid UTF-8`). */
export const refusalText = (r: JsonRefusal): string => `${r.field} ${r.message}`
