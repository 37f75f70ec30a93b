/**
 * What the raw-bytes JSON limits cost next to the parse they protect: `parseLimitedJson` (limits pass +
 * strict UTF-8 decode + JSON.parse) against plain `TextDecoder` + `JSON.parse`, on a typical 4 KiB
 * RankingRequest and on a 1 MiB one (32 completions of 32 KiB, non-ASCII text). Prints figures; asserts nothing.
 */
import { checkJsonLimits, parseLimitedJson } from "../src/domain/wire/json-limits.ts"
import { SYNAPSE_JSON_LIMITS } from "../src/domain/wire/synapse.ts"

const body = (completions: number, size: number) =>
  new TextEncoder().encode(
    JSON.stringify({
      name: "RankingRequest",
      timeout: 12.0,
      epoch_timestamp: 1718000000.5,
      request_id: "3f1c2a",
      prompt: "Write a function that sorts a list — and explain it. ",
      n_completions: completions,
      completions: Array.from({ length: completions }, (_, i) => ({ cid: `cid-${i}`, text: "héllo wörld, ".repeat(Math.ceil(size / 15)).slice(0, size) })),
      ranks: []
    })
  )

const time = (label: string, bytes: Uint8Array, f: () => void) => {
  const rounds = Math.max(20, Math.floor(2e8 / bytes.length))
  for (let i = 0; i < Math.min(rounds, 50); i++) f()
  const start = performance.now()
  for (let i = 0; i < rounds; i++) f()
  const ms = (performance.now() - start) / rounds
  console.log(`  ${label.padEnd(44)} ${(ms * 1000).toFixed(1).padStart(8)} µs   ${((bytes.length / 1048576) / (ms / 1000)).toFixed(0).padStart(5)} MB/s`)
}

const decoder = new TextDecoder()
for (const [name, bytes] of [["4 KiB RankingRequest", body(4, 900)], ["1 MiB RankingRequest", body(32, 32_000)]] as const) {
  console.log(`${name} (${bytes.length} bytes):`)
  time("limits pass alone (checkJsonLimits)", bytes, () => checkJsonLimits(bytes, SYNAPSE_JSON_LIMITS))
  time("parseLimitedJson (limits + decode + parse)", bytes, () => parseLimitedJson(bytes, SYNAPSE_JSON_LIMITS))
  time("TextDecoder + JSON.parse (no limits)", bytes, () => JSON.parse(decoder.decode(bytes)))
}
