/**
 * The validator dashboard: its JSON endpoints over a seeded store and the in-memory chain (real Bun HTTP
 * server on loopback), then the page itself in headless Chromium — every view rendered from that data,
 * live updates after the store changes, no request leaving the origin, and screenshots checked for
 * content and size (written to a temp dir, printed for a look).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Option } from "effect"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Browser, Page } from "playwright-core"
import type { MetagraphView, OverviewView, RequestDetailView, RequestsPageView, HistoryView } from "../../../src/adapters/http/dashboard-data.ts"
import { PRIVATE_TEXT } from "../../../src/domain/dashboard-view.ts"
import type { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { RequestLedger } from "../../../src/services/request-ledger.ts"
import { launchChromium } from "../../support/chromium.ts"
import { startDashboardWorld, type DashboardWorld } from "../../support/dashboard-server.ts"
import { decodePng, pngStats } from "../../support/png.ts"

// Page-side code in page.evaluate/waitForFunction callbacks (serialised to the browser; the project's
// TypeScript has no DOM lib). Functions, not strings: the page's CSP forbids string evaluation.
declare const document: any
declare const window: any
declare const location: any

const NEURONS = 64
const REQUESTS = 180
const now = Math.floor(Date.now() / 1000)

let world: DashboardWorld
beforeAll(async () => {
  world = await startDashboardWorld({
    neurons: NEURONS,
    validators: 4,
    store: { requests: REQUESTS, scoredFraction: 0.8, responsesPerRequest: 8, snapshots: 30, now, seed: 11 },
    settings: { pollSeconds: 0.4, requestsCap: 150 }
  })
}, 60_000)
afterAll(async () => world?.close())

const get = async <A>(path: string): Promise<{ status: number; body: A; headers: Headers }> => {
  const res = await fetch(world.url + path)
  return { status: res.status, headers: res.headers, body: (await res.json()) as A }
}

const newRequest = (id: string, prompt: string): RankingRequest => ({
  epoch_timestamp: now,
  request_id: id,
  prompt,
  n_completions: 2,
  completions: [
    { cid: `${id}-a`, text: "A careful, helpful answer with steps." },
    { cid: `${id}-b`, text: "whatever" }
  ],
  ranks: [],
  scoring_method: null,
  model_config: null,
  mturk_hit_id: null,
  modality: "text"
})

describe("dashboard JSON endpoints", () => {
  test("overview: chain head, neuron counts, store stats and the last weights as shares", async () => {
    const { status, body, headers } = await get<OverviewView>("/dashboard/api/overview")
    expect(status).toBe(200)
    expect(headers.get("cache-control")).toBe("no-store")
    expect(body.neurons).toEqual({ total: NEURONS, serving: NEURONS - 4, validators: 4 })
    expect(body.stats.requests).toBe(REQUESTS)
    expect(body.stats.scored).toBe(Math.floor(REQUESTS * 0.8))
    expect(body.chain.block).toBeGreaterThan(4_100)
    expect(body.lastWeights?.count).toBe(NEURONS - 4)
    const shares = body.lastWeights!.shares.map((s) => s.share)
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9)
    expect([...shares].sort((a, b) => b - a)).toEqual(shares)
    expect(body.accuracySampledAt).not.toBeNull()
  })

  test("metagraph: every neuron with chain figures, the validator's EMA score, weight share and accuracy", async () => {
    const { body } = await get<MetagraphView>("/dashboard/api/metagraph")
    expect(body.neurons.map((n) => n.uid)).toEqual(Array.from({ length: NEURONS }, (_, i) => i))
    const self = body.neurons.filter((n) => n.self)
    expect(self.map((n) => n.uid)).toEqual([0])
    const miners = body.neurons.slice(4)
    expect(miners.every((n) => n.axon !== null && /^203\.0\.113\.\d+:\d+$/.test(n.axon))).toBe(true)
    expect(miners.every((n) => n.score !== null && n.weight !== null)).toBe(true)
    expect(miners.some((n) => n.incentive > 0 && n.emission > 0)).toBe(true)
    expect(miners.some((n) => n.accuracy !== null && n.accuracy.answered > 0)).toBe(true)
    expect(miners.reduce((a, n) => a + (n.weight ?? 0), 0)).toBeCloseTo(1, 9)
  })

  test("history: requested uids plus the top ones, at most `points` points, shares per time", async () => {
    const { body } = await get<HistoryView>("/dashboard/api/history?uids=7,9&top=3&points=10")
    expect(body.uids.slice(0, 2)).toEqual([7, 9])
    expect(body.uids).toHaveLength(5)
    expect(body.scores.times.length).toBe(10)
    for (const s of body.scores.series) {
      expect(s.score).toHaveLength(10)
      expect(s.weight.every((w) => w !== null && w >= 0 && w <= 1)).toBe(true)
    }
    expect(body.accuracy.series.map((s) => s.uid)).toEqual(body.uids as Array<number>)
    expect(body.accuracy.times.length).toBeGreaterThan(1)
  })

  test("requests: newest first, capped, paged; consensus sorted; kinds and API texts kept private", async () => {
    const first = await get<RequestsPageView>("/dashboard/api/requests?offset=0&limit=100")
    expect(first.body.total).toBe(150)
    expect(first.body.rows).toHaveLength(100)
    const created = first.body.rows.map((r) => r.createdAt)
    expect([...created].sort((a, b) => b - a)).toEqual(created)
    const last = await get<RequestsPageView>("/dashboard/api/requests?offset=140&limit=100")
    expect(last.body.rows).toHaveLength(10)
    const rows = [...first.body.rows, ...last.body.rows]
    expect(new Set(rows.map((r) => r.kind))).toEqual(new Set(["validator", "api"]))
    for (const r of rows.filter((x) => x.kind === "api")) {
      expect(r.prompt).toBe(PRIVATE_TEXT)
      if (r.best) expect(r.best.text).toBe(PRIVATE_TEXT)
    }
    const scored = rows.filter((r) => r.status === "scored")
    expect(scored.length).toBeGreaterThan(0)
    for (const r of scored) {
      expect(r.best).not.toBeNull()
      expect(r.best!.score).toBe(r.consensus[0]!.score)
      const scores = r.consensus.map((c) => c.score)
      expect([...scores].sort((a, b) => b - a)).toEqual(scores)
    }
  })

  test("request detail: completions with consensus and per-miner scores; unknown id → 404", async () => {
    const page = await get<RequestsPageView>("/dashboard/api/requests?offset=60&limit=10")
    const scored = page.body.rows.find((r) => r.status === "scored" && r.kind !== "api")!
    const detail = await get<RequestDetailView>(`/dashboard/api/requests/${scored.requestId}`)
    expect(detail.status).toBe(200)
    const stored = await world.run(Effect.flatMap(RequestLedger, (s) => s.getRequest(scored.requestId)))
    const request = Option.getOrThrow(stored)
    expect(detail.body.completions.map((c) => c.text)).toEqual(request.request.completions.map((c) => c.text))
    expect(detail.body.completions.map((c) => c.consensus)).toEqual(request.request.completions.map((c) => request.result!.cid_to_consensus[c.cid]!))
    expect(detail.body.minerScores.map((m) => m.hotkey).sort()).toEqual(Object.keys(request.result!.hotkey_to_score).sort())
    expect((await fetch(`${world.url}/dashboard/api/requests/nope`)).status).toBe(404)
  })

  test("bad queries are 400 with one short line naming the parameter, not the Schema error tree", async () => {
    for (const [q, field] of [
      ["/dashboard/api/history?points=1", "points"],
      ["/dashboard/api/history?uids=x", "uids"],
      ["/dashboard/api/history?top=abc", "top"],
      ["/dashboard/api/requests?limit=1000", "limit"],
      ["/dashboard/api/requests?offset=-1", "offset"]
    ] as const) {
      const res = await fetch(world.url + q)
      expect(res.status).toBe(400)
      const error = ((await res.json()) as { error: string }).error
      expect(error).toStartWith(`bad query: ${field}: `)
      expect(error).not.toContain("\n")
      expect(error.length).toBeLessThan(160)
    }
  })

  test("the page: HTML with its CSP (inline blocks by hash, this origin only), at / and /dashboard", async () => {
    for (const path of ["/", "/dashboard"]) {
      const res = await fetch(world.url + path)
      expect(res.status).toBe(200)
      expect(res.headers.get("content-type")).toContain("text/html")
      const csp = res.headers.get("content-security-policy")!
      expect(csp).toContain("default-src 'none'")
      expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/)
      expect(csp).toContain("connect-src 'self'")
      const html = await res.text()
      expect(html).not.toMatch(/https?:\/\//)
      expect(html).not.toMatch(/<script[^>]+src=/)
      expect(html).not.toMatch(/<link[^>]+stylesheet/)
    }
  })
})

// No Chromium is a failure here, never a skip (launchChromium rejects saying why).
describe("dashboard in headless Chromium", () => {
  let browser: Browser
  let page: Page
  const shots = mkdtempSync(join(tmpdir(), "dojo-dashboard-shots-"))
  const foreign: Array<string> = []
  const errors: Array<string> = []

  beforeAll(async () => {
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    page.on("request", (r) => {
      if (!r.url().startsWith(world.url) && !r.url().startsWith("data:")) foreign.push(r.url())
    })
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`))
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console: ${m.text()}`)
    })
    page.on("response", (r) => {
      if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`)
    })
    await page.goto(`${world.url}/dashboard`)
    await page.waitForSelector("body[data-ready='1']", { timeout: 20_000 })
    console.log(`dashboard screenshots: ${shots}`)
  }, 60_000)
  afterAll(async () => browser?.close())

  const show = async (view: string) => {
    await page.evaluate((v) => void (location.hash = `#${v}`), view)
    await page.waitForSelector(`body[data-view='${view}']`)
  }
  const text = async (selector: string) => ((await page.textContent(selector)) ?? "").trim()
  /** Non-background pixels drawn on a canvas (the page's own pixels, read in the page). */
  const inked = (id: string) =>
    page.evaluate((canvasId) => {
      const c = document.getElementById(canvasId)
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data
      let n = 0
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++
      return n as number
    }, id)

  const screenshot = async (name: string) => {
    const file = join(shots, `${name}.png`)
    await page.screenshot({ path: file })
    const stats = pngStats(decodePng(readFileSync(file)))
    expect(stats.width).toBe(1280)
    expect(stats.height).toBe(800)
    expect(stats.lumaVariance).toBeGreaterThan(40)
    expect(stats.colours).toBeGreaterThan(200)
    expect(stats.dominantShare).toBeLessThan(0.9)
    return stats
  }

  test("overview: every card filled from the API, weights bar chart and top-miner chart drawn", async () => {
    await show("overview")
    const overview = (await get<OverviewView>("/dashboard/api/overview")).body
    expect(await text("[data-card='requests'] .value")).toBe(overview.stats.requests.toLocaleString("en-US"))
    expect(await text("[data-card='scored'] .value")).toBe(overview.stats.scored.toLocaleString("en-US"))
    expect(await text("[data-card='neurons'] .value")).toBe(String(NEURONS))
    expect(await text("[data-card='weights'] .value")).toBe(`#${overview.lastWeights!.block.toLocaleString("en-US")}`)
    expect(await text("[data-card='block'] .value")).toMatch(/^\d{1,3}(,\d{3})*$/)
    expect(await inked("chart-weights")).toBeGreaterThan(2000)
    expect(await inked("chart-overview")).toBeGreaterThan(2000)
    expect(await page.locator("#legend-overview span").count()).toBe(6)
    expect(await page.locator("#top-body tr").count()).toBe(10)
    await screenshot("overview")
  })

  test("metagraph: one row per neuron, hotkeys shortened with the full key on hover, sorting and filtering", async () => {
    await show("metagraph")
    const mg = (await get<MetagraphView>("/dashboard/api/metagraph")).body
    expect(await page.locator("#mg-body tr").count()).toBe(NEURONS)
    const n5 = mg.neurons[5]!
    const row = page.locator("#mg-body tr[data-uid='5'] td")
    expect(await row.nth(1).textContent()).toBe(`${n5.hotkey.slice(0, 5)}…${n5.hotkey.slice(-4)}`)
    expect(await row.nth(1).getAttribute("title")).toBe(n5.hotkey)
    expect(await row.nth(9).textContent()).toBe(n5.axon!)
    expect(await page.locator("#mg-body tr.self").getAttribute("data-uid")).toBe("0")
    await screenshot("metagraph")

    await page.click("#mg-head th[data-key='weight']")
    const best = [...mg.neurons].sort((a, b) => (b.weight ?? 0) - (a.weight ?? 0) || a.uid - b.uid)[0]!
    expect(await page.locator("#mg-body tr").first().getAttribute("data-uid")).toBe(String(best.uid))
    await page.fill("#mg-filter", n5.hotkey.slice(0, 12).toLowerCase())
    expect(await page.locator("#mg-body tr:not([hidden])").count()).toBe(1)
    expect(await text("#mg-count")).toBe(`1 of ${NEURONS} neurons`)
    await page.fill("#mg-filter", "")
    await page.click("#mg-head th[data-key='uid']")
  })

  test("miners: clicking a row selects the miner; its card and the three charts are drawn", async () => {
    await show("metagraph")
    await page.click("#mg-body tr[data-uid='12']")
    await page.waitForSelector("body[data-view='miners']")
    await page.waitForFunction(() => document.getElementById("miner-select").value === "12")
    const hotkey = (await get<MetagraphView>("/dashboard/api/metagraph")).body.neurons[12]!.hotkey
    await page.waitForFunction(() => document.getElementById("legend-miners").textContent.includes("uid 12 "))
    expect(await text("#miner-card")).toContain(hotkey)
    for (const id of ["chart-score", "chart-weight", "chart-accuracy"]) expect(await inked(id)).toBeGreaterThan(1500)
    await screenshot("miners")
  })

  test("requests: a page of recent requests with consensus bars; a row opens its completions and miner scores", async () => {
    await show("requests")
    expect(await page.locator("#req-body tr").count()).toBe(25)
    expect(await text("#req-range")).toContain("1–25 of 150")
    // The newest 20% are still pending (before their deadline); scored ones start on page 2.
    expect(await page.locator("#req-body .badge.pending").count()).toBe(25)
    await page.click("#req-next")
    await page.waitForFunction(() => document.getElementById("req-range").textContent.startsWith("26–50"))
    const scoredRow = page.locator("#req-body tr:has(.badge.scored)").first()
    const id = (await scoredRow.getAttribute("data-id"))!
    expect(await scoredRow.locator(".cons span").count()).toBeGreaterThanOrEqual(2)
    await scoredRow.click()
    await page.waitForSelector("#req-detail:not([hidden]) .completion")
    expect(await text("#req-detail h2")).toContain(id)
    const detail = (await get<RequestDetailView>(`/dashboard/api/requests/${id}`)).body
    expect(await page.locator("#req-detail .completion").count()).toBe(detail.completions.length)
    expect(await text("#req-detail")).toContain(detail.completions[0]!.text)
    await page.evaluate(() => window.scrollTo(0, 0))
    await screenshot("requests")
    await page.click("#req-prev")
    await page.waitForFunction(() => document.getElementById("req-range").textContent.startsWith("1–25"))
  })

  test("live: a new request, then its scoring, show up in place (no reload), prompts as text only", async () => {
    await show("requests")
    await page.evaluate(() => void (window.__dojoLoaded = "same page"))
    const updatesBefore = Number(await page.getAttribute("body", "data-updates"))
    const id = "live-0001"
    const prompt = `<img src=x onerror="window.__xss = 1">Live prompt`
    await world.run(
      Effect.flatMap(RequestLedger, (s) =>
        s.saveRequest({
          request: newRequest(id, prompt),
          kind: "seed",
          createdAt: now + 10,
          deadlineAt: now + 20,
          responses: [5, 6, 7].map((uid) => ({
            hotkey: world.subnet.miners[uid - 4]!.hotkey,
            uid,
            scoringMethod: "hf_model" as const,
            modelConfig: null,
            ranks: [
              { cid: `${id}-a`, score: 0.9 },
              { cid: `${id}-b`, score: 0.1 }
            ],
            mturkHitId: null,
            humanVerified: false,
            source: "axon" as const,
            receivedAt: now + 11
          }))
        })
      )
    )
    await page.waitForFunction((want) => document.querySelector("#req-body tr").getAttribute("data-id") === want, id, { timeout: 10_000 })
    expect(await page.locator("#req-body tr").first().locator("td").nth(3).textContent()).toBe(prompt)
    expect(await page.evaluate(() => window.__xss)).toBeUndefined()
    expect(await page.locator("#req-body img").count()).toBe(0)
    expect(await text("[data-card='requests'] .value")).toBe(String(REQUESTS + 1))

    const miner = world.subnet.miners[1]!
    await world.run(
      Effect.flatMap(RequestLedger, (s) =>
        s.recordScoring({
          requestId: id,
          result: { request_id: id, cid_to_consensus: { [`${id}-a`]: 0.9, [`${id}-b`]: 0.1 }, hotkey_to_score: { [miner.hotkey]: 0.5 } },
          scores: world.subnet.miners.map((m) => ({ uid: m.uid, hotkey: m.hotkey, score: m.uid === miner.uid ? 0.123456 : 0.01 })),
          accuracyOutcomes: [],
          deliverTo: [],
          scoredAt: now + 30
        })
      )
    )
    await page.waitForFunction(() => document.querySelector("#req-body tr .badge").textContent === "scored", undefined, { timeout: 10_000 })
    expect(await page.locator("#req-body tr").first().locator("td").nth(7).textContent()).toBe("A careful, helpful answer with steps.")
    // The EMA vector changed: the metagraph row updates in place (same element, new text).
    await page.waitForFunction(
      (uid) => document.querySelector(`#mg-body tr[data-uid='${uid}']`).children[10].textContent === "0.1235",
      miner.uid,
      { timeout: 10_000 }
    )
    expect(await page.evaluate(() => window.__dojoLoaded)).toBe("same page")
    expect(Number(await page.getAttribute("body", "data-updates"))).toBeGreaterThan(updatesBefore)
  })

  test("no request left the origin, no script error, no failed response", () => {
    expect(foreign).toEqual([])
    expect(errors).toEqual([])
  })
})
