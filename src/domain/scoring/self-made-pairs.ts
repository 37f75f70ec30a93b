/**
 * Evaluation pairs no lookup table holds: the validator takes a good completion from its own seed data
 * and pits it against a corrupted copy made on the spot — sentences shuffled, an answer to another
 * prompt, numbers altered, part of it swapped for the worse answer's text (or cut off mid-sentence, not
 * used by default). The
 * result is an ordinary two-completion item, so once built into a request it looks like any other.
 */
import type { PreferenceItem } from "../data/preference-item.ts"
import { shuffle, type Rng } from "../prng.ts"

/** How the corrupted completion was made. */
export type Corruption = "truncated" | "shuffled_sentences" | "other_prompt" | "altered_numbers" | "spliced"

const words = (text: string): Array<string> => text.split(/\s+/).filter((w) => w !== "")
const sentences = (text: string): Array<string> => text.match(/[^.!?]+[.!?]+/g)?.map((s) => s.trim()) ?? []
const pick = <A>(xs: ReadonlyArray<A>, rng: Rng): A => xs[Math.floor(rng() * xs.length)]!

/** The item's better completion (the preferred one, else the first) and, if known, the worse one. */
const goodAndBad = (item: PreferenceItem): { readonly good: string | undefined; readonly bad: string | undefined } =>
  item.preference === null
    ? { good: item.completions[0], bad: undefined }
    : { good: item.completions[item.preference.chosen], bad: item.completions[item.preference.rejected] }

/** Cut after 35–65 % of the words, mid-sentence: no closing punctuation. */
const truncate = (text: string, rng: Rng): string => {
  const ws = words(text)
  const keep = Math.max(1, Math.min(ws.length - 1, Math.round(ws.length * (0.35 + 0.3 * rng()))))
  return ws.slice(0, keep).join(" ").replace(/[.!?,;:]+$/, "")
}

/** Every digit run changed to another number of the same length. */
const alterNumbers = (text: string, rng: Rng): string =>
  text.replace(/\d+/g, (run) => {
    for (;;) {
      // No new leading zero: "42" may become "17", not "07".
      const altered = Array.from(run, (_, i) => String(i === 0 && run.length > 1 ? 1 + Math.floor(rng() * 9) : Math.floor(rng() * 10))).join("")
      if (altered !== run) return altered
    }
  })

/**
 * The first 30–60 % of the good text's words, the rest as many words from the worse answer (from a
 * random place, wrapping round): as long as the good text, so "the longer wins" learns nothing from it
 * (with a free length the corrupted text was shorter often enough for that rule to earn).
 */
const splice = (good: string, bad: string, rng: Rng): string => {
  const g = words(good)
  const b = words(bad)
  const cut = Math.max(1, Math.min(g.length - 1, Math.round(g.length * (0.3 + 0.3 * rng()))))
  const start = Math.floor(rng() * b.length)
  const tail = Array.from({ length: g.length - cut }, (_, i) => b[(start + i) % b.length]!)
  return [...g.slice(0, cut), ...tail].join(" ")
}

/**
 * The corruptions the validator uses, chosen with the adversarial simulation. Left out: truncation (the
 * corrupted text is always the shorter one: the "longer wins" cheater answered all of them right) and
 * an answer to another prompt (a reward model that reads only the answer cannot tell — the simulation's
 * honest models were at chance on it, so it diluted their credit towards the lookup cheater's).
 */
export const defaultCorruptions: ReadonlyArray<Corruption> = ["shuffled_sentences", "altered_numbers", "spliced"]

/** The corruptions among `allowed` that can be made from these texts (each must change the text). */
export const applicableCorruptions = (item: PreferenceItem, other: PreferenceItem, allowed: ReadonlyArray<Corruption> = defaultCorruptions): Array<Corruption> => {
  const { good, bad } = goodAndBad(item)
  if (good === undefined) return []
  const kinds: Array<Corruption> = []
  if (words(good).length >= 4) kinds.push("truncated")
  if (new Set(sentences(good)).size >= 2) kinds.push("shuffled_sentences")
  const otherGood = goodAndBad(other).good
  if (other.prompt !== item.prompt && otherGood !== undefined && otherGood !== good) kinds.push("other_prompt")
  if (/\d/.test(good)) kinds.push("altered_numbers")
  if (bad !== undefined && bad !== good && words(good).length >= 2 && words(bad).length >= 2) kinds.push("spliced")
  return kinds.filter((k) => allowed.includes(k))
}

/**
 * A self-made evaluation item from seed item `item` (and `other`, a different seed item, for an answer
 * to another prompt): [good, corrupted] with the good one preferred, or null when no corruption applies.
 * The request builder gives it fresh cids and a random order like every request.
 */
export const selfMadePair = (
  item: PreferenceItem,
  other: PreferenceItem,
  rng: Rng,
  allowed: ReadonlyArray<Corruption> = defaultCorruptions
): (PreferenceItem & { readonly corruption: Corruption }) | null => {
  const kinds = applicableCorruptions(item, other, allowed)
  const { good, bad } = goodAndBad(item)
  if (kinds.length === 0 || good === undefined) return null
  const corruption = pick(kinds, rng)
  let corrupted: string
  switch (corruption) {
    case "truncated":
      corrupted = truncate(good, rng)
      break
    case "shuffled_sentences": {
      const parts = sentences(good)
      let shuffled = parts
      while (shuffled.join(" ") === parts.join(" ")) shuffled = shuffle(parts, rng)
      corrupted = shuffled.join(" ")
      break
    }
    case "other_prompt":
      corrupted = goodAndBad(other).good!
      break
    case "altered_numbers":
      corrupted = alterNumbers(good, rng)
      break
    case "spliced":
      corrupted = splice(good, bad!, rng)
      break
  }
  // A corruption that happens to give the same text (a splice of near-equal answers) is no pair.
  if (corrupted === good) return null
  return {
    source: `self-made:${corruption}:${item.source}`,
    prompt: item.prompt,
    completions: [good, corrupted],
    preference: { chosen: 0, rejected: 1 },
    corruption
  }
}
