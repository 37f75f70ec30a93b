/** Pieces shared by the long-running benchmarks (validator memory, soak): figures, a child's ports, the fleet's routes. */
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { RankingRequestSynapse, RankingResultSynapse } from "../src/domain/synapses.ts"
import { axonRoute } from "../src/services/axon.ts"

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
