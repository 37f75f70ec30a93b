/**
 * Row → PreferenceItem mappings for the human-preference datasets Dojo evaluates miners on
 * (dojo.md §3.3), plus a generic mapping for any dataset with prompt/chosen/rejected-like fields.
 * Rows are untrusted JSON: a row that does not fit gives `null` (skipped), never a throw.
 */
import type { PreferenceItem } from "./preference-item.ts"

/** How to read one dataset's rows. */
export type RowMapping =
  | { readonly kind: "pair"; readonly prompt?: string; readonly chosen: string; readonly rejected: string }
  | { readonly kind: "hh-rlhf" }
  | { readonly kind: "shp" }
  | { readonly kind: "webgpt" }
  | { readonly kind: "completions"; readonly prompt: string; readonly completions: string; readonly text?: string }

/** The five evaluation datasets of the original, with their mappings. */
export const evaluationDatasets: ReadonlyArray<{ readonly dataset: string; readonly mapping: RowMapping }> = [
  { dataset: "Anthropic/hh-rlhf", mapping: { kind: "hh-rlhf" } },
  { dataset: "yitingxie/rlhf-reward-datasets", mapping: { kind: "pair", prompt: "prompt", chosen: "chosen", rejected: "rejected" } },
  { dataset: "Dahoas/synthetic-instruct-gptj-pairwise", mapping: { kind: "pair", prompt: "prompt", chosen: "chosen", rejected: "rejected" } },
  { dataset: "stanfordnlp/SHP", mapping: { kind: "shp" } },
  { dataset: "openai/webgpt_comparisons", mapping: { kind: "webgpt" } }
]

const str = (v: unknown): string | null => (typeof v === "string" ? v : null)
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null)
const field = (row: Record<string, unknown>, path: string): unknown =>
  path.split(".").reduce<unknown>((v, key) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), row)

const pairItem = (source: string, prompt: string, chosen: string, rejected: string): PreferenceItem | null =>
  chosen.trim() === "" || rejected.trim() === "" || chosen === rejected
    ? null
    : { source, prompt, completions: [chosen, rejected], preference: { chosen: 0, rejected: 1 } }

const ASSISTANT = "\n\nAssistant:"

/** hh-rlhf rows are whole dialogues; the prompt is everything up to the last assistant turn. */
const splitDialogue = (text: string): { prompt: string; reply: string } | null => {
  const at = text.lastIndexOf(ASSISTANT)
  return at < 0 ? null : { prompt: text.slice(0, at + ASSISTANT.length).trim(), reply: text.slice(at + ASSISTANT.length).trim() }
}

/** Maps one dataset row to an item, or null when the row does not fit (ties, missing fields). */
export const mapRow = (mapping: RowMapping, source: string, row: Record<string, unknown>): PreferenceItem | null => {
  switch (mapping.kind) {
    case "pair": {
      const chosen = str(field(row, mapping.chosen))
      const rejected = str(field(row, mapping.rejected))
      const prompt = mapping.prompt === undefined ? "" : str(field(row, mapping.prompt))
      return chosen === null || rejected === null || prompt === null ? null : pairItem(source, prompt, chosen, rejected)
    }
    case "hh-rlhf": {
      const chosen = str(row.chosen)
      const rejected = str(row.rejected)
      if (chosen === null || rejected === null) return null
      const c = splitDialogue(chosen)
      const r = splitDialogue(rejected)
      // Both sides must share the dialogue; otherwise it is not one prompt with two answers.
      if (c === null || r === null || c.prompt !== r.prompt) return null
      return pairItem(source, c.prompt, c.reply, r.reply)
    }
    case "shp": {
      const a = str(row.human_ref_A)
      const b = str(row.human_ref_B)
      const prompt = str(row.history)
      const label = num(row.labels)
      if (a === null || b === null || prompt === null || label === null) return null
      if (num(row.score_A) !== null && row.score_A === row.score_B) return null
      return label === 1 ? pairItem(source, prompt, a, b) : pairItem(source, prompt, b, a)
    }
    case "webgpt": {
      const q = field(row, "question.full_text")
      const prompt = str(q) ?? str(row.question)
      const a0 = str(field(row, "answer_0"))
      const a1 = str(field(row, "answer_1"))
      const s0 = num(row.score_0)
      const s1 = num(row.score_1)
      if (prompt === null || a0 === null || a1 === null || s0 === null || s1 === null || s0 === s1) return null
      return s0 > s1 ? pairItem(source, prompt, a0, a1) : pairItem(source, prompt, a1, a0)
    }
    case "completions": {
      const prompt = str(field(row, mapping.prompt))
      const list = field(row, mapping.completions)
      if (prompt === null || !Array.isArray(list)) return null
      const texts = list.map((x) => (mapping.text === undefined ? str(x) : str(field(x as Record<string, unknown>, mapping.text))))
      if (texts.some((t) => t === null) || texts.length < 2) return null
      return { source, prompt, completions: texts as string[], preference: null }
    }
  }
}

/** Parses a mapping given on the command line: `prompt=prompt,chosen=chosen,rejected=rejected` or a preset name. */
export const parseMapping = (spec: string): RowMapping | null => {
  if (spec === "hh-rlhf" || spec === "shp" || spec === "webgpt") return { kind: spec }
  const parts = Object.fromEntries(spec.split(",").map((kv) => kv.split("=").map((s) => s.trim()) as [string, string]))
  if (typeof parts.chosen === "string" && typeof parts.rejected === "string")
    return { kind: "pair", chosen: parts.chosen, rejected: parts.rejected, ...(parts.prompt ? { prompt: parts.prompt } : {}) }
  if (typeof parts.prompt === "string" && typeof parts.completions === "string")
    return { kind: "completions", prompt: parts.prompt, completions: parts.completions, ...(parts.text ? { text: parts.text } : {}) }
  return null
}

/** The mapping for a known dataset name, if any. */
export const mappingFor = (dataset: string): RowMapping | undefined =>
  evaluationDatasets.find((d) => d.dataset === dataset)?.mapping
