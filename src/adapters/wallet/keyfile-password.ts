/**
 * Where a keyfile password comes from, in order: `BT_COLD_PW_<NAME>` (SDK 7.x, coldkeys only), then
 * btwallet ≥2.1's `BT_PW_<PATH>` (XOR-encoded, any keyfile; the path spelled as btwallet spells it), then a hidden prompt when stdin is a
 * terminal. Without any of them the error names the variable to set.
 */
import { Prompt } from "@effect/cli"
import { BunContext } from "@effect/platform-bun"
import { Config, Effect, Either, Option, Redacted } from "effect"
import { btwalletPasswordEnvVar, coldPasswordEnvVar, decodeEnvPassword } from "../../domain/wallet/keyfile.ts"
import { InvalidKeyInput, PasswordUnavailable, type KeyRole } from "../../services/wallet.ts"

/** The keyfile a password is for; btwallet's variable name is built from `btwalletPath` (default `path`). */
export interface PasswordTarget {
  readonly path: string
  readonly walletName: string
  readonly role: KeyRole
  /** The path as btwallet spells it (tilde-expanded, not resolved: see `btwalletPaths`). */
  readonly btwalletPath?: string
}

const btwalletVar = (target: PasswordTarget): string => btwalletPasswordEnvVar(target.btwalletPath ?? target.path)

/** A password and where it came from (an environment variable name, or "prompt"), for error messages. */
export interface Password {
  readonly value: Redacted.Redacted<string>
  readonly source: string
}

/** Shortest password accepted when encrypting (btcli's rule). */
export const MIN_PASSWORD_LENGTH = 6

/** The variable an operator should set for this keyfile. */
export const preferredEnvVar = (target: PasswordTarget): string =>
  target.role === "coldkey" ? coldPasswordEnvVar(target.walletName) : btwalletVar(target)

const alsoBtwallet = (target: PasswordTarget) => (target.role === "coldkey" ? { btwalletVar: btwalletVar(target) } : {})

const fromEnv = (target: PasswordTarget): Effect.Effect<Option.Option<Password>, InvalidKeyInput> =>
  Effect.gen(function* () {
    if (target.role === "coldkey") {
      const name = coldPasswordEnvVar(target.walletName)
      const v7 = yield* Config.option(Config.redacted(name)).pipe(Effect.orDie)
      if (Option.isSome(v7) && Redacted.value(v7.value).length > 0) return Option.some({ value: v7.value, source: name })
    }
    const name = btwalletVar(target)
    const encoded = yield* Config.option(Config.string(name)).pipe(Effect.orDie)
    if (Option.isNone(encoded) || encoded.value.length === 0) return Option.none()
    const decoded = decodeEnvPassword(encoded.value, name)
    if (Either.isLeft(decoded)) return yield* new InvalidKeyInput({ what: decoded.left })
    return Option.some({ value: decoded.right, source: name })
  })

const onTerminal = <A>(
  target: PasswordTarget,
  prompt: Effect.Effect<A, unknown>
): Effect.Effect<A, PasswordUnavailable> => {
  if (!process.stdin.isTTY) {
    return Effect.fail(
      new PasswordUnavailable({
        path: target.path,
        envVar: preferredEnvVar(target),
        ...alsoBtwallet(target),
        reason: "no password variable is set and stdin is not a terminal"
      })
    )
  }
  return prompt.pipe(
    Effect.mapError(
      () => new PasswordUnavailable({ path: target.path, envVar: preferredEnvVar(target), ...alsoBtwallet(target), reason: "the prompt was cancelled" })
    )
  )
}

const hidden = (message: string, validate?: (value: string) => Effect.Effect<string, string>) =>
  Prompt.run(Prompt.hidden(validate ? { message, validate } : { message })).pipe(Effect.provide(BunContext.layer))

/** The password to decrypt a keyfile: environment, else a hidden prompt on a terminal. */
export const passwordToDecrypt = (target: PasswordTarget): Effect.Effect<Password, PasswordUnavailable | InvalidKeyInput> =>
  fromEnv(target).pipe(
    Effect.flatMap(
      Option.match({
        onSome: Effect.succeed,
        onNone: () =>
          onTerminal(
            target,
            hidden(`Password to unlock the ${target.role} ${target.path}`).pipe(
              Effect.map((value): Password => ({ value, source: "prompt" }))
            )
          )
      })
    )
  )

const longEnough = (value: string) =>
  value.length >= MIN_PASSWORD_LENGTH ? Effect.succeed(value) : Effect.fail(`at least ${MIN_PASSWORD_LENGTH} characters`)

/** The password to encrypt a new keyfile: environment, else asked twice on a terminal. At least 6 characters. */
export const passwordToEncrypt = (target: PasswordTarget): Effect.Effect<Password, PasswordUnavailable | InvalidKeyInput> =>
  Effect.gen(function* () {
    const env = yield* fromEnv(target)
    if (Option.isSome(env)) {
      if (Redacted.value(env.value.value).length < MIN_PASSWORD_LENGTH) {
        return yield* new InvalidKeyInput({ what: `the password in ${env.value.source} is shorter than ${MIN_PASSWORD_LENGTH} characters` })
      }
      return env.value
    }
    const [first, second] = yield* onTerminal(
      target,
      Effect.all([
        hidden(`New password to encrypt the ${target.role}`, longEnough),
        hidden("Retype the password")
      ])
    )
    if (Redacted.value(first) !== Redacted.value(second)) return yield* new InvalidKeyInput({ what: "the two passwords differ" })
    return { value: first, source: "prompt" }
  })
