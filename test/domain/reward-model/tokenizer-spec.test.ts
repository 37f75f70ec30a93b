import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { AutoTokenizer, env, type PreTrainedTokenizer } from "@huggingface/transformers"
import fc from "fast-check"
import { assemblePair } from "../../../src/domain/reward-model/pair-encoding.ts"
import { specLayout } from "../../../src/domain/reward-model/training.ts"
import { initRewardModel } from "../../../src/domain/reward-model/model.ts"
import { seededRandom } from "../../../src/domain/seeded-random.ts"
import { buildTokenizerSpec, makeEncoder, preTokenize, SPECIAL_TOKENS, tokenizerJson, vocabularySize } from "../../../src/domain/reward-model/tokenizer-spec.ts"
import { removeTempDirs, writeModelDir } from "../../support/reward-model-dir.ts"

// Model training and ONNX sessions take seconds when the shared 2-core machine is busy.
setDefaultTimeout(30_000)

// Punctuation runs like "##", "!!" and "##!" make WordPiece's greedy matching matter.
const corpus = [
  "Hello world! First, knead the dough; then bake it.",
  "## heading ##! and !! ... help helpful helper he ll",
  "Über café naïve — ünïcödé 123 4.5 snake_case CamelCase",
  "hello hello hello world world, bake bake!"
]
const spec = buildTokenizerSpec(corpus, { maxWords: 1000, minCount: 1, maxLength: 64 })
const encode = makeEncoder(spec)
let hf: PreTrainedTokenizer

beforeAll(async () => {
  env.allowRemoteModels = false
  const dir = writeModelDir({ model: initRewardModel(vocabularySize(spec), 2, seededRandom(1)), tokenizer: spec })
  hf = await AutoTokenizer.from_pretrained(dir, { local_files_only: true })
})
afterAll(removeTempDirs)

const words = [...spec.words, ...SPECIAL_TOKENS, "unknownword", "HELLO", "Help", "##", "!!!", "#", " ", "\n", "\t", "[", "]"]
const mixedText = fc.array(fc.constantFrom(...words), { maxLength: 30 }).chain((ws) =>
  fc.array(fc.constantFrom(" ", "", "  ", "\n", ",", "."), { minLength: ws.length, maxLength: ws.length }).map((seps) => ws.map((w, i) => w + seps[i]).join(""))
)
const anyText = fc.oneof(mixedText, fc.string({ unit: "binary", maxLength: 60 }), fc.string({ unit: "grapheme", maxLength: 60 }))

describe("tokenizer spec", () => {
  test("vocabulary: most frequent first, ties by word, capped, min count respected", () => {
    expect(spec.words.slice(0, 3)).toEqual(["hello", "bake", "world"])
    const capped = buildTokenizerSpec(corpus, { maxWords: 2, minCount: 1, maxLength: 64 })
    expect(capped.words).toEqual(["hello", "bake"])
    const frequent = buildTokenizerSpec(corpus, { maxWords: 1000, minCount: 3, maxLength: 64 })
    expect(new Set(frequent.words)).toEqual(new Set(["hello", "bake", "world"]))
    expect(buildTokenizerSpec([...corpus].reverse(), { maxWords: 1000, minCount: 1, maxLength: 64 })).toEqual(spec)
  })

  test("pre-tokenisation lowercases, splits words from punctuation and drops special literals", () => {
    expect(preTokenize("Hi, [CLS]there!! x_y")).toEqual(["hi", ",", "there", "!!", "x_y"])
  })

  test("the TypeScript twin gives the same ids as transformers.js for any text", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(encode(text)).toEqual(hf.encode(text, { add_special_tokens: false }))
      }),
      { numRuns: 600 }
    )
  })

  test("the exported pair template is [CLS] A [SEP] B [SEP] with type ids 0…0 1…1, as transformers.js builds it", () => {
    const layout = specLayout(spec)
    fc.assert(
      // transformers.js treats an empty text_pair ("") as no pair at all; that quirk is not ours to copy.
      fc.property(mixedText, mixedText.filter((b) => b !== ""), (a, b) => {
        const ours = assemblePair(layout, encode(a), encode(b), 10_000)
        const theirs = hf(a, { text_pair: b, return_tensor: false }) as unknown as { input_ids: number[]; token_type_ids: number[] }
        expect(ours.inputIds).toEqual(theirs.input_ids)
        expect(ours.tokenTypeIds).toEqual(theirs.token_type_ids)
        const single = hf(b, { return_tensor: false }) as unknown as { input_ids: number[] }
        expect(assemblePair(layout, null, encode(b), 10_000).inputIds).toEqual(single.input_ids)
      }),
      { numRuns: 200 }
    )
  })

  test("tokenizer.json ids are dense: specials 0..4, then the words", () => {
    const vocab = tokenizerJson(spec).model.vocab
    expect(Object.values(vocab).sort((a, b) => a - b)).toEqual(Array.from({ length: vocabularySize(spec) }, (_, i) => i))
    SPECIAL_TOKENS.forEach((t, i) => expect(hf.convert_tokens_to_ids(t)).toBe(i))
  })
})
