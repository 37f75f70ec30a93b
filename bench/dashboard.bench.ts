/**
 * The dashboard at full size: 256 neurons and 10,000 requests (10 responses each, 90% scored, 96 score
 * snapshots of 256 uids) in an in-memory SQLite store, served over loopback and opened in headless
 * Chromium. Prints: the JSON endpoints' latency, time to first render, the cost of live updates (a new
 * request and a scoring land in the store; the page notices on its next poll and redraws in place), a
 * sort of the 256-row table, and the page's JS heap. Run: `bun bench/dashboard.bench.ts [requests]`.
 * Prints figures; asserts nothing. Uses the pinned Chromium of the browser tests (test/support/chromium.ts).
 */
import { Effect } from "effect"
import type { RankingRequest } from "../src/domain/wire/protocol.ts"
import { RequestLedger } from "../src/services/request-ledger.ts"
import { launchChromium } from "../test/support/chromium.ts"
import { startDashboardWorld } from "../test/support/dashboard-server.ts"

// Page-side code (serialised into the browser; no DOM lib in this project's TypeScript).
declare const document: any
declare const window: any
declare const performance: { now(): number; memory?: { usedJSHeapSize: number } }

const REQUESTS = Number(process.argv[2] ?? 10_000)
const NEURONS = 256
const UPDATES = 12

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const ms = (x: number) => `${x.toFixed(1)} ms`

const now = Date.now() / 1000
let t = performance.now()
const world = await startDashboardWorld({
  neurons: NEURONS,
  validators: 8,
  store: { requests: REQUESTS, scoredFraction: 0.9, responsesPerRequest: 10, snapshots: 96, now, seed: 42, spacing: 20 },
  settings: { pollSeconds: 0.5 }
})
console.log(`seeded ${NEURONS} neurons, ${REQUESTS} requests, 96 snapshots in ${((performance.now() - t) / 1000).toFixed(1)} s`)

// Server side: each endpoint, warm, median of 20.
for (const path of ["overview", "metagraph", "history?top=6&points=120&uids=100", "requests?offset=0&limit=25", "requests?offset=900&limit=100"]) {
  const times: Array<number> = []
  let bytes = 0
  for (let i = 0; i < 21; i++) {
    const start = performance.now()
    const res = await fetch(`${world.url}/dashboard/api/${path}`)
    bytes = (await res.arrayBuffer()).byteLength
    if (i > 0) times.push(performance.now() - start)
  }
  console.log(`GET /dashboard/api/${path}: median ${ms(median(times))}, max ${ms(Math.max(...times))}, ${(bytes / 1024).toFixed(1)} KiB`)
}

const browser = await launchChromium()
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
t = performance.now()
await page.goto(`${world.url}/dashboard#metagraph`)
await page.waitForSelector("body[data-ready='1']", { timeout: 60_000 })
const wall = performance.now() - t
const first = (await page.evaluate(() => window.__dojoDashboard.firstRenderMs)) as number
console.log(`first render (all views' data fetched and drawn): ${ms(first)} after navigation start (${ms(wall)} wall from goto)`)
console.log(`table rows: ${await page.locator("#mg-body tr").count()}, requests shown: ${await page.locator("#req-body tr").count()}`)

const sortMs = (await page.evaluate(() => {
  const th = document.querySelector("#mg-head th[data-key='incentive']")
  const start = performance.now()
  th.click()
  return performance.now() - start
})) as number
console.log(`sort 256 rows by incentive (in the page): ${ms(sortMs)}`)

const request = (id: string): RankingRequest => ({
  epoch_timestamp: now,
  request_id: id,
  prompt: `bench prompt ${id}`,
  n_completions: 2,
  completions: [
    { cid: `${id}-a`, text: "good" },
    { cid: `${id}-b`, text: "bad" }
  ],
  ranks: [],
  scoring_method: null,
  model_config: null,
  mturk_hit_id: null,
  modality: "text"
})

// Live updates: save a request, wait for its row; score it (new EMA vector), wait for the badge.
const seen: Array<number> = []
const miners = world.subnet.miners
for (let i = 0; i < UPDATES; i++) {
  const id = `bench-${i}`
  const saveAt = performance.now()
  await world.run(
    Effect.flatMap(RequestLedger, (s) =>
      s.saveRequest({ request: request(id), kind: "seed", createdAt: now + 100 + i, deadlineAt: now + 200 + i, responses: [] })
    )
  )
  await page.waitForFunction((want) => document.querySelector("#req-body tr")?.getAttribute("data-id") === want, id, { timeout: 20_000, polling: 10 })
  seen.push(performance.now() - saveAt)
  await world.run(
    Effect.flatMap(RequestLedger, (s) =>
      s.recordScoring({
        requestId: id,
        result: { request_id: id, cid_to_consensus: { [`${id}-a`]: 0.9, [`${id}-b`]: 0.1 }, hotkey_to_score: {} },
        scores: miners.map((m) => ({ uid: m.uid, hotkey: m.hotkey, score: (m.quality + i / 100) / 10 })),
        accuracyOutcomes: [],
        deliverTo: [],
        scoredAt: now + 300 + i
      })
    )
  )
  await page.waitForFunction(() => document.querySelector("#req-body tr .badge")?.textContent === "scored", undefined, { timeout: 20_000, polling: 10 })
}
const renders = (await page.evaluate(() => window.__dojoDashboard.renders)) as Array<{ totalMs: number; renderMs: number; jobs: number }>
const updates = renders.slice(-2 * UPDATES)
console.log(
  `live update (poll every 0.5 s): store change → row visible median ${ms(median(seen))} (max ${ms(Math.max(...seen))}); ` +
    `per update: fetch+render median ${ms(median(updates.map((r) => r.totalMs)))}, DOM/canvas work median ${ms(median(updates.map((r) => r.renderMs)))} (max ${ms(Math.max(...updates.map((r) => r.renderMs)))})`
)
const heap = (await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0)) as number
if (heap > 0) console.log(`page JS heap: ${(heap / (1 << 20)).toFixed(1)} MiB`)

await browser.close()
await world.close()
