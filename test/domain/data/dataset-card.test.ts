import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { datasetCard, type DatasetCardInfo, sizeCategory } from "../../../src/domain/data/dataset-card.ts"

const info: DatasetCardInfo = {
  prettyName: 'Dojo: "consensus" preferences',
  license: "cc-by-4.0",
  rows: 1234,
  pairs: 4321,
  completions: 3700,
  firstCreatedAt: 1_717_200_000,
  lastCreatedAt: 1_717_900_000,
  exportedAt: 1_718_000_000,
  kinds: ["seed"],
  formats: { jsonl: true, parquet: true },
  netuid: 52
}

const frontMatter = (card: string) => {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(card)
  expect(m).not.toBeNull()
  return Bun.YAML.parse(m![1]!) as Record<string, any>
}

describe("datasetCard", () => {
  test("YAML front matter: license, name, task categories, size, configs pointing at the files", () => {
    const yaml = frontMatter(datasetCard(info))
    expect(yaml.license).toBe("cc-by-4.0")
    expect(yaml.pretty_name).toBe(info.prettyName)
    expect(yaml.task_categories).toEqual(["text-classification", "reinforcement-learning"])
    expect(yaml.size_categories).toEqual(["1K<n<10K"])
    expect(yaml.configs).toEqual([
      { config_name: "default", data_files: [{ split: "train", path: "data/train.parquet" }] },
      { config_name: "pairs", data_files: [{ split: "train", path: "pairs.jsonl" }] }
    ])
  })

  test("JSONL only: the default config points at the JSONL rows", () => {
    const yaml = frontMatter(datasetCard({ ...info, formats: { jsonl: true, parquet: false } }))
    expect(yaml.configs[0].data_files[0].path).toBe("data/train.jsonl")
  })

  test("the body says how it was produced, the counts, the period, and every column", () => {
    const card = datasetCard(info)
    expect(card).toContain("1234 prompts with 3700 completions")
    expect(card).toContain("4321 preference pairs")
    expect(card).toContain("from 2024-06-01 to 2024-06-09")
    expect(card).toContain("subnet 52")
    expect(card).toContain("consensus score")
    for (const column of ["request_id", "prompt", "completions", "chosen", "rejected", "chosen_cid", "rejected_cid", "pairs", "n_miners", "created_at", "scored_at"])
      expect(card).toContain(`\`${column}\``)
  })

  test("sizeCategory: Hugging Face's buckets", () => {
    expect([0, 999, 1000, 9999, 10_000, 99_999, 100_000, 999_999, 1_000_000].map(sizeCategory)).toEqual([
      "n<1K",
      "n<1K",
      "1K<n<10K",
      "1K<n<10K",
      "10K<n<100K",
      "10K<n<100K",
      "100K<n<1M",
      "100K<n<1M",
      "1M<n<10M"
    ])
    fc.assert(fc.property(fc.nat(), fc.nat(), (a, b) => (a <= b ? sizeRank(a) <= sizeRank(b) : sizeRank(a) >= sizeRank(b))))
  })

  test("property: any display name survives the YAML front matter", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 60 }), (name) => frontMatter(datasetCard({ ...info, prettyName: name })).pretty_name === name))
  })
})

const ORDER = ["n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M", "100M<n<1B", "n>1B"]
const sizeRank = (n: number) => ORDER.indexOf(sizeCategory(n))
