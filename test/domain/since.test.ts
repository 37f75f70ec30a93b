import { describe, expect, test } from "bun:test"
import { Either } from "effect"
import fc from "fast-check"
import { parseSince } from "../../src/domain/since.ts"

const NOW = 1_750_000_000

const ok = (text: string) => Either.getOrThrow(parseSince(text, NOW))

describe("parseSince", () => {
  test("unix seconds, ISO dates and times (UTC unless a zone is given), ages", () => {
    expect(ok("1717000000")).toBe(1_717_000_000)
    expect(ok("1717000000.5")).toBe(1_717_000_000.5)
    expect(ok("2024-06-01")).toBe(1_717_200_000)
    expect(ok("2024-06-01T12:00")).toBe(1_717_243_200)
    expect(ok("2024-06-01 12:00:30Z")).toBe(1_717_243_230)
    expect(ok("2024-06-01T12:00:00+0200")).toBe(1_717_236_000)
    expect(ok("2024-06-01T12:00:00-01:30")).toBe(1_717_248_600)
    expect(ok("30m")).toBe(NOW - 1800)
    expect(ok("24h")).toBe(NOW - 86_400)
    expect(ok(" 7d ")).toBe(NOW - 7 * 86_400)
    expect(ok("2w")).toBe(NOW - 14 * 86_400)
    expect(ok("1.5h")).toBe(NOW - 5400)
  })

  test("anything else is refused with a message naming the forms", () => {
    for (const bad of ["", "yesterday", "7 days", "2024-02-30", "2024-13-01", "-5", "5y", "2024-06-01T25:00"]) {
      const r = parseSince(bad, NOW)
      expect(Either.isLeft(r)).toBe(true)
      if (Either.isLeft(r)) expect(r.left).toContain("ISO date")
    }
  })

  test("property: an age of n units is exactly n units before now; an ISO day round-trips", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(["s", 1], ["m", 60], ["h", 3600], ["d", 86_400], ["w", 604_800]), (n, [unit, seconds]) =>
        ok(`${n}${unit}`) === NOW - n * (seconds as number)
      )
    )
    fc.assert(
      fc.property(fc.date({ min: new Date("1971-01-01"), max: new Date("2200-12-31"), noInvalidDate: true }), (d) => {
        const day = d.toISOString().slice(0, 10)
        return ok(day) === Date.parse(`${day}T00:00:00Z`) / 1000
      })
    )
  })
})
