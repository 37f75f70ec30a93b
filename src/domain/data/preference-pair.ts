/**
 * One human (or synthetic) preference: for a prompt, the completion people preferred and the one they
 * did not. The row format of preference JSONL files (`{"prompt"?, "chosen", "rejected"}`), as in
 * Anthropic/hh-rlhf-style datasets.
 */
import { Either, ParseResult, Schema } from "effect"

/** A preference pair; `prompt` may be absent or null (then the texts are scored alone). */
export const PreferencePair = Schema.Struct({
  prompt: Schema.optional(Schema.NullOr(Schema.String)),
  chosen: Schema.String,
  rejected: Schema.String
})
export type PreferencePair = typeof PreferencePair.Type

/** A JSONL line that is not a preference pair. */
export interface PreferenceLineError {
  /** 1-based line number. */
  readonly line: number
  readonly message: string
}

const decodePair = Schema.decodeUnknownEither(PreferencePair)

/** Parses JSONL preference rows (blank lines skipped); the first bad line is reported with its number. */
export const parsePreferenceJsonl = (text: string): Either.Either<Array<PreferencePair>, PreferenceLineError> => {
  const pairs: Array<PreferencePair> = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim()
    if (line === "") continue
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch (e) {
      return Either.left({ line: i + 1, message: `not JSON: ${e instanceof Error ? e.message : String(e)}` })
    }
    const decoded = decodePair(json)
    if (Either.isLeft(decoded)) {
      const issues = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)
      return Either.left({ line: i + 1, message: issues.map((x) => (x.path.length > 0 ? `${x.path.join(".")}: ${x.message}` : x.message)).join("; ") })
    }
    pairs.push(decoded.right)
  }
  return Either.right(pairs)
}
