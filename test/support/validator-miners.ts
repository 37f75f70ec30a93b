/**
 * Miners for the validator's tests: real axons (the live adapter, signatures required) on 127.0.0.x
 * that answer `RankingRequest` with deterministic ranks of known quality and record every
 * `RankingRequest` and `RankingResult` that reaches them. Quality is judged with the synthetic
 * generator's known answer (`syntheticQuality`), so a test knows exactly which miner ranks the human way:
 *   good — the better completion first, confidently (0.9 / 0.1);
 *   half — the better one first when `agreesWithHumans(request_id)`, the other way otherwise (0.6 / 0.4);
 *   bad  — the worse one first, timidly (0.4 / 0.6).
 * The confident good miner keeps the three-miner consensus on the human side even when the other two
 * disagree, so consensus rewards follow quality.
 */
import { Effect, Exit, Logger, LogLevel, Scope } from "effect"
import * as AxonLive from "../../src/adapters/axon/axon.ts"
import type { Keypair } from "../../src/domain/wallet/keypair.ts"
import { hashString } from "../../src/domain/prng.ts"
import type { Rank, RankingRequest, RankingResult } from "../../src/domain/wire/protocol.ts"
import { syntheticQuality } from "../../src/domain/data/synthetic-preferences.ts"
import { RankingRequestSynapse, RankingResultSynapse } from "../../src/domain/wire/synapses.ts"
import { axonRoute, type AxonRoute, type ServingAxon } from "../../src/services/axon.ts"

/** How a test miner ranks. */
export type MinerBehaviour = "good" | "half" | "bad"

/** Whether the "half" miner ranks this request the human way (a fixed function of the id). */
export const agreesWithHumans = (requestId: string): boolean => hashString(requestId) % 2 === 0

/** The model name each behaviour reports (so stored responses say who answered how). */
export const modelNameOf = (behaviour: MinerBehaviour) => `test-${behaviour}`

/**
 * The ranks a miner of `behaviour` gives `request`: completions ordered by known quality (best first,
 * ties by cid), then the behaviour's scores from the top down.
 */
export const minerRanks = (behaviour: MinerBehaviour, request: RankingRequest): ReadonlyArray<Rank> => {
  const ordered = [...request.completions].sort(
    (a, b) => syntheticQuality(b.text) - syntheticQuality(a.text) || (a.cid < b.cid ? -1 : a.cid > b.cid ? 1 : 0)
  )
  const humanWay = behaviour === "good" || (behaviour === "half" && agreesWithHumans(request.request_id))
  const [hi, lo] = behaviour === "good" ? [0.9, 0.1] : [0.6, 0.4]
  const n = ordered.length
  return ordered.map((c, i) => {
    const fromTop = n === 1 ? hi : hi - ((hi - lo) * i) / (n - 1)
    const score = humanWay ? fromTop : hi + lo - fromTop
    return { cid: c.cid, score }
  })
}

/** A running test miner. */
export interface TestMinerNode {
  readonly key: Keypair
  readonly behaviour: MinerBehaviour
  readonly axon: ServingAxon
  /** Every RankingRequest that reached the handler, in arrival order. */
  readonly requests: Array<RankingRequest>
  /** Every RankingResult that reached the handler, in arrival order. */
  readonly results: Array<RankingResult>
  readonly stop: () => Promise<void>
}

/** What to start. */
export interface MinerSpec {
  readonly key: Keypair
  readonly behaviour: MinerBehaviour
  /** 127.0.0.2 and up (the chain refuses 127.0.0.1). */
  readonly ip: string
  /** Milliseconds the miner "thinks" before answering a RankingRequest. */
  readonly answerDelayMs?: number
  /** Milliseconds before it acknowledges a RankingResult. */
  readonly resultDelayMs?: number
}

/** Starts one miner's axon on `spec.ip`, port 0. */
export const startTestMinerNode = async (spec: MinerSpec): Promise<TestMinerNode> => {
  const requests: Array<RankingRequest> = []
  const results: Array<RankingResult> = []
  const routes = [
    axonRoute(RankingRequestSynapse, {
      forward: (_, body) =>
        Effect.gen(function* () {
          requests.push(body)
          if ((spec.answerDelayMs ?? 0) > 0) yield* Effect.sleep(spec.answerDelayMs ?? 0)
          return {
            ...body,
            ranks: [...minerRanks(spec.behaviour, body)],
            scoring_method: "hf_model" as const,
            model_config: { provider: null, model_name: modelNameOf(spec.behaviour) }
          }
        })
    }),
    axonRoute(RankingResultSynapse, {
      forward: (_, body) =>
        Effect.sync(() => results.push(body)).pipe(Effect.zipRight(Effect.sleep(spec.resultDelayMs ?? 0)), Effect.as(body))
    })
  ]
  const { axon, stop } = await startQuietAxon({ hotkey: spec.key.ss58Address, ip: spec.ip }, routes)
  return { key: spec.key, behaviour: spec.behaviour, axon, requests, results, stop }
}

/** Starts a real axon (port 0) serving `routes` without its info logs; `stop` closes it. */
export const startQuietAxon = async (config: { readonly hotkey: string; readonly ip: string }, routes: ReadonlyArray<AxonRoute>) => {
  const scope = Effect.runSync(Scope.make())
  const axon = await Effect.runPromise(
    AxonLive.make({ ...AxonLive.defaultAxonConfig, hotkey: config.hotkey, ip: config.ip, port: 0 }, routes).pipe(Scope.extend(scope), Effect.provide(quietLogs))
  )
  return { axon, stop: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

/** A port on `ip` that nothing listens on (bound once, then closed): a miner that is down. */
export const closedPort = (ip: string): number => {
  const server = Bun.serve({ hostname: ip, port: 0, fetch: () => new Response("") })
  const port = server.port as number
  server.stop(true)
  return port
}

/** Logs at warning and above only (the axon announces itself at info). */
export const quietLogs = Logger.minimumLogLevel(LogLevel.Warning)
