/**
 * The tokenizer of the small reward models this project trains, in two forms that must agree exactly:
 * the Hugging Face files (`tokenizer.json`, `tokenizer_config.json`, `config.json`) that
 * `@huggingface/transformers` loads, and a pure TypeScript twin used while training.
 *
 * Words, not sub-words: Lowercase normaliser, `Whitespace` pre-tokenizer (`\w+|[^\w\s]+`) and a
 * WordPiece model whose vocabulary holds whole words only, so a word is either known or `[UNK]`
 * (tokenizers.js has no WordLevel model; WordPiece without `##` pieces behaves the same, and the twin below
 * replays its greedy matching so even odd inputs agree). Pair template `[CLS] A [SEP] B [SEP]` as DeBERTa.
 */

/** Special tokens, in id order: ids 0..4 as in DeBERTa-v3 (except `[MASK]`). */
export const SPECIAL_TOKENS = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"] as const
export const PAD_ID = 0
export const CLS_ID = 1
export const SEP_ID = 2
export const UNK_ID = 3

const CONTINUING_PREFIX = "##"
const MAX_CHARS_PER_WORD = 100
const WORD_PATTERN = /\w+|[^\w\s]+/g

/** A tokenizer: the vocabulary words (ids from `SPECIAL_TOKENS.length` on) and the model's max length. */
export interface TokenizerSpec {
  readonly words: ReadonlyArray<string>
  readonly maxLength: number
}

/** Number of ids the model must embed: special tokens plus words. */
export const vocabularySize = (spec: TokenizerSpec): number => SPECIAL_TOKENS.length + spec.words.length

/** Splits raw text at literal special tokens (as tokenizers.js does for non-normalised added tokens). */
const splitSpecials = (text: string): Array<string> => {
  const out: Array<string> = []
  let start = 0
  let i = 0
  while (i < text.length) {
    const match = text[i] === "[" ? SPECIAL_TOKENS.find((t) => text.startsWith(t, i)) : undefined
    if (match === undefined) {
      i++
      continue
    }
    if (i > start) out.push(text.slice(start, i))
    out.push(match)
    i += match.length
    start = i
  }
  if (start < text.length) out.push(text.slice(start))
  return out
}

const isSpecial = (s: string): boolean => (SPECIAL_TOKENS as ReadonlyArray<string>).includes(s)

/** The normalised pre-tokens (words) of a text, special-token literals excluded. */
export const preTokenize = (text: string): Array<string> =>
  splitSpecials(text).flatMap((section) => (isSpecial(section) ? [] : (section.toLowerCase().match(WORD_PATTERN) ?? [])))

/** Greedy WordPiece over one word, exactly as tokenizers.js does it; `undefined` means `[UNK]`. */
const wordPiece = (word: string, index: ReadonlyMap<string, number>): Array<number> | undefined => {
  const chars = [...word]
  if (chars.length > MAX_CHARS_PER_WORD) return undefined
  const pieces: Array<number> = []
  let start = 0
  while (start < chars.length) {
    let end = chars.length
    let found: number | undefined
    while (start < end) {
      const sub = (start > 0 ? CONTINUING_PREFIX : "") + chars.slice(start, end).join("")
      found = index.get(sub)
      if (found !== undefined) break
      end--
    }
    if (found === undefined) return undefined
    pieces.push(found)
    start = end
  }
  return pieces
}

/** Returns the text → ids function of a tokenizer (no special tokens added; literal ones are kept). */
export const makeEncoder = (spec: TokenizerSpec): ((text: string) => Array<number>) => {
  const index = new Map<string, number>()
  SPECIAL_TOKENS.forEach((t, i) => index.set(t, i))
  spec.words.forEach((w, i) => {
    if (!index.has(w)) index.set(w, SPECIAL_TOKENS.length + i)
  })
  const cache = new Map<string, ReadonlyArray<number>>()
  const encodeWord = (word: string): ReadonlyArray<number> => {
    let ids = cache.get(word)
    if (ids === undefined) {
      ids = wordPiece(word, index) ?? [UNK_ID]
      if (cache.size < 100_000) cache.set(word, ids)
    }
    return ids
  }
  return (text) =>
    splitSpecials(text).flatMap((section) => {
      const special = SPECIAL_TOKENS.indexOf(section as (typeof SPECIAL_TOKENS)[number])
      if (special >= 0) return [special]
      return (section.toLowerCase().match(WORD_PATTERN) ?? []).flatMap(encodeWord)
    })
}

/** Options for building a vocabulary from a corpus. */
export interface VocabularyOptions {
  /** At most this many words (the most frequent). */
  readonly maxWords: number
  /** Words seen fewer times are left to `[UNK]`. */
  readonly minCount: number
  readonly maxLength: number
}

/** Builds a tokenizer from texts: the most frequent words, ties broken by the word, so it is deterministic. */
export const buildTokenizerSpec = (texts: Iterable<string>, options: VocabularyOptions): TokenizerSpec => {
  const counts = new Map<string, number>()
  for (const text of texts) for (const w of preTokenize(text)) counts.set(w, (counts.get(w) ?? 0) + 1)
  const words = [...counts.entries()]
    .filter(([w, n]) => n >= options.minCount && !isSpecial(w) && [...w].length <= MAX_CHARS_PER_WORD)
    .sort(([a, n], [b, m]) => m - n || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, Math.max(0, options.maxWords))
    .map(([w]) => w)
  return { words, maxLength: options.maxLength }
}

// ---- Hugging Face files ----------------------------------------------------------------------------

const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } })
const sequence = (id: "A" | "B", typeId: number) => ({ Sequence: { id, type_id: typeId } })

/** `tokenizer.json` (Hugging Face tokenizers format). */
export const tokenizerJson = (spec: TokenizerSpec) => {
  const vocab: Record<string, number> = {}
  SPECIAL_TOKENS.forEach((t, i) => (vocab[t] = i))
  spec.words.forEach((w, i) => {
    if (!(w in vocab)) vocab[w] = SPECIAL_TOKENS.length + i
  })
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true
    })),
    normalizer: { type: "Lowercase" },
    pre_tokenizer: { type: "Whitespace" },
    post_processor: {
      type: "TemplateProcessing",
      single: [special("[CLS]", 0), sequence("A", 0), special("[SEP]", 0)],
      pair: [special("[CLS]", 0), sequence("A", 0), special("[SEP]", 0), sequence("B", 1), special("[SEP]", 1)],
      special_tokens: {
        "[CLS]": { id: "[CLS]", ids: [CLS_ID], tokens: ["[CLS]"] },
        "[SEP]": { id: "[SEP]", ids: [SEP_ID], tokens: ["[SEP]"] }
      }
    },
    decoder: { type: "WordPiece", prefix: CONTINUING_PREFIX, cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: CONTINUING_PREFIX,
      max_input_chars_per_word: MAX_CHARS_PER_WORD,
      vocab
    }
  }
}

/** `tokenizer_config.json`: transformers.js picks the class from `tokenizer_class`. */
export const tokenizerConfigJson = (spec: TokenizerSpec) => ({
  tokenizer_class: "DebertaV2Tokenizer",
  model_max_length: spec.maxLength,
  do_lower_case: true,
  padding_side: "right",
  truncation_side: "right",
  clean_up_tokenization_spaces: true,
  pad_token: "[PAD]",
  cls_token: "[CLS]",
  sep_token: "[SEP]",
  unk_token: "[UNK]",
  mask_token: "[MASK]"
})

/** What `config.json` records about the model besides its Hugging Face fields. */
export interface ModelCardFields {
  readonly hiddenSize: number
  readonly vocabSize: number
  /** Free-form training facts (kept under the `dojo` key). */
  readonly training: Readonly<Record<string, unknown>>
}

/** `config.json`: a one-logit DeBERTa-v2-shaped sequence classifier, so the Auto classes pick the right head. */
export const modelConfigJson = (spec: TokenizerSpec, fields: ModelCardFields) => ({
  architectures: ["DebertaV2ForSequenceClassification"],
  model_type: "deberta-v2",
  num_labels: 1,
  problem_type: "regression",
  id2label: { "0": "LABEL_0" },
  label2id: { LABEL_0: 0 },
  hidden_size: fields.hiddenSize,
  vocab_size: fields.vocabSize,
  max_position_embeddings: spec.maxLength,
  pad_token_id: PAD_ID,
  "transformers.js_config": { dtype: "fp32" },
  dojo: { architecture: "mean-pooled word embeddings → tanh → linear", ...fields.training }
})
