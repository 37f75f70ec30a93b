/** The one error every program fails with when its command line cannot run. */
import { Data } from "effect"

/**
 * A command line that cannot run, found after parsing (a combination of flags, a value no single flag
 * can check): the program prints its message as its one error line and exits 2, like a bad flag.
 */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}
