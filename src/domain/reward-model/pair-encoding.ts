/**
 * Building a model input from (prompt, completion) token ids by hand: the tokenizer's own pair template
 * (read from its `tokenizer.json` post-processor) and a truncation that shortens the prompt first, so the
 * completion — the thing being scored — is never cut away (transformers.js cuts the assembled sequence
 * from the end instead, dropping the completion behind a long prompt).
 */

/** One slot of a template: a run of special-token ids, or the first (A) / second (B) text. */
export type TemplatePart =
  | { readonly kind: "special"; readonly ids: ReadonlyArray<number>; readonly typeId: number }
  | { readonly kind: "A" | "B"; readonly typeId: number }

/** How a tokenizer lays out one text and a pair of texts. */
export interface PairLayout {
  readonly single: ReadonlyArray<TemplatePart>
  readonly pair: ReadonlyArray<TemplatePart>
}

/** Which end of a too-long text is dropped (Hugging Face `truncation_side`). */
export type TruncationSide = "left" | "right"

type Json = unknown
const isRecord = (x: Json): x is Record<string, Json> => typeof x === "object" && x !== null && !Array.isArray(x)

const specialPart = (id: number | undefined, typeId: number): ReadonlyArray<TemplatePart> =>
  id === undefined ? [] : [{ kind: "special", ids: [id], typeId }]

/** `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` from the tokenizer's cls/sep ids (BERT, DeBERTa). */
export const bertLayout = (cls: number | undefined, sep: number | undefined): PairLayout => ({
  single: [...specialPart(cls, 0), { kind: "A", typeId: 0 }, ...specialPart(sep, 0)],
  pair: [
    ...specialPart(cls, 0),
    { kind: "A", typeId: 0 },
    ...specialPart(sep, 0),
    { kind: "B", typeId: 1 },
    ...specialPart(sep, 1)
  ]
})

const robertaLayout = (cls: number | undefined, sep: number | undefined): PairLayout => ({
  single: [...specialPart(cls, 0), { kind: "A", typeId: 0 }, ...specialPart(sep, 0)],
  pair: [
    ...specialPart(cls, 0),
    { kind: "A", typeId: 0 },
    ...specialPart(sep, 0),
    ...specialPart(sep, 0),
    { kind: "B", typeId: 0 },
    ...specialPart(sep, 0)
  ]
})

const templateParts = (
  items: Json,
  specials: Record<string, Json>,
  tokenToId: (token: string) => number | undefined
): ReadonlyArray<TemplatePart> | undefined => {
  if (!Array.isArray(items)) return undefined
  const parts: Array<TemplatePart> = []
  for (const item of items) {
    if (!isRecord(item)) return undefined
    const seq = item.Sequence
    const sp = item.SpecialToken
    if (isRecord(seq) && (seq.id === "A" || seq.id === "B")) {
      parts.push({ kind: seq.id, typeId: Number(seq.type_id ?? 0) })
    } else if (isRecord(sp) && typeof sp.id === "string") {
      const entry = specials[sp.id]
      const ids =
        isRecord(entry) && Array.isArray(entry.ids) ? entry.ids.map(Number) : [tokenToId(sp.id)].filter((x) => x !== undefined)
      if (ids.length === 0) return undefined
      parts.push({ kind: "special", ids, typeId: Number(sp.type_id ?? 0) })
    } else return undefined
  }
  return parts
}

const idOfPair = (x: Json): number | undefined => (Array.isArray(x) && typeof x[1] === "number" ? x[1] : undefined)

/**
 * The layout a `tokenizer.json` post-processor describes (TemplateProcessing, BertProcessing,
 * RobertaProcessing, or the first of those inside a Sequence); `undefined` when there is none to read.
 */
export const layoutFromPostProcessor = (
  postProcessor: Json,
  tokenToId: (token: string) => number | undefined
): PairLayout | undefined => {
  if (!isRecord(postProcessor)) return undefined
  switch (postProcessor.type) {
    case "TemplateProcessing": {
      const specials = isRecord(postProcessor.special_tokens) ? postProcessor.special_tokens : {}
      const single = templateParts(postProcessor.single, specials, tokenToId)
      const pair = templateParts(postProcessor.pair, specials, tokenToId)
      return single && pair ? { single, pair } : undefined
    }
    case "BertProcessing":
      return bertLayout(idOfPair(postProcessor.cls), idOfPair(postProcessor.sep))
    case "RobertaProcessing":
      return robertaLayout(idOfPair(postProcessor.cls), idOfPair(postProcessor.sep))
    case "Sequence": {
      const processors = Array.isArray(postProcessor.processors) ? postProcessor.processors : []
      for (const p of processors) {
        const layout = layoutFromPostProcessor(p, tokenToId)
        if (layout) return layout
      }
      return undefined
    }
    default:
      return undefined
  }
}

/** Number of special tokens a template adds. */
export const specialCount = (parts: ReadonlyArray<TemplatePart>): number =>
  parts.reduce((n, p) => n + (p.kind === "special" ? p.ids.length : 0), 0)

const keep = (ids: ReadonlyArray<number>, n: number, side: TruncationSide): ReadonlyArray<number> =>
  ids.length <= n ? ids : side === "right" ? ids.slice(0, Math.max(0, n)) : ids.slice(ids.length - Math.max(0, n))

/** One assembled model input. */
export interface EncodedInput {
  readonly inputIds: ReadonlyArray<number>
  readonly tokenTypeIds: ReadonlyArray<number>
}

/**
 * Assembles `[specials] prompt [specials] completion [specials]` within `maxLength` tokens. The prompt is
 * shortened first (from `side`); the completion is shortened only if it alone does not fit. A `null`
 * prompt uses the single-text template.
 */
export const assemblePair = (
  layout: PairLayout,
  prompt: ReadonlyArray<number> | null,
  completion: ReadonlyArray<number>,
  maxLength: number,
  side: TruncationSide = "right"
): EncodedInput => {
  const parts = prompt === null ? layout.single : layout.pair
  const budget = Math.max(0, maxLength - specialCount(parts))
  const keptCompletion = keep(completion, budget, side)
  const keptPrompt = prompt === null ? [] : keep(prompt, budget - keptCompletion.length, side)
  // With a null prompt the completion is text A; otherwise A is the prompt and B the completion.
  const textA = prompt === null ? keptCompletion : keptPrompt
  const inputIds: Array<number> = []
  const tokenTypeIds: Array<number> = []
  for (const part of parts) {
    const ids = part.kind === "special" ? part.ids : part.kind === "A" ? textA : keptCompletion
    for (const id of ids) {
      inputIds.push(id)
      tokenTypeIds.push(part.typeId)
    }
  }
  return { inputIds, tokenTypeIds }
}
