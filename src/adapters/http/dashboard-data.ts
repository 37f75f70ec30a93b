/**
 * The data behind the validator dashboard's JSON endpoints, read from the store and the chain with the
 * work bounded for a full subnet (256 miners, years of requests): recent requests capped and paged,
 * score history cut to a fixed number of points and re-read only when new weights were recorded, scored
 * requests (immutable) cached. Miners' accuracy is sampled on a timer rather than read live: a live
 * count would tell a miner which of its requests were hidden evaluations the moment one is scored.
 */
import { Clock, Context, Duration, Effect, Layer, Option, Ref, Schedule } from "effect"
import {
  accuracySeries,
  type AccuracySample,
  bestCompletion,
  clip,
  neuronCounts,
  PRIVATE_TEXT,
  publicKind,
  rankedConsensus,
  scoreSeries,
  topUidsByWeight,
  weightShares
} from "../../domain/dashboard-view.ts"
import type { Netuid } from "../../domain/chain/ids.ts"
import { Chain, type ChainError } from "../../services/chain.ts"
import type { StoreError } from "../../services/store-error.ts"
import { DashboardReadModel, type ScoreHistoryRow, type StoreStats } from "../../services/dashboard-read-model.ts"
import { RequestLedger, type StoredRequest } from "../../services/request-ledger.ts"
import { ScoreLedger } from "../../services/score-ledger.ts"

/** Settings of the dashboard. */
export interface DashboardSettings {
  readonly netuid: Netuid
  /** The validator's own hotkey, marked in the metagraph table. */
  readonly validatorHotkey?: string | undefined
  /** Seconds between the page's polls. */
  readonly pollSeconds: number
  /** How far back the score/weight charts reach (seconds). */
  readonly historySeconds: number
  /** Most points per chart series. */
  readonly historyPoints: number
  /** Accuracy counts outcomes this far back (seconds); the validator's evaluation window. */
  readonly accuracyWindowSeconds: number
  /** Seconds between two accuracy samples. */
  readonly accuracySampleSeconds: number
  /** Accuracy samples kept (the oldest are dropped). */
  readonly accuracySamplesKept: number
  /** Most recent requests reachable through the paged list. */
  readonly requestsCap: number
  /** Show request kinds (seed/evaluation) as they are; off, both read "validator". */
  readonly revealKinds: boolean
  /** Show the texts of scoring-API requests; off, they are replaced by a placeholder. */
  readonly showApiTexts: boolean
}

/** Defaults: 3 s polls, 7 days of history in ≤ 120 points, hourly accuracy samples over 24 h windows. */
export const defaultDashboardSettings: Omit<DashboardSettings, "netuid"> = {
  pollSeconds: 3,
  historySeconds: 7 * 86400,
  historyPoints: 120,
  accuracyWindowSeconds: 24 * 3600,
  accuracySampleSeconds: 3600,
  accuracySamplesKept: 24 * 14,
  requestsCap: 1000,
  revealKinds: false,
  showApiTexts: false
}

/** What can fail behind an endpoint. */
export type DashboardError = StoreError | ChainError

/** `/dashboard/api/overview`: counts, chain head and the "what changed" versions the page polls. */
export interface OverviewView {
  readonly netuid: number
  readonly generatedAt: number
  readonly pollSeconds: number
  readonly validatorHotkey: string | null
  readonly chain: { readonly endpoint: string; readonly block: number | null; readonly error: string | null }
  readonly neurons: { readonly total: number; readonly serving: number; readonly validators: number } | null
  readonly stats: StoreStats
  readonly lastWeights: {
    readonly block: number
    readonly at: number
    readonly versionKey: number
    readonly count: number
    /** Weight shares of every uid set, largest first. */
    readonly shares: ReadonlyArray<{ readonly uid: number; readonly share: number }>
  } | null
  readonly accuracySampledAt: number | null
  readonly accuracyWindowSeconds: number
}

/** One metagraph row with the validator's own view of the miner. */
export interface NeuronView {
  readonly uid: number
  readonly hotkey: string
  readonly coldkey: string
  readonly stake: number
  readonly permit: boolean
  readonly trust: number
  readonly consensus: number
  readonly incentive: number
  readonly dividends: number
  readonly emission: number
  readonly validatorTrust: number
  readonly lastUpdate: number
  readonly active: boolean
  /** `ip:port` when serving. */
  readonly axon: string | null
  /** The EMA score the validator holds for this uid (null if none for this hotkey). */
  readonly score: number | null
  /** Share of the last weights set. */
  readonly weight: number | null
  /** Accuracy in the latest sample. */
  readonly accuracy: { readonly correct: number; readonly answered: number } | null
  readonly self: boolean
}

/** `/dashboard/api/metagraph`. */
export interface MetagraphView {
  readonly netuid: number
  readonly block: number
  readonly neurons: ReadonlyArray<NeuronView>
}

/** `/dashboard/api/history`. */
export interface HistoryView {
  readonly uids: ReadonlyArray<number>
  readonly scores: ReturnType<typeof scoreSeries>
  readonly accuracy: {
    readonly times: ReadonlyArray<number>
    readonly series: ReadonlyArray<{ readonly uid: number; readonly hotkey: string; readonly accuracy: ReadonlyArray<number | null> }>
  }
}

/** One line of `/dashboard/api/requests`. */
export interface RequestLineView {
  readonly requestId: string
  readonly kind: string
  readonly prompt: string
  readonly createdAt: number
  readonly deadlineAt: number
  readonly status: "pending" | "scored"
  readonly nCompletions: number
  readonly responseCount: number
  readonly scoredAt: number | null
  readonly consensus: ReadonlyArray<{ readonly cid: string; readonly score: number }>
  readonly best: { readonly cid: string; readonly text: string; readonly score: number } | null
}

/** `/dashboard/api/requests`. */
export interface RequestsPageView {
  readonly total: number
  readonly offset: number
  readonly limit: number
  readonly rows: ReadonlyArray<RequestLineView>
}

/** `/dashboard/api/requests/:id`. */
export interface RequestDetailView {
  readonly requestId: string
  readonly kind: string
  readonly prompt: string
  readonly createdAt: number
  readonly deadlineAt: number
  readonly status: "pending" | "scored"
  readonly scoredAt: number | null
  readonly completions: ReadonlyArray<{ readonly cid: string; readonly text: string; readonly consensus: number | null }>
  readonly minerScores: ReadonlyArray<{ readonly hotkey: string; readonly uid: number | null; readonly score: number }>
  readonly responses: ReadonlyArray<{ readonly hotkey: string; readonly uid: number; readonly method: string | null; readonly model: string | null }>
}

/** The dashboard's reads. */
export interface DashboardDataShape {
  readonly settings: DashboardSettings
  readonly overview: Effect.Effect<OverviewView, StoreError>
  readonly metagraph: Effect.Effect<MetagraphView, DashboardError>
  /** Series of `uids` plus the `top` uids by latest weight, at most `points` points each. */
  readonly history: (query: { readonly uids: ReadonlyArray<number>; readonly top: number; readonly points: number }) => Effect.Effect<HistoryView, StoreError>
  readonly requests: (offset: number, limit: number) => Effect.Effect<RequestsPageView, StoreError>
  readonly request: (requestId: string) => Effect.Effect<Option.Option<RequestDetailView>, StoreError>
  /** Takes an accuracy sample now (the timer does this every `accuracySampleSeconds`). */
  readonly sampleAccuracy: Effect.Effect<void, StoreError>
}

/** The dashboard's data service. */
export class DashboardData extends Context.Tag("dojo/DashboardData")<DashboardData, DashboardDataShape>() {}

const PROMPT_CLIP = 240
const DETAIL_CLIP = 4000
const DETAIL_CACHE = 2000
const HISTORY_TTL_SECONDS = 30

const now = Effect.map(Clock.currentTimeMillis, (ms) => ms / 1000)

/** Builds the service; its accuracy sampler runs until the scope closes. */
export const make = (settings: DashboardSettings) =>
  Effect.gen(function* () {
    const ledger = yield* RequestLedger
    const scoreLedger = yield* ScoreLedger
    const readModel = yield* DashboardReadModel
    const chain = yield* Chain
    const samples = yield* Ref.make<ReadonlyArray<AccuracySample>>([])
    const scoredCache = new Map<string, StoredRequest>()
    let history: { readonly key: string; readonly at: number; readonly rows: ReadonlyArray<ScoreHistoryRow> } | undefined

    const sampleAccuracy = Effect.gen(function* () {
      const t = yield* now
      const counts = yield* ledger.accuracyCounts(t - settings.accuracyWindowSeconds)
      // Kept in time order whatever order the samples arrive in.
      yield* Ref.update(samples, (list) =>
        [...list, { at: t, counts }].sort((a, b) => a.at - b.at).slice(-Math.max(1, settings.accuracySamplesKept))
      )
    }).pipe(Effect.withSpan("Dashboard.sampleAccuracy"))

    const latestSample = Effect.map(Ref.get(samples), (list) => list[list.length - 1])

    const overview = Effect.gen(function* () {
      const [stats, last, sample, head] = yield* Effect.all([
        readModel.stats,
        scoreLedger.lastWeights,
        latestSample,
        Effect.either(chain.metagraph(settings.netuid))
      ])
      const metagraph = head._tag === "Right" ? head.right : undefined
      return {
        netuid: settings.netuid,
        generatedAt: yield* now,
        pollSeconds: settings.pollSeconds,
        validatorHotkey: settings.validatorHotkey ?? null,
        chain: {
          endpoint: chain.endpoint,
          block: metagraph?.block ?? null,
          error: head._tag === "Left" ? head.left.message : null
        },
        neurons: metagraph === undefined ? null : neuronCounts(metagraph),
        stats,
        lastWeights: Option.match(last, {
          onNone: () => null,
          onSome: (w) => {
            const shares = weightShares(w.uids, w.weights)
            return {
              block: w.block,
              at: w.at,
              versionKey: w.versionKey,
              count: w.uids.length,
              shares: [...shares].map(([uid, share]) => ({ uid, share })).sort((a, b) => b.share - a.share || a.uid - b.uid)
            }
          }
        }),
        accuracySampledAt: sample?.at ?? null,
        accuracyWindowSeconds: settings.accuracyWindowSeconds
      } satisfies OverviewView
    }).pipe(Effect.withSpan("Dashboard.overview"))

    const metagraph = Effect.gen(function* () {
      const [m, scores, last, sample] = yield* Effect.all([chain.metagraph(settings.netuid), scoreLedger.loadScores, scoreLedger.lastWeights, latestSample])
      const scoreOf = new Map(scores.map((s) => [s.uid, s] as const))
      const shares = Option.match(last, { onNone: () => new Map<number, number>(), onSome: (w) => weightShares(w.uids, w.weights) })
      const neurons = m.neurons.map((n): NeuronView => {
        const s = scoreOf.get(n.uid)
        const acc = sample?.counts.get(n.hotkey)
        return {
          uid: n.uid,
          hotkey: n.hotkey,
          coldkey: n.coldkey,
          stake: n.stake,
          permit: n.validatorPermit,
          trust: n.trust,
          consensus: n.consensus,
          incentive: n.incentive,
          dividends: n.dividends,
          emission: n.emission,
          validatorTrust: n.validatorTrust,
          lastUpdate: n.lastUpdate,
          active: n.active,
          axon: n.axon.ip === "0.0.0.0" ? null : `${n.axon.ipType === 6 ? `[${n.axon.ip}]` : n.axon.ip}:${n.axon.port}`,
          score: s !== undefined && s.hotkey === n.hotkey ? s.score : null,
          weight: Option.isSome(last) ? (shares.get(n.uid) ?? 0) : null,
          accuracy: acc === undefined ? null : { correct: acc.correct, answered: acc.answered },
          self: settings.validatorHotkey !== undefined && n.hotkey === settings.validatorHotkey
        }
      })
      return { netuid: settings.netuid, block: m.block, neurons } satisfies MetagraphView
    }).pipe(Effect.withSpan("Dashboard.metagraph"))

    /** Snapshot rows of the window, re-read when new weights were recorded (or the copy is stale). */
    const historyRows = Effect.gen(function* () {
      const t = yield* now
      const last = yield* scoreLedger.lastWeights
      const key = Option.match(last, { onNone: () => "none", onSome: (w) => `${w.block}:${w.at}` })
      if (history !== undefined && history.key === key && t - history.at < HISTORY_TTL_SECONDS) return history.rows
      const rows = yield* readModel.scoreHistory(t - settings.historySeconds)
      history = { key, at: t, rows }
      return rows
    })

    const historyView = (query: { readonly uids: ReadonlyArray<number>; readonly top: number; readonly points: number }) =>
      Effect.gen(function* () {
        const rows = yield* historyRows
        const points = Math.max(2, Math.min(query.points, settings.historyPoints))
        const uids = [...new Set([...query.uids, ...topUidsByWeight(rows, Math.min(Math.max(0, query.top), 16))])]
        const scores = scoreSeries(rows, uids, points)
        const list = yield* Ref.get(samples)
        const hotkeys = scores.series.map((s) => s.hotkey)
        const acc = accuracySeries(list, hotkeys, points)
        return {
          uids,
          scores,
          accuracy: {
            times: acc.times,
            series: acc.series.map((s, i) => ({ uid: scores.series[i]!.uid, hotkey: s.hotkey, accuracy: s.accuracy }))
          }
        } satisfies HistoryView
      }).pipe(Effect.withSpan("Dashboard.history"))

    /** A request with its completions; scored ones never change, so they are kept. */
    const storedRequest = (requestId: string) =>
      Effect.gen(function* () {
        const cached = scoredCache.get(requestId)
        if (cached !== undefined) return Option.some(cached)
        const found = yield* ledger.getRequest(requestId)
        if (Option.isSome(found) && found.value.status === "scored") {
          if (scoredCache.size >= DETAIL_CACHE) scoredCache.delete(scoredCache.keys().next().value as string)
          scoredCache.set(requestId, found.value)
        }
        return found
      })

    const privateText = (kind: string, text: string, max: number) => (kind === "api" && !settings.showApiTexts ? PRIVATE_TEXT : clip(text, max))

    const requests = (offset: number, limit: number) =>
      Effect.gen(function* () {
        const stats = yield* readModel.stats
        const total = Math.min(stats.requests, settings.requestsCap)
        const from = Math.max(0, Math.min(offset, Math.max(0, total - 1)))
        const size = Math.max(1, Math.min(limit, 100, total - from))
        const recent = total === 0 ? [] : (yield* readModel.recentRequests(from + size)).slice(from)
        const rows = yield* Effect.forEach(recent, (r) =>
          Effect.gen(function* () {
            const full = r.status === "scored" ? yield* storedRequest(r.requestId) : Option.none<StoredRequest>()
            const best = Option.isSome(full) ? bestCompletion(full.value.request, r.result, PROMPT_CLIP) : null
            return {
              requestId: r.requestId,
              kind: publicKind(r.kind, settings.revealKinds),
              prompt: privateText(r.kind, r.prompt, PROMPT_CLIP),
              createdAt: r.createdAt,
              deadlineAt: r.deadlineAt,
              status: r.status,
              nCompletions: r.nCompletions,
              responseCount: r.responseCount,
              scoredAt: r.result?.scoredAt ?? null,
              consensus: rankedConsensus(r.result).slice(0, 8),
              best: best === null ? null : { ...best, text: privateText(r.kind, best.text, PROMPT_CLIP) }
            } satisfies RequestLineView
          })
        )
        return { total, offset: from, limit: size, rows } satisfies RequestsPageView
      }).pipe(Effect.withSpan("Dashboard.requests"))

    const request = (requestId: string) =>
      Effect.gen(function* () {
        const found = yield* storedRequest(requestId)
        if (Option.isNone(found)) return Option.none<RequestDetailView>()
        const r = found.value
        const uidOf = new Map(r.responses.map((x) => [x.hotkey, x.uid] as const))
        const consensus = r.result?.cid_to_consensus ?? {}
        return Option.some<RequestDetailView>({
          requestId: r.request.request_id,
          kind: publicKind(r.kind, settings.revealKinds),
          prompt: privateText(r.kind, r.request.prompt, DETAIL_CLIP),
          createdAt: r.createdAt,
          deadlineAt: r.deadlineAt,
          status: r.status,
          scoredAt: r.result?.scoredAt ?? null,
          completions: r.request.completions.map((c) => ({
            cid: c.cid,
            text: privateText(r.kind, c.text, DETAIL_CLIP),
            consensus: Object.hasOwn(consensus, c.cid) ? (consensus[c.cid] ?? null) : null
          })),
          minerScores: Object.entries(r.result?.hotkey_to_score ?? {})
            .map(([hotkey, score]) => ({ hotkey, uid: uidOf.get(hotkey) ?? null, score }))
            .sort((a, b) => b.score - a.score),
          responses: r.responses.map((x) => ({ hotkey: x.hotkey, uid: x.uid, method: x.scoringMethod, model: x.modelConfig?.model_name ?? null }))
        })
      }).pipe(Effect.withSpan("Dashboard.request"))

    // First sample now, then on the timer; a failed sample is logged and the next one tried.
    yield* sampleAccuracy.pipe(
      Effect.catchAll((e) => Effect.logWarning("dashboard: accuracy sample failed").pipe(Effect.annotateLogs({ error: e.message }))),
      Effect.repeat(Schedule.spaced(Duration.seconds(Math.max(0.05, settings.accuracySampleSeconds)))),
      Effect.forkScoped
    )

    return DashboardData.of({ settings, overview, metagraph, history: historyView, requests, request, sampleAccuracy })
  })

/** The dashboard's data over the ambient store and chain, its accuracy sampler scoped to the layer. */
export const layer = (settings: DashboardSettings): Layer.Layer<DashboardData, never, RequestLedger | ScoreLedger | DashboardReadModel | Chain> =>
  Layer.scoped(DashboardData, make(settings))
