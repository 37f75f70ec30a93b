/**
 * How every Dojo program ends on an error: ONE line on stderr, `<program>: error: <what is wrong and what
 * to do>`, a non-zero exit (2 for a bad command line: a flag @effect/cli refuses or a `UsageError`; 1
 * otherwise), no stack trace, no logged cause.
 * @effect/cli's own messages are replaced by ones naming the flag (a flag given twice, an unknown
 * flag, a value that is not a number or not one of the choices, a missing flag).
 */
import { CliConfig, Command, HelpDoc, ValidationError } from "@effect/cli"
import { BunContext, BunRuntime } from "@effect/platform-bun"
import { Cause, ConfigError, Console, Effect, Option } from "effect"
import { UsageError } from "./usage-error.ts"

/** A missing or invalid environment setting, by name (Config hides the values of secret ones). */
export const describeConfigError = (e: ConfigError.ConfigError): string => {
  switch (e._op) {
    case "MissingData":
      return `environment variable ${e.path.join("_")} is not set`
    case "InvalidData":
      return `environment variable ${e.path.join("_")} is invalid`
    case "And":
      return `${describeConfigError(e.left)}; ${describeConfigError(e.right)}`
    case "Or":
      return `${describeConfigError(e.left)} (or: ${describeConfigError(e.right)})`
    default:
      return "invalid environment settings"
  }
}

const oneLine = (s: string): string => s.replace(/\s+/g, " ").trim()

/** One line for an operator: a failure's own message (typed errors here say what to do), never a stack. */
export const describeCause = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause)
  const e: unknown = Option.isSome(failure) ? failure.value : Option.getOrUndefined(Cause.dieOption(cause))
  if (e === undefined) return "stopped"
  if (ConfigError.isConfigError(e)) return describeConfigError(e)
  const message = typeof e === "object" && e !== null && "message" in e ? String(e.message) : String(e)
  // A defect's message only: its stack is for developers (LOG_LEVEL/--logging.debug do not change this).
  return oneLine(message.split("\n    at ")[0]!) || (typeof e === "object" && e !== null && "_tag" in e ? String(e._tag) : "unexpected error")
}

/** What a command's help says about its flags: every long flag, and the choices of the choice flags. */
interface FlagFacts {
  readonly known: ReadonlySet<string>
  readonly choices: ReadonlyMap<string, string>
}

const flagFacts = (command: Command.Command<string, never, unknown, unknown>): FlagFacts => {
  const help = HelpDoc.toAnsiText(Command.getHelp(command, CliConfig.defaultConfig))
  const known = new Set([...help.matchAll(/--[A-Za-z0-9][\w.-]*/g)].map((m) => m[0]).concat(["--help", "--version", "--wizard", "--completions", "--log-level"]))
  // Usage lines show a choice flag as `--flag a | b | c`.
  const choices = new Map([...help.matchAll(/(--[A-Za-z0-9][\w.-]*) ((?:[\w.-]+ \| )+[\w.-]+)/g)].map((m) => [m[1]!, m[2]!.split(" | ").join(", ")] as const))
  return { known, choices }
}

/** The flag names written on the command line (`--a b`, `--a=b`), in order. */
const flagsIn = (args: ReadonlyArray<string>): ReadonlyArray<{ readonly name: string; readonly value: string | undefined }> =>
  args.flatMap((arg, i) => {
    if (!arg.startsWith("--")) return []
    const eq = arg.indexOf("=")
    return eq > 0 ? [{ name: arg.slice(0, eq), value: arg.slice(eq + 1) }] : [{ name: arg, value: args[i + 1] }]
  })

/** What is wrong with the command line before @effect/cli parses it: a flag given twice, an unknown flag. */
const precheck = (args: ReadonlyArray<string>, { known }: FlagFacts): string | undefined => {
  const seen = new Set<string>()
  for (const [i, arg] of args.entries()) {
    if (!arg.startsWith("--")) continue
    const name = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg
    const previous = args[i - 1]
    // A token after a flag may be that flag's value (`--message --x`): only judge flags in flag position.
    const inValuePosition = previous !== undefined && previous.startsWith("--") && !previous.includes("=") && known.has(previous)
    if (!known.has(name)) {
      if (!inValuePosition) return `unknown flag ${name} (see --help for the flags)`
      continue
    }
    if (seen.has(name)) return `${name} is given more than once: give it once`
    seen.add(name)
  }
  return undefined
}

/** @effect/cli's message for a bad command line, rewritten to name the flag and what to do. */
const describeValidation = (e: ValidationError.ValidationError, args: ReadonlyArray<string>, facts: FlagFacts): string => {
  const text = "error" in e ? oneLine(HelpDoc.toAnsiText(e.error)) : (e as { readonly _tag: string })._tag
  const flags = flagsIn(args)
  const notNumber = /^'(.*)' is not a (float|integer)$/.exec(text)
  if (notNumber !== null) {
    const flag = flags.find((f) => f.value === notNumber[1])
    return `${flag?.name ?? "a flag"} ${JSON.stringify(notNumber[1])}: give ${notNumber[2] === "integer" ? "a whole number" : "a number"}`
  }
  // Several errors come as one sentence after another: name the first.
  const cases = /^Expected one of the following cases: (.*?)(?: Expected .*)?$/.exec(text)
  if (cases !== null) {
    const allowed = cases[1]!.split(",").map((s) => s.trim())
    const wrong = flags.filter((f) => f.value !== undefined && !allowed.includes(f.value))
    const choiceFlags = wrong.filter((f) => facts.choices.get(f.name) === allowed.join(", "))
    const culprits = choiceFlags.length > 0 ? choiceFlags : wrong
    const where = culprits.length === 1 ? `${culprits[0]!.name} ${JSON.stringify(culprits[0]!.value)}` : "a flag's value"
    return `${where}: give one of ${allowed.join(", ")}`
  }
  const missing = /^Expected to find option: '(.*)'$/.exec(text)
  if (missing !== null) return `${missing[1]} is required (see --help)`
  const unknown = /^Received unknown argument: '(.*)'$/.exec(text)
  if (unknown !== null) return `unexpected argument ${JSON.stringify(unknown[1])} (see --help)`
  const twice = /^More than one reference to option '(.*)' detected$/.exec(text)
  if (twice !== null) return `${twice[1]} is given more than once: give it once`
  return text === "" ? "invalid command line (see --help)" : text
}

/**
 * Runs `command` as the program `name` from `process.argv`: parses, runs, and on any error prints the one
 * line and sets the exit code. Help and version print as usual.
 */
export const runCli = <Name extends string, R, E, A>(
  name: string,
  command: Command.Command<Name, R, E, A>,
  options: { readonly version?: string } = {}
): void => {
  const args = process.argv.slice(2)
  const fail = (code: number, message: string) =>
    Console.error(`${name}: error: ${message}`).pipe(Effect.zipRight(Effect.sync(() => (process.exitCode = code))))
  const facts = flagFacts(command as unknown as Command.Command<string, never, unknown, unknown>)
  const problem = precheck(args, facts)

  // @effect/cli prints its own (unnamed) message for a bad command line before failing: silence the
  // console's stderr until our handler runs, and print ours instead.
  let parsing = true
  const handled = command.pipe(Command.transformHandler((effect) => Effect.suspend(() => ((parsing = false), effect))))
  const cli = Command.run(handled, { name, version: options.version ?? "0.1.0" })
  const main = Effect.consoleWith((real) =>
    cli(process.argv).pipe(
      Effect.withConsole({ ...real, error: (...a: ReadonlyArray<unknown>) => (parsing ? Effect.void : real.error(...a)) }),
      Effect.catchAllCause((cause) => {
        if (Cause.isInterruptedOnly(cause)) return Effect.void
        const failure = Cause.failureOption(cause)
        if (Option.isSome(failure) && ValidationError.isValidationError(failure.value))
          return fail(2, describeValidation(failure.value, args, facts))
        return fail(Option.isSome(failure) && failure.value instanceof UsageError ? 2 : 1, describeCause(cause))
      })
    )
  )
  const program = problem === undefined ? main : fail(2, problem)
  BunRuntime.runMain(program.pipe(Effect.provide(BunContext.layer)) as Effect.Effect<void>, { disableErrorReporting: true, disablePrettyLogger: true })
}
