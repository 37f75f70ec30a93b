/**
 * A seeded generator of preference pairs whose answers are known by construction. Each prompt asks how
 * to do something in one of eight topics; the chosen completion stays on topic and is helpful and polite,
 * the rejected one is rude, unhelpful or off topic. "Quality" is counted in marker words (helpful/polite
 * minus rude/vague), and every chosen completion has strictly more of it than its rejected partner.
 *
 * Marker words are drawn with Zipf-like frequencies from pools of dozens, so a model sees the common ones
 * at once and the rare ones only with more data, more epochs or a larger vocabulary: quality grows with
 * training, which is what the demo needs to tell miners apart. `noise` swaps a fraction of the labels.
 */
import type { PreferencePair } from "./preference-pair.ts"
import { type SeededRandom, seededRandom, shuffled } from "../seeded-random.ts"

interface Topic {
  readonly tasks: ReadonlyArray<string>
  readonly words: ReadonlyArray<string>
}

const TOPICS: ReadonlyArray<Topic> = [
  {
    tasks: ["bake bread at home", "make a tomato sauce", "cook rice without burning it", "season a cast iron pan"],
    words: ["oven", "flour", "dough", "salt", "pan", "simmer", "garlic", "butter", "knead", "recipe", "heat", "yeast"]
  },
  {
    tasks: ["grow tomatoes on a balcony", "keep my roses healthy", "start a compost pile", "water houseplants properly"],
    words: ["soil", "seeds", "compost", "roots", "sunlight", "prune", "watering", "pots", "leaves", "mulch", "fertilizer", "garden"]
  },
  {
    tasks: ["see saturn with a small telescope", "find the north star", "photograph the milky way", "understand a lunar eclipse"],
    words: ["telescope", "orbit", "planet", "stars", "moon", "lens", "sky", "galaxy", "eclipse", "exposure", "horizon", "constellation"]
  },
  {
    tasks: ["fix a null pointer error", "write a unit test", "speed up a slow loop", "learn git branching"],
    words: ["code", "function", "variable", "compiler", "test", "branch", "debugger", "loop", "array", "commit", "error", "library"]
  },
  {
    tasks: ["start running safely", "build strength at home", "stretch after a workout", "improve my posture"],
    words: ["muscles", "warmup", "stretch", "squats", "pace", "rest", "breathing", "reps", "core", "cardio", "hydration", "recovery"]
  },
  {
    tasks: ["pack light for a week", "find cheap flights", "get over jet lag", "plan a train trip"],
    words: ["luggage", "passport", "flight", "itinerary", "hotel", "train", "booking", "tickets", "map", "currency", "backpack", "schedule"]
  },
  {
    tasks: ["start a monthly budget", "pay off credit card debt", "save for retirement", "understand index funds"],
    words: ["budget", "savings", "interest", "expenses", "income", "debt", "account", "fund", "invest", "payment", "retirement", "spending"]
  },
  {
    tasks: ["learn guitar chords", "tune a violin", "practice piano scales", "read sheet music"],
    words: ["chords", "strings", "rhythm", "tempo", "notes", "scales", "metronome", "melody", "fingers", "tuning", "keys", "posture"]
  }
]

const PROMPT_TEMPLATES: ReadonlyArray<(task: string) => string> = [
  (t) => `How do I ${t}?`,
  (t) => `Can you explain how to ${t}?`,
  (t) => `What is the best way to ${t}?`,
  (t) => `Any tips to ${t}?`,
  (t) => `I want to ${t}. Where should I begin?`
]

/** Words of good answers: concrete, structured help and courtesy. */
const GOOD_WORDS = [
  "first", "then", "step", "example", "because", "specifically", "check", "measure", "carefully", "recommend",
  "glad", "happy", "please", "hope", "certainly", "next", "finally", "explain", "detail", "tip", "consistent",
  "steady", "gently", "welcome", "helps", "safely", "gradually", "instead", "avoid", "patience", "thanks",
  "practical", "simple", "clear", "reliable", "routine"
] as const

/** Words of bad answers: rudeness and vagueness. */
const BAD_WORDS = [
  "stupid", "whatever", "dunno", "obviously", "somehow", "lazy", "stuff", "ridiculous", "guess", "dumb", "google",
  "pathetic", "idk", "annoying", "meh", "clueless", "nah", "seriously", "waste", "boring", "luck", "hopeless",
  "lame", "ugh", "random", "vague", "useless", "figure", "bother", "irrelevant", "nonsense", "yourself",
  "shrug", "pointless", "duh", "eh"
] as const

/** Neutral words every answer has. */
const FILLER = [
  "the", "a", "you", "it", "to", "and", "is", "this", "that", "can", "with", "your", "of", "in", "for", "on",
  "just", "will", "be", "so", "i", "do", "at", "or", "if", "as", "are", "have", "about", "all"
] as const

const GOOD_SET: ReadonlySet<string> = new Set(GOOD_WORDS)
const BAD_SET: ReadonlySet<string> = new Set(BAD_WORDS)

/** The known answer: a text's quality as the generator counts it (good marker words − bad ones). */
export const syntheticQuality = (text: string): number =>
  (text.toLowerCase().match(/[a-z]+/g) ?? []).reduce((q, w) => q + (GOOD_SET.has(w) ? 1 : BAD_SET.has(w) ? -1 : 0), 0)

/** The generator's word pools (for tests that check they are disjoint). */
export const syntheticVocabulary = {
  good: GOOD_WORDS,
  bad: BAD_WORDS,
  filler: FILLER,
  topics: TOPICS.map((t) => t.words)
} as const

/** Why the rejected completion is worse. */
export type RejectionKind = "rude" | "unhelpful" | "off_topic"

/** A generated pair and what is known about it. */
export interface SyntheticPreference extends PreferencePair {
  readonly prompt: string
  readonly kind: RejectionKind
  /** True when noise swapped the labels: `rejected` is then the truly better completion. */
  readonly flipped: boolean
}

/** Options of the generator. */
export interface SyntheticOptions {
  readonly count: number
  readonly seed: number
  /** Probability in [0, 1] that a pair's labels are swapped (label noise). Default 0. */
  readonly noise?: number
}

/** Zipf-like draw: rank r has weight 1 / (r + 1). */
const zipf = <A>(items: ReadonlyArray<A>, random: SeededRandom): A => {
  let total = 0
  for (let r = 0; r < items.length; r++) total += 1 / (r + 1)
  let u = random.next() * total
  for (let r = 0; r < items.length; r++) {
    u -= 1 / (r + 1)
    if (u < 0) return items[r] as A
  }
  return items[items.length - 1] as A
}

const range = (random: SeededRandom, lo: number, hi: number): number => lo + random.int(hi - lo + 1)

const sentence = (words: ReadonlyArray<string>, random: SeededRandom): string => {
  const text = shuffled(words, random).join(" ")
  return text.charAt(0).toUpperCase() + text.slice(1) + "."
}

const completion = (
  random: SeededRandom,
  topic: Topic,
  good: number,
  bad: number,
  badPool: ReadonlyArray<string>
): string => {
  const words: Array<string> = []
  const content = range(random, 3, 6)
  for (let i = 0; i < content; i++) words.push(random.pick(topic.words))
  const filler = range(random, 4, 9)
  for (let i = 0; i < filler; i++) words.push(random.pick(FILLER))
  for (let i = 0; i < good; i++) words.push(zipf(GOOD_WORDS, random))
  for (let i = 0; i < bad; i++) words.push(zipf(badPool, random))
  return sentence(words, random)
}

/** Generates `count` pairs; the same options always give the same pairs. */
export const generateSyntheticPreferences = (options: SyntheticOptions): Array<SyntheticPreference> => {
  const random = seededRandom(options.seed)
  const noise = Math.min(1, Math.max(0, options.noise ?? 0))
  const kinds: ReadonlyArray<RejectionKind> = ["rude", "unhelpful", "off_topic"]
  const rudePool = BAD_WORDS.filter((_, i) => i % 2 === 0)
  const vaguePool = BAD_WORDS.filter((_, i) => i % 2 === 1)
  const out: Array<SyntheticPreference> = []
  for (let n = 0; n < options.count; n++) {
    const topicIndex = random.int(TOPICS.length)
    const topic = TOPICS[topicIndex] as Topic
    const prompt = random.pick(PROMPT_TEMPLATES)(random.pick(topic.tasks))
    const kind = random.pick(kinds)
    // Chosen: quality good − bad ≥ 1; rejected: ≤ 0. The margin varies, so some pairs are harder.
    const chosenBad = range(random, 0, 1)
    const chosen = completion(random, topic, range(random, chosenBad + 1, 4), chosenBad, BAD_WORDS)
    let rejected: string
    switch (kind) {
      case "rude":
        rejected = completion(random, topic, range(random, 0, 1), range(random, 1, 3), rudePool)
        break
      case "unhelpful":
        rejected = completion(random, topic, range(random, 0, 1), range(random, 1, 3), vaguePool)
        break
      case "off_topic": {
        const other = TOPICS[(topicIndex + 1 + random.int(TOPICS.length - 1)) % TOPICS.length] as Topic
        rejected = completion(random, other, range(random, 0, 1), range(random, 1, 2), BAD_WORDS)
        break
      }
    }
    const flipped = random.next() < noise
    out.push(flipped ? { prompt, chosen: rejected, rejected: chosen, kind, flipped } : { prompt, chosen, rejected, kind, flipped })
  }
  return out
}
