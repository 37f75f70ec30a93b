/**
 * A validator's world with demo-like data, for the dashboard and dataset-export suites and benches: a
 * subnet on the in-memory chain (validators with stake and permits, miners of known quality serving
 * axons, weights set by //Alice and an epoch run so incentive/emission are real figures), and a store
 * holding requests built from the synthetic preference generator (known better/worse completions),
 * their responses, consensus results, EMA score snapshots, accuracy outcomes and the last weights.
 */
import { encodeAddress } from "@polkadot/util-crypto"
import { Effect } from "effect"
import type { ChainMemoryControlShape, ChainMemoryState } from "../../src/adapters/chain/memory.ts"
import { keypairFromUri } from "../../src/adapters/wallet/sr25519.ts"
import type { Keypair } from "../../src/domain/wallet/keypair.ts"
import type { RankingRequest } from "../../src/domain/wire/protocol.ts"
import { type SeededRandom, seededRandom, shuffled } from "../../src/domain/seeded-random.ts"
import { generateSyntheticPreferences } from "../../src/domain/data/synthetic-preferences.ts"
import type { ChainShape } from "../../src/services/chain.ts"
import type { RequestKind, StoredResponse } from "../../src/services/request-ledger.ts"
import type { AllStores } from "./validator-stores.ts"
import { Netuid, Uid } from "../../src/domain/chain/ids.ts"

export interface SeedMiner {
  readonly uid: number
  readonly hotkey: string
  /** In [0, 1]: how close its scores are to the truth. */
  readonly quality: number
}

export interface SubnetSeed {
  readonly netuid: Netuid
  readonly validator: Keypair
  readonly validators: number
  readonly miners: ReadonlyArray<SeedMiner>
  readonly chainState: ChainMemoryState
}

/** The subnet: `validators` permitted validators (uid 0 = //Alice) and miners up to `neurons`. */
export const subnetSeed = (options: { readonly neurons: number; readonly validators: number; readonly seed: number; readonly netuid?: Netuid }): SubnetSeed => {
  const netuid = options.netuid ?? Netuid.make(1)
  const rng = seededRandom(options.seed)
  const validator = keypairFromUri("//Alice")
  const address = () => encodeAddress(Uint8Array.from({ length: 32 }, () => rng.int(256)), 42)
  const neurons = Array.from({ length: options.neurons }, (_, uid) => {
    const isValidator = uid < options.validators
    const hotkey = uid === 0 ? validator.ss58Address : address()
    return {
      hotkey,
      coldkey: address(),
      stake: isValidator ? 20_000 + rng.int(80_000) : Math.round(rng.next() * 400) / 10,
      validatorPermit: isValidator,
      ...(isValidator ? {} : { axon: { ip: `203.0.${113 + (uid >> 8)}.${uid & 255}`, port: 8091 + (uid % 7), version: 9_001_000 } }),
      quality: isValidator ? 0 : 0.15 + 0.85 * rng.next()
    }
  })
  return {
    netuid,
    validator,
    validators: options.validators,
    miners: neurons.flatMap((n, uid) => (uid < options.validators ? [] : [{ uid, hotkey: n.hotkey, quality: n.quality }])),
    chainState: {
      block: 4_100,
      subnets: [
        {
          netuid,
          hyperparameters: { tempo: 99, weightsRateLimit: 0, maxAllowedValidators: Math.max(1, options.validators), maxAllowedUids: Math.max(256, options.neurons) },
          emissionPerBlock: 1,
          neurons: neurons.map(({ quality: _q, ...n }) => n)
        }
      ]
    }
  }
}

/** Miners' ideal weights (quality squared, u16, max-upscaled). */
export const idealWeights = (miners: ReadonlyArray<SeedMiner>): { uids: Array<number>; weights: Array<number> } => {
  const raw = miners.map((m) => m.quality * m.quality)
  const max = Math.max(...raw, 1e-9)
  return { uids: miners.map((m) => m.uid), weights: raw.map((r) => Math.max(1, Math.round((r / max) * 65535))) }
}

/** //Alice sets weights on chain and the subnet runs an epoch; returns the block of the weights. */
export const seedChain = (chain: ChainShape, control: ChainMemoryControlShape, subnet: SubnetSeed) =>
  Effect.gen(function* () {
    const { uids, weights } = idealWeights(subnet.miners)
    const landed = yield* chain.setWeights(subnet.netuid, subnet.validator, uids.map((u) => Uid.make(u)), weights, 1)
    yield* control.nextEpoch(subnet.netuid)
    return landed.block
  })

export interface StoreSeedOptions {
  readonly requests: number
  /** Fraction of requests already scored (the newest stay pending). */
  readonly scoredFraction: number
  readonly responsesPerRequest: number
  readonly snapshots: number
  readonly now: number
  readonly seed: number
  /** Seconds between two requests. */
  readonly spacing?: number
  /** Block recorded for the last weights. */
  readonly weightsBlock?: number
  /** Called after every `everyScored`-th scoring with its time (e.g. to take an accuracy sample then). */
  readonly onScored?: (scoredAt: number) => Effect.Effect<void>
  readonly everyScored?: number
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x))

/**
 * A request built from synthetic preferences: 2–4 completions, two "good" (chosen-like) texts at most,
 * with the true quality of each completion (1 good, 0 bad) for the miners to score against.
 */
const buildRequest = (
  id: string,
  at: number,
  pairs: ReturnType<typeof generateSyntheticPreferences>,
  i: number,
  n: number,
  rng: SeededRandom
) => {
  const pair = pairs[i % pairs.length]!
  const other = pairs[(i * 7 + 3) % pairs.length]!
  const texts: Array<{ text: string; truth: number }> = [
    { text: pair.chosen, truth: 1 },
    { text: pair.rejected, truth: 0 }
  ]
  if (n >= 3) texts.push({ text: other.rejected, truth: 0.1 })
  if (n >= 4) texts.push({ text: other.chosen, truth: 0.8 })
  const order = shuffled(
    texts.map((t, k) => ({ ...t, cid: `${id.slice(0, 8)}-c${k}` })),
    rng
  )
  const request: RankingRequest = {
    epoch_timestamp: at,
    request_id: id,
    prompt: pair.prompt ?? "",
    n_completions: order.length,
    completions: order.map((t) => ({ cid: t.cid, text: t.text })),
    ranks: [],
    scoring_method: null,
    model_config: null,
    mturk_hit_id: null,
    modality: "text"
  }
  return { request, truth: new Map(order.map((t) => [t.cid, t.truth] as const)) }
}

const hex = (rng: SeededRandom, n: number) => Array.from({ length: n }, () => rng.int(16).toString(16)).join("")

/** Fills the store: requests (oldest first), scoring of the older ones, snapshots, weights. */
export const seedStore = (store: AllStores, subnet: SubnetSeed, options: StoreSeedOptions) =>
  Effect.gen(function* () {
    const rng = seededRandom(options.seed)
    const spacing = options.spacing ?? 30
    const pairs = generateSyntheticPreferences({ count: Math.max(50, Math.min(options.requests, 5000)), seed: options.seed, noise: 0 })
    const scoredCount = Math.floor(options.requests * options.scoredFraction)
    const ema = new Map<number, number>()
    const start = options.now - options.requests * spacing
    for (let i = 0; i < options.requests; i++) {
      const createdAt = start + i * spacing
      const id = `${hex(rng, 8)}-${hex(rng, 4)}-1${hex(rng, 3)}-${hex(rng, 4)}-${hex(rng, 12)}`
      const { request, truth } = buildRequest(id, createdAt, pairs, i, 2 + (i % 3), rng)
      const kind: RequestKind = i % 11 === 5 ? "api" : i % 4 === 1 ? "evaluation" : "seed"
      const sample = Array.from({ length: options.responsesPerRequest }, () => subnet.miners[rng.int(subnet.miners.length)]!)
      const participants = [...new Map(sample.map((m) => [m.uid, m] as const)).values()]
      const responses: Array<StoredResponse> = participants.map((m) => ({
        hotkey: m.hotkey,
        uid: m.uid,
        scoringMethod: m.uid % 3 === 0 ? "llm_api" : "hf_model",
        modelConfig: { provider: null, model_name: m.uid % 3 === 0 ? "meta-llama/Llama-3-8b-chat-hf" : "OpenAssistant/reward-model-deberta-v3-large-v2" },
        ranks: request.completions.map((c) => ({ cid: c.cid, score: clamp01(0.15 + 0.7 * (truth.get(c.cid) ?? 0) + (1 - m.quality) * 0.6 * rng.normal() * 0.5) })),
        mturkHitId: null,
        humanVerified: false,
        source: "axon",
        receivedAt: createdAt + 2 + rng.next() * 10
      }))
      const chosen = request.completions.find((c) => truth.get(c.cid) === 1)!.cid
      const rejected = request.completions.find((c) => truth.get(c.cid) === 0)!.cid
      yield* store.saveRequest({
        request,
        kind,
        ...(kind === "evaluation" ? { evaluation: { chosenCid: chosen, rejectedCid: rejected } } : {}),
        createdAt,
        deadlineAt: createdAt + 8 * 3600,
        responses
      })
      if (i >= scoredCount) continue
      const consensus: Record<string, number> = {}
      for (const c of request.completions) {
        const scores = responses.map((r) => r.ranks.find((x) => x.cid === c.cid)?.score ?? 0)
        consensus[c.cid] = scores.reduce((a, b) => a + b, 0) / Math.max(1, scores.length)
      }
      const hotkeyScores: Record<string, number> = {}
      for (const m of participants) hotkeyScores[m.hotkey] = (0.2 + 0.8 * m.quality) / participants.length
      for (const m of participants) ema.set(m.uid, 0.7 * (ema.get(m.uid) ?? 0) + 0.3 * hotkeyScores[m.hotkey]!)
      yield* store.recordScoring({
        requestId: id,
        result: { request_id: id, cid_to_consensus: consensus, hotkey_to_score: hotkeyScores },
        // The whole vector only at the last scoring: it is what stays, and writing it 10,000 times is slow.
        scores: i === scoredCount - 1 ? subnet.miners.map((m) => ({ uid: m.uid, hotkey: m.hotkey, score: ema.get(m.uid) ?? 0 })) : [],
        accuracyOutcomes:
          kind === "evaluation" ? participants.map((m) => ({ hotkey: m.hotkey, outcome: rng.next() < 0.35 + 0.6 * m.quality ? ("correct" as const) : ("wrong" as const) })) : [],
        deliverTo: [],
        scoredAt: Math.min(options.now, createdAt + 8 * 3600)
      })
      if (options.onScored && (i + 1) % Math.max(1, options.everyScored ?? 50) === 0) yield* options.onScored(createdAt)
    }
    // Score snapshots: each miner's EMA climbing towards its quality with a little drift, weights following.
    const span = options.requests * spacing
    const drift = new Map<number, number>(subnet.miners.map((m) => [m.uid, 0]))
    let last: Array<{ uid: number; hotkey: string; score: number; weight: number }> = []
    let lastAt = options.now
    for (let s = 0; s < options.snapshots; s++) {
      const at = options.now - span + ((s + 1) * span) / options.snapshots
      const progress = 1 - Math.exp(-(3 * (s + 1)) / options.snapshots)
      const rows = subnet.miners.map((m) => {
        const d = 0.85 * drift.get(m.uid)! + 0.04 * rng.normal()
        drift.set(m.uid, d)
        const score = Math.max(0, ((0.2 + 0.8 * m.quality) / options.responsesPerRequest) * progress * (1 + d))
        return { uid: m.uid, hotkey: m.hotkey, score, weight: score * score }
      })
      const max = Math.max(...rows.map((r) => r.weight), 1e-12)
      last = rows.map((r) => ({ ...r, weight: r.weight / max }))
      lastAt = at
      yield* store.recordScoreSnapshot(at, last)
    }
    // The last weights are the last snapshot's, as the validator records them together.
    const set = last.length > 0 ? { uids: last.map((r) => r.uid), weights: last.map((r) => Math.round(r.weight * 65535)) } : idealWeights(subnet.miners)
    yield* store.recordWeights({ block: options.weightsBlock ?? 4_200, ...set, versionKey: 1, at: lastAt })
  })
