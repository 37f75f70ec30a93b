/**
 * A `--since` value: unix seconds (`1717000000`), an ISO-8601 date or time (`2024-06-01`,
 * `2024-06-01T12:00:00Z`), or an age counted back from now (`30m`, `24h`, `7d`, `2w`).
 */
import { Either } from "effect"

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }

/** The unix time (seconds) a `--since` text means at `now`, or why it means nothing. */
export const parseSince = (text: string, now: number): Either.Either<number, string> => {
  const t = text.trim()
  const age = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(t)
  if (age) return Either.right(now - Number(age[1]) * UNIT_SECONDS[age[2]!.toLowerCase()]!)
  if (/^\d+(\.\d+)?$/.test(t)) return Either.right(Number(t))
  const iso = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(t)
  const day = iso ? Date.parse(`${iso[1]}T00:00:00Z`) : Number.NaN
  // Date.parse rolls 2024-02-30 over into March; a day that does not round-trip is not a day.
  if (iso && Number.isFinite(day) && new Date(day).toISOString().slice(0, 10) === iso[1]) {
    // A time without a zone is read as UTC, so the same text means the same instant on every machine.
    const ms = Date.parse(`${iso[1]}T${iso[2] ?? "00:00:00"}${(iso[3] ?? "Z").replace(/^([+-]\d{2})(\d{2})$/, "$1:$2")}`)
    if (Number.isFinite(ms)) return Either.right(ms / 1000)
  }
  return Either.left(`--since ${JSON.stringify(text)}: give unix seconds, an ISO date/time (2024-06-01, 2024-06-01T12:00:00Z) or an age (30m, 24h, 7d, 2w)`)
}
