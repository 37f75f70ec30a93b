/**
 * The dataset card (`README.md`) of the open preference dataset: Hugging Face YAML front matter
 * (license, task categories, size, which files form which config) and a description of how the data
 * was produced and what each column holds.
 */

/** What the card states; counts and times come from the export. */
export interface DatasetCardInfo {
  readonly prettyName: string
  /** A Hugging Face license id (`mit`, `cc-by-4.0`, `other`, …). */
  readonly license: string
  readonly rows: number
  readonly pairs: number
  readonly completions: number
  /** Creation times (unix seconds) of the oldest and newest exported request; undefined when empty. */
  readonly firstCreatedAt: number | undefined
  readonly lastCreatedAt: number | undefined
  /** When the export ran (unix seconds). */
  readonly exportedAt: number
  /** Which request kinds were exported (e.g. `seed`). */
  readonly kinds: ReadonlyArray<string>
  readonly formats: { readonly jsonl: boolean; readonly parquet: boolean }
  readonly netuid?: number | undefined
}

/** Hugging Face's `size_categories` bucket for a row count. */
export const sizeCategory = (n: number): string => {
  const buckets: ReadonlyArray<readonly [number, string]> = [
    [1e3, "n<1K"],
    [1e4, "1K<n<10K"],
    [1e5, "10K<n<100K"],
    [1e6, "100K<n<1M"],
    [1e7, "1M<n<10M"],
    [1e8, "10M<n<100M"],
    [1e9, "100M<n<1B"]
  ]
  for (const [limit, name] of buckets) if (n < limit) return name
  return "n>1B"
}

const isoDay = (seconds: number): string => new Date(Math.round(seconds * 1000)).toISOString().slice(0, 10)

/** The card as markdown with YAML front matter. */
export const datasetCard = (info: DatasetCardInfo): string => {
  const mainFile = info.formats.parquet ? "data/train.parquet" : "data/train.jsonl"
  const period =
    info.firstCreatedAt === undefined || info.lastCreatedAt === undefined
      ? "no requests"
      : `requests created from ${isoDay(info.firstCreatedAt)} to ${isoDay(info.lastCreatedAt)}`
  const files = [
    info.formats.parquet ? "- `data/train.parquet`: the rows below (Parquet, nested columns)." : undefined,
    info.formats.jsonl ? "- `data/train.jsonl`: the same rows, one JSON object per line." : undefined,
    '- `pairs.jsonl`: every preference pair as `{"prompt", "chosen", "rejected"}` (texts), the format of Dojo\'s `train-reward-model --data` and of most reward-model and DPO trainers.'
  ].filter((x) => x !== undefined)
  return [
    "---",
    `license: ${info.license}`,
    `pretty_name: ${JSON.stringify(info.prettyName)}`,
    "task_categories:",
    "- text-classification",
    "- reinforcement-learning",
    "tags:",
    "- rlhf",
    "- preference",
    "- reward-modeling",
    "- dpo",
    "- bittensor",
    "size_categories:",
    `- ${sizeCategory(info.rows)}`,
    "configs:",
    "- config_name: default",
    "  data_files:",
    "  - split: train",
    `    path: ${mainFile}`,
    "- config_name: pairs",
    "  data_files:",
    "  - split: train",
    "    path: pairs.jsonl",
    "---",
    "",
    `# ${info.prettyName}`,
    "",
    `${info.rows} prompts with ${info.completions} completions scored by the consensus of Dojo miners, and the ${info.pairs} preference pairs that consensus implies (${period}; exported ${isoDay(info.exportedAt)}).`,
    "",
    "## How it was produced",
    "",
    `A Dojo validator${info.netuid === undefined ? "" : ` (Bittensor subnet ${info.netuid})`} sent each prompt with its completions to a sample of miners. Every miner scored every completion on its own — with a reward model, an LLM judge or paid human annotators — without seeing the others' scores. After the request's deadline the validator took, per completion, the mean of the miners' scores: its **consensus score**. Miners are paid by how well they agree with that consensus and with hidden human-preference pairs, so honest, careful scoring is what earns.`,
    "",
    `Exported request kinds: ${info.kinds.join(", ")}. Hidden evaluation requests are left out unless asked for (publishing them would let miners recognise them), and so are requests sent through the validator's scoring API (they belong to the applications that sent them). Prompts and completions keep the licence of the sources the validator drew them from.`,
    "",
    "A request gives a row only if at least two of its completions were scored and their scores are not all equal.",
    "",
    "## Files",
    "",
    ...files,
    "",
    "## Columns",
    "",
    "| column | type | meaning |",
    "| --- | --- | --- |",
    "| `request_id` | string | the validator's request id |",
    "| `prompt` | string | the prompt the completions answer |",
    "| `completions` | list of `{cid, text, consensus_score}` | the scored completions, highest consensus first; `consensus_score` is the mean of the miners' scores |",
    "| `chosen` / `rejected` | string | texts of the highest- and lowest-scored completion (one pair per row) |",
    "| `chosen_cid` / `rejected_cid` | string | their completion ids |",
    "| `pairs` | list of `{chosen_cid, rejected_cid}` | every pair of completions whose consensus differs, the higher one chosen (ties give no pair) |",
    "| `n_miners` | int32 | miners whose scores formed the consensus |",
    "| `created_at` / `scored_at` | float64 | unix seconds when the request was created and scored |",
    ""
  ].join("\n")
}
