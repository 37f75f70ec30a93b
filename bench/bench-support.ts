/** Pieces shared by the long-running benchmarks (validator memory, soak): figures, a child's ports, the fleet's routes. */
import { Effect, Layer } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { RankingRequestSynapse, RankingResultSynapse } from "../src/domain/wire/synapses.ts"
import { axonRoute } from "../src/services/axon.ts"
import { testValidatorSettings, worldChain, worldLayers, writeSyntheticJsonl } from "../test/support/validator-world.ts"

/** Bytes as megabytes, one decimal. */
export const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`

/** The resident set size of a process (Linux). */
export const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024

/** Least-squares slope of y over x (0 with fewer than two points). */
export const slope = (points: ReadonlyArray<readonly [number, number]>) => {
  const n = points.length
  if (n < 2) return 0
  const mx = points.reduce((a, [x]) => a + x, 0) / n
  const my = points.reduce((a, [, y]) => a + y, 0) / n
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0)
  return sxx === 0 ? 0 : points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx
}

/** A well-behaved miner's routes: RankingRequest ranked by text length, RankingResult acknowledged. */
export const fleetRoutes = (modelName: string) => [
  axonRoute(RankingRequestSynapse, {
    forward: (_, body) =>
      Effect.succeed({
        ...body,
        ranks: body.completions.map((c) => ({ cid: c.cid, score: Math.min(1, c.text.length / 400) })),
        scoring_method: "hf_model" as const,
        model_config: { provider: null, model_name: modelName }
      })
  }),
  axonRoute(RankingResultSynapse, { forward: (_, body) => Effect.succeed(body) })
]

/** Waits for a child's `PORTS [..]` stdout line. */
export const readPorts = async (stdout: ReadableStream<Uint8Array>): Promise<number[]> => {
  const reader = stdout.getReader()
  let text = ""
  while (!/^PORTS .*\n/m.test(text)) {
    const { value, done } = await reader.read()
    if (done) throw new Error("the miner fleet exited before listening")
    text += new TextDecoder().decode(value)
  }
  return JSON.parse(/^PORTS (.*)$/m.exec(text)![1]!) as number[]
}

/** The validator's layers against a loopback miner fleet: its axons on the chain, synthetic seed and evaluation data, a SQLite store in `dir`. */
export const fleetValidatorLayers = (o: {
  readonly fleet: ReadonlyArray<{ readonly hotkey: string; readonly ip: string; readonly port: number }>
  readonly maxAllowedUids: number
  readonly settings: Parameters<typeof testValidatorSettings>[0]
  readonly dir: string
}) =>
  worldLayers({
    chain: worldChain(
      o.fleet.map(({ hotkey, ip, port }) => ({ hotkey, axon: { ip, port } })),
      { maxAllowedUids: o.maxAllowedUids, weightsRateLimit: 0 }
    ),
    settings: testValidatorSettings(o.settings),
    seedPath: writeSyntheticJsonl(o.dir, "seed.jsonl", 500, 1),
    evaluationPath: writeSyntheticJsonl(o.dir, "evaluation.jsonl", 500, 2),
    store: { _tag: "sqlite", filename: join(o.dir, "validator.sqlite") },
    axonIp: "127.0.0.3"
  }).pipe(Layer.orDie)
