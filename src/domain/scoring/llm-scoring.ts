/**
 * The `llm_api` scoring conversation: how completions are shown to the LLM and how its JSON reply is read.
 *
 * Completions are shown in a random order under random neutral labels (four consonants, e.g. "KQXT"),
 * so neither the position nor the label tells the LLM (or anyone reading the prompt) the request's
 * order or its cids. The randomness comes in as arguments: the caller shuffles and draws the numbers.
 * Prompt and completions go in as one JSON document so a completion cannot fake another's block.
 */
import { Either, Option, Schema } from "effect"
import type { Completion, Rank } from "../wire/protocol.ts"

/** Letters of a label: consonants only, so no label is a word or hints at a rank ("A", "B", "TOP"). */
export const LABEL_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
/** Characters per label. */
export const LABEL_LENGTH = 4
/** How many distinct labels exist (20^4 = 160 000). */
export const LABEL_SPACE = LABEL_ALPHABET.length ** LABEL_LENGTH

/** The label for a number in [0, LABEL_SPACE). */
export const labelFromNumber = (n: number): string => {
  let rest = Math.trunc(n) % LABEL_SPACE
  let label = ""
  for (let i = 0; i < LABEL_LENGTH; i++) {
    label += LABEL_ALPHABET[rest % LABEL_ALPHABET.length]
    rest = Math.floor(rest / LABEL_ALPHABET.length)
  }
  return label
}

/** A completion as the LLM sees it. */
export interface LabelledCompletion {
  readonly label: string
  readonly cid: string
  readonly text: string
}

/** Pairs completions, already in presentation order, with distinct labels (same length). */
export const labelCompletions = (
  presentationOrder: ReadonlyArray<Completion>,
  labels: ReadonlyArray<string>
): ReadonlyArray<LabelledCompletion> => {
  if (labels.length !== presentationOrder.length || new Set(labels).size !== labels.length)
    throw new Error("labelCompletions: need one distinct label per completion")
  return presentationOrder.map((c, i) => ({ label: labels[i]!, cid: c.cid, text: c.text }))
}

const SYSTEM_PROMPT = [
  "You are an expert evaluator of AI assistant responses.",
  "The user message is a JSON document with a `prompt` and a list of `completions`, each with a `completion_id` and a `text`.",
  "Score how well each completion answers the prompt (helpfulness, correctness, clarity) from 0 (worst) to 1 (best).",
  "Judge each completion on its own merits; ids and order are random and mean nothing.",
  'Reply with JSON only, exactly in the form {"scores": [{"completion_id": "<id>", "score": <number between 0 and 1>}]},',
  "with one entry for every completion_id."
].join(" ")

/** The chat messages asking the LLM to score the labelled completions. */
export const scoringMessages = (
  prompt: string,
  labelled: ReadonlyArray<LabelledCompletion>
): ReadonlyArray<{ readonly role: "system" | "user"; readonly content: string }> => [
  { role: "system", content: SYSTEM_PROMPT },
  {
    role: "user",
    content: JSON.stringify({ prompt, completions: labelled.map((c) => ({ completion_id: c.label, text: c.text })) })
  }
]

/** One entry of the LLM's reply. */
export const ScoreItem = Schema.Struct({ completion_id: Schema.String, score: Schema.Finite })

/** The LLM's reply: `{scores: [...]}`; entries are checked one by one so one bad entry spoils nothing else. */
export const ScoresReply = Schema.parseJson(Schema.Struct({ scores: Schema.Array(Schema.Unknown) }))

/** What a reply gave: ranks in request order, completions it did not score, and what was wrong with it. */
export interface ReadScores {
  readonly ranks: ReadonlyArray<Rank>
  readonly unscored: ReadonlyArray<string>
  readonly problems: ReadonlyArray<string>
}

const normaliseLabel = (s: string): string => s.trim().replace(/^#/, "").toUpperCase()

// JSON mode should give bare JSON; some models still wrap it in a Markdown fence.
const unfence = (s: string): string => s.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/i, "$1")

/**
 * Reads the reply `content` for the labelled completions (`order` = request order of cids). Scores are
 * clamped to [0, 1]; unknown labels are ignored; a label given two different scores stays unscored.
 */
export const readScores = (
  content: string | null,
  labelled: ReadonlyArray<LabelledCompletion>,
  order: ReadonlyArray<string>
): ReadScores => {
  const problems: string[] = []
  const byLabel = new Map(labelled.map((c) => [c.label, c.cid]))
  const found = new Map<string, number>()
  const conflicting = new Set<string>()
  const parsed = content === null ? undefined : Schema.decodeUnknownEither(ScoresReply)(unfence(content))
  if (parsed === undefined) problems.push("empty reply")
  else if (Either.isLeft(parsed)) problems.push("reply is not JSON of the form {scores: [...]}")
  else
    for (const [i, item] of parsed.right.scores.entries()) {
      const entry = Schema.decodeUnknownOption(ScoreItem)(item)
      if (Option.isNone(entry)) {
        problems.push(`scores[${i}] is not {completion_id: string, score: number}`)
        continue
      }
      const cid = byLabel.get(normaliseLabel(entry.value.completion_id))
      if (cid === undefined) {
        problems.push(`scores[${i}] names an unknown completion_id`)
        continue
      }
      const score = Math.min(1, Math.max(0, entry.value.score))
      const previous = found.get(cid)
      if (previous !== undefined && previous !== score) conflicting.add(cid)
      found.set(cid, score)
    }
  for (const cid of conflicting) problems.push(`completion ${cid} was given two different scores`)
  const ranks: Rank[] = []
  const unscored: string[] = []
  for (const cid of order) {
    const score = found.get(cid)
    if (score === undefined || conflicting.has(cid)) unscored.push(cid)
    else ranks.push({ cid, score })
  }
  return { ranks, unscored, problems }
}
