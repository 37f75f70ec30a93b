/**
 * Effect metrics as Prometheus text exposition format 0.0.4: one `# HELP` and `# TYPE` line per metric
 * family, then its series (one per tag set). Counters and gauges are one sample each; histograms give
 * cumulative `_bucket{le=…}` samples ending at `+Inf`, then `_sum` and `_count`; summaries give
 * `{quantile=…}` samples, `_sum` and `_count`; Effect's frequencies become a counter with a `key` label.
 * Output is sorted (families by name, series by labels) so two scrapes of the same state are identical.
 */
import { HttpServerResponse } from "@effect/platform"
import { Effect, Metric, MetricState, Option } from "effect"
import type * as MetricPair from "effect/MetricPair"

/** The content type Prometheus expects for this format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

type Label = readonly [name: string, value: string]
type FamilyType = "counter" | "gauge" | "histogram" | "summary"

interface Family {
  readonly name: string
  readonly type: FamilyType
  readonly help: string
  /** Each series' sample lines, keyed by its rendered labels (for sorting). */
  readonly series: Array<{ readonly key: string; readonly lines: ReadonlyArray<string> }>
}

/** A metric name as Prometheus allows it: `[a-zA-Z_:][a-zA-Z0-9_:]*` (anything else becomes `_`). */
export const metricName = (name: string): string => {
  const clean = name.replace(/[^a-zA-Z0-9_:]/g, "_")
  return /^[a-zA-Z_:]/.test(clean) ? clean : `_${clean}`
}

/** A label name as Prometheus allows it: `[a-zA-Z_][a-zA-Z0-9_]*`. */
export const labelName = (name: string): string => {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, "_")
  return /^[a-zA-Z_]/.test(clean) ? clean : `_${clean}`
}

/** Escapes a label value: backslash, double quote and line feed. */
export const escapeLabelValue = (value: string): string => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")

/** Escapes HELP text: backslash and line feed. */
export const escapeHelp = (text: string): string => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")

/** A sample value as Prometheus writes it (`NaN`, `+Inf`, `-Inf`, integers without a fraction). */
export const formatValue = (value: number | bigint): string => {
  if (typeof value === "bigint") return value.toString()
  if (Number.isNaN(value)) return "NaN"
  if (value === Number.POSITIVE_INFINITY) return "+Inf"
  if (value === Number.NEGATIVE_INFINITY) return "-Inf"
  return String(value)
}

const renderLabels = (labels: ReadonlyArray<Label>): string =>
  labels.length === 0 ? "" : `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`

const sample = (name: string, labels: ReadonlyArray<Label>, value: number | bigint): string =>
  `${name}${renderLabels(labels)} ${formatValue(value)}`

/** The family type and sample lines of one series, or undefined for a state this renderer does not know. */
const renderSeries = (
  name: string,
  labels: ReadonlyArray<Label>,
  state: unknown
): { readonly type: FamilyType; readonly lines: ReadonlyArray<string> } | undefined => {
  if (MetricState.isCounterState(state)) return { type: "counter", lines: [sample(name, labels, state.count)] }
  if (MetricState.isGaugeState(state)) return { type: "gauge", lines: [sample(name, labels, state.value)] }
  if (MetricState.isHistogramState(state)) {
    const lines = state.buckets.map(([le, count]) => sample(`${name}_bucket`, [...labels, ["le", formatValue(le)]], count))
    const last = state.buckets[state.buckets.length - 1]
    if (last === undefined || last[0] !== Number.POSITIVE_INFINITY)
      lines.push(sample(`${name}_bucket`, [...labels, ["le", "+Inf"]], state.count))
    lines.push(sample(`${name}_sum`, labels, state.sum), sample(`${name}_count`, labels, state.count))
    return { type: "histogram", lines }
  }
  if (MetricState.isSummaryState(state)) {
    const lines = state.quantiles.map(([q, v]) => sample(name, [...labels, ["quantile", formatValue(q)]], Option.getOrElse(v, () => Number.NaN)))
    lines.push(sample(`${name}_sum`, labels, state.sum), sample(`${name}_count`, labels, state.count))
    return { type: "summary", lines }
  }
  if (MetricState.isFrequencyState(state)) {
    const keys = [...state.occurrences.keys()].sort()
    return { type: "counter", lines: keys.map((k) => sample(name, [...labels, ["key", k]], state.occurrences.get(k)!)) }
  }
  return undefined
}

/**
 * Renders a metrics snapshot. A name used by metrics of different types keeps the first type seen (after
 * sorting by name) and drops the others, since one family cannot have two types.
 */
export const renderPrometheus = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  const families = new Map<string, Family>()
  for (const { metricKey, metricState } of pairs) {
    const name = metricName(metricKey.name)
    const labels: Array<Label> = metricKey.tags
      .map((t): Label => [labelName(t.key), t.value])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    const rendered = renderSeries(name, labels, metricState)
    if (rendered === undefined) continue
    const help = Option.getOrElse(metricKey.description, () => name)
    let family = families.get(name)
    if (family === undefined) {
      family = { name, type: rendered.type, help, series: [] }
      families.set(name, family)
    } else if (family.type !== rendered.type) continue
    family.series.push({ key: renderLabels(labels), lines: rendered.lines })
  }
  const out: Array<string> = []
  for (const family of [...families.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`)
    for (const s of family.series.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) out.push(...s.lines)
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`
}

/** Every metric of the process, rendered now. */
export const prometheusText: Effect.Effect<string> = Effect.map(Metric.snapshot, renderPrometheus)

/** The `/metrics` response. */
export const metricsResponse: Effect.Effect<HttpServerResponse.HttpServerResponse> = Effect.map(prometheusText, (text) =>
  HttpServerResponse.text(text, { contentType: PROMETHEUS_CONTENT_TYPE })
)
