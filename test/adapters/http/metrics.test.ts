/**
 * Prometheus text exposition 0.0.4 of Effect metrics, parsed back by an independent reader written here
 * from the format's grammar: HELP/TYPE lines before their samples, escaped label values and help text,
 * cumulative histogram buckets ending at +Inf = _count.
 */
import { describe, expect, test } from "bun:test"
import { Effect, Metric, MetricBoundaries } from "effect"
import fc from "fast-check"
import { metricName, renderPrometheus } from "../../../src/adapters/http/metrics.ts"

interface Sample {
  readonly name: string
  readonly labels: Record<string, string>
  readonly value: number
}
interface ParsedFamily {
  help?: string
  type?: string
  samples: Array<Sample>
}

const unescapeHelp = (s: string) => s.replace(/\\(\\|n)/g, (_, c) => (c === "n" ? "\n" : "\\"))

const parseValue = (s: string): number => (s === "+Inf" ? Infinity : s === "-Inf" ? -Infinity : s === "NaN" ? NaN : Number(s))

/** Reads `{a="x",b="y\"z"}` from position `i`; returns the labels and the position after `}`. */
const parseLabels = (line: string, i: number): [Record<string, string>, number] => {
  const labels: Record<string, string> = {}
  i++ // {
  while (line[i] !== "}") {
    const eq = line.indexOf("=", i)
    const name = line.slice(i, eq)
    expect(name).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/)
    expect(line[eq + 1]).toBe('"')
    let j = eq + 2
    let value = ""
    while (line[j] !== '"') {
      if (line[j] === "\\") {
        const next = line[j + 1] ?? ""
        expect(["\\", '"', "n"]).toContain(next)
        value += next === "n" ? "\n" : next
        j += 2
      } else {
        value += line[j]
        j++
      }
    }
    labels[name] = value
    i = j + 1
    if (line[i] === ",") i++
  }
  return [labels, i + 1]
}

/** Parses an exposition; fails the test on any line that breaks the grammar or the family order. */
const parseExposition = (text: string): Map<string, ParsedFamily> => {
  expect(text === "" || text.endsWith("\n")).toBe(true)
  const families = new Map<string, ParsedFamily>()
  let current: string | undefined
  for (const line of text.split("\n").slice(0, -1)) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line)
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (help) {
      expect(families.has(help[1]!)).toBe(false) // one HELP per family
      families.set(help[1]!, { help: unescapeHelp(help[2]!), samples: [] })
      current = help[1]!
    } else if (type) {
      expect(type[1]).toBe(current) // TYPE follows its HELP, before any sample
      expect(families.get(current!)!.samples).toHaveLength(0)
      families.get(current!)!.type = type[2]!
    } else {
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0]
      let labels: Record<string, string> = {}
      let i = name.length
      if (line[i] === "{") [labels, i] = parseLabels(line, i)
      expect(line[i]).toBe(" ")
      const value = line.slice(i + 1)
      expect(value).toMatch(/^(NaN|[+-]Inf|-?\d+(\.\d+)?(e[+-]?\d+)?)$/)
      const family = families.get(current!)!
      expect(family.type).toBeDefined()
      const suffixes = family.type === "histogram" ? ["_bucket", "_sum", "_count"] : family.type === "summary" ? ["", "_sum", "_count"] : [""]
      expect(suffixes.map((s) => current + s)).toContain(name)
      family.samples.push({ name, labels, value: parseValue(value) })
    }
  }
  return families
}

let seq = 0
const uniqueName = (base: string) => `dojo_test_${base}_${process.pid}_${seq++}`

const snapshotOf = (names: ReadonlyArray<string>) =>
  Effect.runSync(Effect.map(Metric.snapshot, (pairs) => pairs.filter((p) => names.includes(p.metricKey.name))))

describe("renderPrometheus", () => {
  test("counters, gauges, histograms, summaries and frequencies with HELP/TYPE, parsed back", () => {
    const counterName = uniqueName("requests_total")
    const gaugeName = uniqueName("block")
    const histName = uniqueName("lag_seconds")
    const summaryName = uniqueName("latency")
    const freqName = uniqueName("errors")
    const counter = Metric.counter(counterName, { description: "Requests\nsent (multi-line \\ help)", incremental: true })
    const gauge = Metric.gauge(gaugeName, { description: "Last block." })
    const hist = Metric.histogram(histName, MetricBoundaries.fromIterable([1, 5, 10]), "Lag.")
    const summary = Metric.summary({ name: summaryName, maxAge: "1 minute", maxSize: 100, error: 0.01, quantiles: [0.5, 0.9], description: "Latency." })
    const freq = Metric.frequency(freqName, { description: "Errors by kind." })
    Effect.runSync(
      Effect.all([
        Metric.incrementBy(Metric.tagged(counter, "kind", 'say "hi"\\ to\nme'), 3),
        Metric.incrementBy(Metric.tagged(counter, "kind", "seed"), 2),
        Metric.set(gauge, 1234),
        ...[0.5, 3, 3, 7, 20].map((v) => Metric.update(hist, v)),
        ...[1, 2, 3, 4].map((v) => Metric.update(summary, v)),
        Metric.update(freq, "timeout"),
        Metric.update(freq, "timeout"),
        Metric.update(freq, "refused")
      ])
    )
    const text = renderPrometheus(snapshotOf([counterName, gaugeName, histName, summaryName, freqName]))
    const families = parseExposition(text)

    const c = families.get(counterName)!
    expect(c.type).toBe("counter")
    expect(c.help).toBe("Requests\nsent (multi-line \\ help)")
    expect(c.samples.map((s) => [s.labels.kind, s.value]).sort()).toEqual([['say "hi"\\ to\nme', 3], ["seed", 2]].sort() as any)

    expect(families.get(gaugeName)).toEqual({ help: "Last block.", type: "gauge", samples: [{ name: gaugeName, labels: {}, value: 1234 }] })

    const h = families.get(histName)!
    expect(h.type).toBe("histogram")
    const buckets = h.samples.filter((s) => s.name === `${histName}_bucket`).map((s) => [s.labels.le, s.value])
    expect(buckets).toEqual([["1", 1], ["5", 3], ["10", 4], ["+Inf", 5]])
    expect(h.samples.find((s) => s.name === `${histName}_sum`)!.value).toBe(33.5)
    expect(h.samples.find((s) => s.name === `${histName}_count`)!.value).toBe(5)

    const s = families.get(summaryName)!
    expect(s.type).toBe("summary")
    expect(s.samples.filter((x) => x.name === summaryName).map((x) => x.labels.quantile)).toEqual(["0.5", "0.9"])
    expect(s.samples.find((x) => x.name === `${summaryName}_count`)!.value).toBe(4)
    expect(s.samples.find((x) => x.name === `${summaryName}_sum`)!.value).toBe(10)

    const f = families.get(freqName)!
    expect(f.type).toBe("counter")
    expect(f.samples.map((x) => [x.labels.key, x.value])).toEqual([["refused", 1], ["timeout", 2]])

    // Sorted output: the same state renders the same text.
    expect(renderPrometheus(snapshotOf([freqName, histName, counterName, summaryName, gaugeName]).reverse())).toBe(text)
  })

  test("names outside Prometheus' alphabet are rewritten; an empty snapshot is empty", () => {
    expect(metricName("http.requests-total")).toBe("http_requests_total")
    expect(metricName("9lives")).toBe("_9lives")
    const odd = `${uniqueName("odd")}.with-dots`
    Effect.runSync(Metric.increment(Metric.tagged(Metric.counter(odd), "bad-label.name", "v")))
    const families = parseExposition(renderPrometheus(snapshotOf([odd])))
    const family = families.get(odd.replace(/[.-]/g, "_"))!
    expect(family.samples).toEqual([{ name: odd.replace(/[.-]/g, "_"), labels: { bad_label_name: "v" }, value: 1 }])
    expect(family.help).toBe(odd.replace(/[.-]/g, "_"))
    expect(renderPrometheus([])).toBe("")
  })

  test("property: any label values and help text survive a round trip", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme", maxLength: 12 }), { minLength: 1, maxLength: 5 }), fc.string({ maxLength: 40 }), (values, help) => {
        const name = uniqueName("prop")
        const counter = Metric.counter(name, { description: help })
        const distinct = [...new Set(values)]
        Effect.runSync(Effect.forEach(distinct, (v, i) => Metric.incrementBy(Metric.tagged(counter, "v", v), i + 1)))
        const family = parseExposition(renderPrometheus(snapshotOf([name]))).get(name)!
        expect(family.help).toBe(help)
        const got = new Map(family.samples.map((s) => [s.labels.v!, s.value]))
        expect(got).toEqual(new Map(distinct.map((v, i) => [v, i + 1])))
      }),
      { numRuns: 60 }
    )
  })

  test("property: histogram buckets are cumulative and end at +Inf = _count", () => {
    fc.assert(
      fc.property(
        // -0 prints as "0" (as Prometheus' Go formatter does), so draw bounds without it.
        fc.uniqueArray(fc.double({ min: -100, max: 100, noNaN: true }).map((x) => (x === 0 ? 0 : x)), { minLength: 1, maxLength: 6 }),
        fc.array(fc.double({ min: -1000, max: 1000, noNaN: true }), { maxLength: 50 }),
        (bounds, observations) => {
          const name = uniqueName("hist")
          const hist = Metric.histogram(name, MetricBoundaries.fromIterable(bounds))
          // Reading the value registers the histogram, so it is exposed even before its first observation.
          Effect.runSync(Effect.zipRight(Metric.value(hist), Effect.forEach(observations, (v) => Metric.update(hist, v))))
          const samples = parseExposition(renderPrometheus(snapshotOf([name]))).get(name)!.samples
          const buckets = samples.filter((s) => s.name === `${name}_bucket`)
          const les = buckets.map((b) => parseValue(b.labels.le!))
          expect(les).toEqual([...new Set([...bounds].sort((a, b) => a - b)), Infinity])
          buckets.forEach((b, i) => {
            expect(b.value).toBe(observations.filter((o) => o <= les[i]!).length)
            if (i > 0) expect(b.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value)
          })
          const count = samples.find((s) => s.name === `${name}_count`)!.value
          expect(count).toBe(observations.length)
          expect(buckets[buckets.length - 1]!.value).toBe(count)
        }
      ),
      { numRuns: 60 }
    )
  })
})
