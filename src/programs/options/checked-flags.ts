/**
 * Flags whose value is checked as it is parsed, so a wrong value fails like a bad flag (one line naming
 * it, exit 2): every program builds its numeric, port and URL flags from these, with one wording;
 * and the check of two flags that exclude each other.
 */
import { Options } from "@effect/cli"
import { Effect, Either, Option } from "effect"
import { UsageError } from "./usage-error.ts"

const checked =
  <A>(ok: (a: A) => boolean, flag: string, rule: string) =>
  (self: Options.Options<A>): Options.Options<A> =>
    Options.filterMap(self, (a) => (ok(a) ? Option.some(a) : Option.none()), `--${flag} must be ${rule}`)

/** A whole-number flag that must satisfy `ok`; the error reads `--flag must be <rule>`. */
export const integerFlag = (flag: string, ok: (n: number) => boolean, rule: string): Options.Options<number> =>
  checked(ok, flag, rule)(Options.integer(flag))

/** A number flag that must be finite and satisfy `ok`; the error reads `--flag must be <rule>`. */
export const numberFlag = (flag: string, ok: (n: number) => boolean, rule: string): Options.Options<number> =>
  checked((n: number) => Number.isFinite(n) && ok(n), flag, rule)(Options.float(flag))

/** A TCP port flag (0 = any free port). */
export const portFlag = (flag: string): Options.Options<number> => integerFlag(flag, (n) => n >= 0 && n <= 65535, "a port (0-65535)")

/** A whole number of at least `min`. */
export const atLeastFlag = (flag: string, min: number): Options.Options<number> => integerFlag(flag, (n) => n >= min, `at least ${min}`)

/** An optional http(s) URL flag. */
export const httpUrlFlag = (flag: string, description: string): Options.Options<Option.Option<string>> =>
  checked((s: string) => /^https?:\/\/\S+$/.test(s), flag, "an http(s) URL")(Options.text(flag)).pipe(
    Options.withDescription(description),
    Options.optional
  )

/** Describes a flag as `<description> (default <fallback>).` and gives it that default. */
export const withNotedDefault =
  (description: string, fallback: number) =>
  (self: Options.Options<number>): Options.Options<number> =>
    self.pipe(Options.withDescription(`${description} (default ${fallback}).`), Options.withDefault(fallback))

/**
 * Of two optional flags that exclude each other, the one given: `Either.left` the first's value,
 * `Either.right` the second's; neither or both is a UsageError `give exactly one of <first> or <second>`.
 */
export const exactlyOne = <A, B>(
  first: readonly [label: string, value: Option.Option<A>],
  second: readonly [label: string, value: Option.Option<B>]
): Effect.Effect<Either.Either<B, A>, UsageError> =>
  Option.isSome(first[1]) && Option.isNone(second[1])
    ? Effect.succeed(Either.left(first[1].value))
    : Option.isSome(second[1]) && Option.isNone(first[1])
      ? Effect.succeed(Either.right(second[1].value))
      : Effect.fail(new UsageError({ message: `give exactly one of ${first[0]} or ${second[0]}` }))
