/**
 * The validator dashboard in the browser. Polls `/dashboard/api/*`, fetches only what changed (the
 * overview carries versions) and updates the DOM in place: table cells are rewritten only when their
 * text changes, rows are re-ordered only when the order changes, charts are drawn on <canvas>. All data
 * is put in the page as text (never as HTML), so prompts cannot inject markup. Bundled by
 * `dashboard-page.ts` into one inline script.
 */
import type {
  HistoryView,
  MetagraphView,
  NeuronView,
  OverviewView,
  RequestDetailView,
  RequestLineView,
  RequestsPageView
} from "../dashboard-data.ts"
import { shortHotkey } from "../../../domain/dashboard-view.ts"
import { barChart, legend, lineChart, type Series } from "./charts.ts"
import { byId as $, el, setText } from "./dom.ts"
import { ago, bytes, clock, count, fixed, money, pad, pct, stamp } from "./format.ts"

/** What the page exposes for the benchmark and the tests. */
interface DashboardStats {
  firstRenderMs: number | null
  ticks: number
  updates: number
  renders: Array<{ totalMs: number; renderMs: number; jobs: number }>
}

declare global {
  interface Window {
    __dojoDashboard: DashboardStats
    __dojoDashboardTick: () => Promise<void>
  }
}

const API = "/dashboard/api/"
const PALETTE = ["#4f9dff", "#ff8a3d", "#3ddc97", "#f25f7a", "#b48cff", "#ffd23d", "#3dd6f2", "#c9d1d9", "#ff6ad5", "#7ee787"]
const NONE = "\u2014"

/** One metagraph table row and what it shows. */
interface Row {
  readonly tr: HTMLTableRowElement
  readonly cells: ReadonlyArray<HTMLTableCellElement>
  readonly texts: Array<string | undefined>
  n: NeuronView
}

/** What the page polls for changes: a new value of any of these triggers the matching reloads. */
interface Versions {
  readonly block: number | null
  readonly weights: string
  readonly requests: number
  readonly scored: number
  readonly pending: number
  readonly responses: number
  readonly accuracy: number | null
}

const S = {
  view: "overview",
  pollMs: 3000,
  versions: null as Versions | null,
  overview: null as OverviewView | null,
  metagraph: null as MetagraphView | null,
  history: null as HistoryView | null,
  requests: null as RequestsPageView | null,
  sortKey: "uid",
  sortDir: 1,
  filter: "",
  selectedUid: null as number | null,
  reqOffset: 0,
  reqLimit: 25,
  detailId: null as string | null,
  rows: new Map<number, Row>(),
  orderSig: "",
  uidSig: "",
  busy: false,
  failures: 0
}
const stats: DashboardStats = { firstRenderMs: null, ticks: 0, updates: 0, renders: [] }
window.__dojoDashboard = stats

const short = (hk: string | null | undefined): string => (!hk ? "" : shortHotkey(hk))
const accuracyShare = (n: NeuronView): number | null => (n.accuracy && n.accuracy.answered ? n.accuracy.correct / n.accuracy.answered : null)

const getJson = async <A>(path: string): Promise<A> => {
  const r = await fetch(API + path, { cache: "no-store" })
  if (!r.ok) throw new Error(`${path.split("?")[0]}: HTTP ${r.status}`)
  return (await r.json()) as A
}

// ---- views ---------------------------------------------------------------------------------
const showView = (wanted: string): void => {
  const name = document.getElementById(`view-${wanted}`) ? wanted : "overview"
  S.view = name
  for (const view of document.querySelectorAll<HTMLElement>(".view")) view.hidden = view.id !== `view-${name}`
  for (const link of document.querySelectorAll("nav a")) link.classList.toggle("active", link.getAttribute("data-view") === name)
  document.body.setAttribute("data-view", name)
  drawCharts()
}

// ---- charts --------------------------------------------------------------------------------
type SeriesField = "score" | "weight" | "accuracy"

const seriesOf = (field: SeriesField): Array<Series> => {
  const h = S.history
  if (!h) return []
  const make = (s: { readonly uid: number; readonly hotkey: string }, i: number, values: ReadonlyArray<number | null>): Series => ({
    label: `uid ${s.uid} ${short(s.hotkey)}`,
    color: PALETTE[i % PALETTE.length]!,
    bold: s.uid === S.selectedUid,
    values
  })
  return field === "accuracy"
    ? h.accuracy.series.map((s, i) => make(s, i, s.accuracy))
    : h.scores.series.map((s, i) => make(s, i, s[field]))
}

const canvas = (id: string) => $<HTMLCanvasElement>(id)

const drawCharts = (): void => {
  const h = S.history
  if (S.view === "overview") {
    const shares = S.overview && S.overview.lastWeights ? S.overview.lastWeights.shares : []
    barChart(canvas("chart-weights"), shares.map((x) => ({ label: x.uid, value: x.share })), { fmt: pct })
    const ws = seriesOf("weight")
    lineChart(canvas("chart-overview"), h ? h.scores.times : [], ws, { min: 0, fmt: pct })
    legend($("legend-overview"), ws)
  } else if (S.view === "miners") {
    const sc = seriesOf("score")
    const wt = seriesOf("weight")
    const ac = seriesOf("accuracy")
    lineChart(canvas("chart-score"), h ? h.scores.times : [], sc, { min: 0, fmt: (v) => v.toFixed(3), dim: true })
    lineChart(canvas("chart-weight"), h ? h.scores.times : [], wt, { min: 0, fmt: pct, dim: true })
    lineChart(canvas("chart-accuracy"), h ? h.accuracy.times : [], ac, { min: 0, max: 1, fmt: pct, dim: true, spanGaps: true })
    legend($("legend-miners"), sc)
  }
}

// ---- overview ------------------------------------------------------------------------------
const CARDS = [
  ["block", "Block"],
  ["neurons", "Neurons"],
  ["serving", "Serving axons"],
  ["validators", "Validator permits"],
  ["requests", "Requests"],
  ["pending", "Pending"],
  ["scored", "Scored"],
  ["responses", "Responses"],
  ["deliveries", "Results to deliver"],
  ["size", "Store size"],
  ["weights", "Last set_weights"],
  ["accuracy", "Accuracy sampled"]
] as const
type CardKey = (typeof CARDS)[number][0]
const cardNodes = new Map<CardKey, { readonly value: HTMLElement; readonly sub: HTMLElement }>()

const buildCards = (): void => {
  const box = $("cards")
  for (const [key, label] of CARDS) {
    const card = el("div", "card")
    card.setAttribute("data-card", key)
    card.appendChild(el("div", "label", label))
    const value = el("div", "value", NONE)
    const sub = el("div", "sub", "")
    card.appendChild(value)
    card.appendChild(sub)
    box.appendChild(card)
    cardNodes.set(key, { value, sub })
  }
}

const card = (key: CardKey, value: string, sub?: string): void => {
  const nodes = cardNodes.get(key)!
  setText(nodes.value, value)
  setText(nodes.sub, sub || "")
}

const renderOverview = (ov: OverviewView): void => {
  const st = ov.stats
  const n = ov.neurons
  const w = ov.lastWeights
  card("block", ov.chain.block === null ? NONE : count(ov.chain.block), ov.chain.error ? `chain: ${ov.chain.error}` : `subnet ${ov.netuid} \u00b7 ${ov.chain.endpoint}`)
  card("neurons", n ? count(n.total) : NONE)
  card("serving", n ? count(n.serving) : NONE)
  card("validators", n ? count(n.validators) : NONE)
  card("requests", count(st.requests))
  card("pending", count(st.pending))
  card("scored", count(st.scored))
  card("responses", count(st.responses))
  card("deliveries", count(st.deliveriesPending))
  card("size", bytes(st.storeBytes))
  card("weights", w ? `#${count(w.block)}` : "never", w ? `${ago(w.at)} \u00b7 ${w.count} uids` : "")
  card("accuracy", ov.accuracySampledAt ? ago(ov.accuracySampledAt) : NONE, `${Math.round(ov.accuracyWindowSeconds / 3600)} h window`)
  setText(
    $("weights-info"),
    w ? `block ${count(w.block)} \u00b7 ${stamp(w.at)} (${ago(w.at)}) \u00b7 ${w.count} uids \u00b7 version key ${w.versionKey}` : "no weights set yet"
  )
  setText($("validator-hotkey"), ov.validatorHotkey ? `validator ${short(ov.validatorHotkey)}` : "")
}

// ---- metagraph table -----------------------------------------------------------------------
interface Column {
  readonly key: keyof NeuronView
  readonly label: string
  readonly num?: boolean
  readonly text: (n: NeuronView) => string
}

const COLS: ReadonlyArray<Column> = [
  { key: "uid", label: "UID", num: true, text: (n) => String(n.uid) },
  { key: "hotkey", label: "Hotkey", text: (n) => short(n.hotkey) },
  { key: "stake", label: "Stake", num: true, text: (n) => money(n.stake) },
  { key: "permit", label: "VPermit", text: (n) => (n.permit ? "\u2713" : "") },
  { key: "trust", label: "Trust", num: true, text: (n) => fixed(n.trust, 4) },
  { key: "consensus", label: "Consensus", num: true, text: (n) => fixed(n.consensus, 4) },
  { key: "incentive", label: "Incentive", num: true, text: (n) => fixed(n.incentive, 4) },
  { key: "dividends", label: "Dividends", num: true, text: (n) => fixed(n.dividends, 4) },
  { key: "emission", label: "Emission", num: true, text: (n) => fixed(n.emission, 4) },
  { key: "axon", label: "Axon", text: (n) => n.axon || NONE },
  { key: "score", label: "Score (EMA)", num: true, text: (n) => fixed(n.score, 4) },
  { key: "weight", label: "Weight", num: true, text: (n) => pct(n.weight) },
  {
    key: "accuracy",
    label: "Accuracy",
    num: true,
    text: (n) => {
      const a = accuracyShare(n)
      return a === null ? NONE : `${pct(a)} (${n.accuracy!.answered})`
    }
  }
]

const sortValue = (n: NeuronView, key: string): number | string => {
  if (key === "accuracy") return accuracyShare(n) ?? -1
  if (key === "permit") return n.permit ? 1 : 0
  const v = n[key as keyof NeuronView]
  return v === null || v === undefined ? -Infinity : (v as number | string)
}

const buildTable = (): void => {
  const head = $("mg-head")
  for (const c of COLS) {
    const th = el("th", c.num ? "num" : "", c.label)
    th.setAttribute("data-key", c.key)
    th.addEventListener("click", () => {
      if (S.sortKey === c.key) S.sortDir = -S.sortDir
      else {
        S.sortKey = c.key
        S.sortDir = c.num ? -1 : 1
        if (c.key === "uid") S.sortDir = 1
      }
      orderRows()
    })
    head.appendChild(th)
  }
}

const renderMetagraph = (mg: MetagraphView, flash: boolean): void => {
  const body = $("mg-body")
  const seen = new Set<number>()
  for (const n of mg.neurons) {
    let r = S.rows.get(n.uid)
    if (!r) {
      const tr = el("tr")
      const cells = COLS.map((c) => {
        const td = el("td", c.num ? "num" : "")
        if (c.key === "hotkey") td.className = "mono"
        tr.appendChild(td)
        return td
      })
      tr.setAttribute("data-uid", String(n.uid))
      tr.addEventListener("click", () => {
        selectMiner(n.uid)
        location.hash = "#miners"
      })
      r = { tr, cells, texts: [], n }
      S.rows.set(n.uid, r)
      body.appendChild(tr)
    }
    const row = r
    row.n = n
    seen.add(n.uid)
    COLS.forEach((c, i) => {
      const t = c.text(n)
      if (row.texts[i] !== t) {
        const cell = row.cells[i]!
        cell.textContent = t
        // Web Animations: no class toggling, so no forced layout per changed cell.
        if (flash && row.texts[i] !== undefined && typeof cell.animate === "function") {
          cell.animate([{ backgroundColor: "rgba(79,157,255,.4)" }, { backgroundColor: "rgba(79,157,255,0)" }], { duration: 1400, easing: "ease-out" })
        }
        row.texts[i] = t
      }
    })
    const hotkeyCell = row.cells[1]!
    if (hotkeyCell.title !== n.hotkey) hotkeyCell.title = n.hotkey
    row.tr.classList.toggle("self", !!n.self)
    row.tr.classList.toggle("picked", n.uid === S.selectedUid)
  }
  S.rows.forEach((r, uid) => {
    if (!seen.has(uid)) {
      r.tr.remove()
      S.rows.delete(uid)
    }
  })
  orderRows()
  renderMinerSelect(mg)
  renderMinerCard()
  renderTopMiners(mg)
}

const renderTopMiners = (mg: MetagraphView): void => {
  const top = mg.neurons
    .filter((n) => n.weight !== null && n.weight > 0)
    .sort((a, b) => b.weight! - a.weight! || a.uid - b.uid)
    .slice(0, 10)
  const body = $("top-body")
  while (body.children.length > top.length) body.lastChild!.remove()
  top.forEach((n, i) => {
    let tr = body.children[i] as HTMLTableRowElement | undefined
    if (!tr) {
      const row = el("tr")
      for (let k = 0; k < 8; k++) row.appendChild(el("td", k === 1 || k === 2 ? (k === 1 ? "mono" : "") : "num"))
      row.addEventListener("click", () => {
        selectMiner(Number(row.getAttribute("data-uid")))
        location.hash = "#miners"
      })
      body.appendChild(row)
      tr = row
    }
    tr.setAttribute("data-uid", String(n.uid))
    const a = accuracyShare(n)
    const texts = [n.uid, short(n.hotkey), n.axon || NONE, fixed(n.score, 4), pct(n.weight), fixed(n.incentive, 4), fixed(n.emission, 4), a === null ? NONE : pct(a)]
    texts.forEach((t, k) => setText(tr.children[k]!, t))
    ;(tr.children[1] as HTMLElement).title = n.hotkey
  })
}

const orderRows = (): void => {
  const f = S.filter.trim().toLowerCase()
  const list: Array<Row> = []
  let shown = 0
  S.rows.forEach((r) => {
    const show = !f || String(r.n.uid) === f || r.n.hotkey.toLowerCase().indexOf(f) >= 0 || (r.n.axon || "").indexOf(f) >= 0
    if (r.tr.hidden === show) r.tr.hidden = !show
    if (show) shown++
    list.push(r)
  })
  const key = S.sortKey
  const dir = S.sortDir
  list.sort((a, b) => {
    const x = sortValue(a.n, key)
    const y = sortValue(b.n, key)
    if (x < y) return -dir
    if (x > y) return dir
    return a.n.uid - b.n.uid
  })
  const sig = `${key}${dir}:${list.map((r) => r.n.uid).join(",")}`
  if (sig !== S.orderSig) {
    const frag = document.createDocumentFragment()
    for (const r of list) frag.appendChild(r.tr)
    $("mg-body").appendChild(frag)
    S.orderSig = sig
  }
  const ths = $("mg-head").children
  for (let i = 0; i < ths.length; i++) {
    const c = COLS[i]!
    const th = ths[i]!
    th.classList.toggle("sorted", c.key === key)
    setText(th, c.label + (c.key === key ? (dir > 0 ? " \u25b2" : " \u25bc") : ""))
  }
  setText($("mg-count"), `${shown} of ${S.rows.size} neurons`)
}

// ---- miners --------------------------------------------------------------------------------
const minerSelect = () => $<HTMLSelectElement>("miner-select")

const renderMinerSelect = (mg: MetagraphView): void => {
  const sel = minerSelect()
  const sig = mg.neurons.map((n) => `${n.uid}:${n.hotkey}`).join(",")
  if (sig !== S.uidSig) {
    S.uidSig = sig
    sel.textContent = ""
    for (const n of mg.neurons) {
      const o = el("option", "", `uid ${n.uid} \u00b7 ${short(n.hotkey)}`)
      o.value = String(n.uid)
      sel.appendChild(o)
    }
  }
  const last = mg.neurons[mg.neurons.length - 1]
  if (S.selectedUid === null && last) {
    S.selectedUid = last.uid
    loadHistory().then(drawCharts).catch(offline)
  }
  if (S.selectedUid !== null && sel.value !== String(S.selectedUid)) sel.value = String(S.selectedUid)
}

const renderMinerCard = (): void => {
  const box = $("miner-card")
  const r = S.selectedUid === null ? undefined : S.rows.get(S.selectedUid)
  if (!r) {
    setText(box, "no miner selected")
    return
  }
  const n = r.n
  const a = accuracyShare(n)
  const items: ReadonlyArray<readonly [string, string | number]> = [
    ["UID", n.uid],
    ["Hotkey", n.hotkey],
    ["Coldkey", n.coldkey],
    ["Stake", fixed(n.stake, 4)],
    ["Validator permit", n.permit ? "yes" : "no"],
    ["Axon", n.axon || "not serving"],
    ["Trust", fixed(n.trust, 4)],
    ["Consensus", fixed(n.consensus, 4)],
    ["Incentive", fixed(n.incentive, 4)],
    ["Dividends", fixed(n.dividends, 4)],
    ["Emission", fixed(n.emission, 6)],
    ["Last update", `block ${n.lastUpdate}`],
    ["Score (EMA)", fixed(n.score, 5)],
    ["Weight share", pct(n.weight)],
    ["Accuracy (sampled)", a === null ? NONE : `${pct(a)} of ${n.accuracy!.answered}`]
  ]
  if (box.children.length !== items.length) {
    box.textContent = ""
    for (const [label] of items) {
      const d = el("div")
      d.appendChild(el("span", "", label))
      d.appendChild(el("b"))
      box.appendChild(d)
    }
  }
  items.forEach(([label, value], i) => {
    const b = box.children[i]!.lastChild as HTMLElement
    setText(b, value)
    if (label === "Hotkey" || label === "Coldkey") {
      b.className = "mono"
      b.title = String(value)
    }
  })
}

const selectMiner = (uid: number): void => {
  if (S.selectedUid === uid) return
  S.selectedUid = uid
  const sel = minerSelect()
  if (sel.value !== String(uid)) sel.value = String(uid)
  S.rows.forEach((r) => r.tr.classList.toggle("picked", r.n.uid === uid))
  renderMinerCard()
  loadHistory().then(drawCharts).catch(offline)
}

// ---- requests ------------------------------------------------------------------------------
const consensusBars = (list: RequestLineView["consensus"]): HTMLElement => {
  const box = el("div", "cons")
  let hi = 0
  for (const c of list) if (c.score > hi) hi = c.score
  for (const c of list) {
    const b = el("span")
    b.style.height = `${Math.max(2, Math.round((hi > 0 ? c.score / hi : 0) * 18))}px`
    b.title = `${c.cid}: ${c.score.toFixed(4)}`
    box.appendChild(b)
  }
  return box
}

const renderRequests = (page: RequestsPageView): void => {
  const body = $("req-body")
  const frag = document.createDocumentFragment()
  for (const r of page.rows) {
    const tr = el("tr")
    tr.setAttribute("data-id", r.requestId)
    if (r.requestId === S.detailId) tr.className = "picked"
    tr.appendChild(el("td", "", stamp(r.createdAt)))
    tr.appendChild(el("td", "mono", r.requestId.slice(0, 8)))
    tr.appendChild(el("td", "", r.kind))
    tr.appendChild(el("td", "clip", r.prompt)).title = r.prompt
    const st = el("td")
    st.appendChild(el("span", `badge ${r.status}`, r.status))
    tr.appendChild(st)
    tr.appendChild(el("td", "num", r.nCompletions))
    tr.appendChild(el("td", "num", r.responseCount))
    const best = el("td", "clip", r.best ? r.best.text : NONE)
    if (r.best) best.title = `${r.best.cid} (${r.best.score.toFixed(4)}): ${r.best.text}`
    tr.appendChild(best)
    tr.appendChild(el("td", "num", r.best ? r.best.score.toFixed(3) : NONE))
    const cons = el("td")
    cons.appendChild(consensusBars(r.consensus))
    tr.appendChild(cons)
    tr.addEventListener("click", () => {
      S.detailId = r.requestId
      markPicked()
      loadDetail()
        .then(() => $("req-detail").scrollIntoView({ block: "nearest" }))
        .catch(offline)
    })
    frag.appendChild(tr)
  }
  body.textContent = ""
  body.appendChild(frag)
  if (!page.rows.length) {
    const e = el("tr")
    const td = el("td", "empty", "no requests yet")
    td.colSpan = 10
    e.appendChild(td)
    body.appendChild(e)
  }
  const from = page.total ? page.offset + 1 : 0
  const to = page.offset + page.rows.length
  const stored = S.overview && S.overview.stats.requests > page.total ? ` most recent (${count(S.overview.stats.requests)} stored)` : ""
  setText($("req-range"), `${from}\u2013${to} of ${count(page.total)}${stored}`)
  $<HTMLButtonElement>("req-prev").disabled = page.offset === 0
  $<HTMLButtonElement>("req-next").disabled = to >= page.total
}

const markPicked = (): void => {
  for (const tr of $("req-body").children) tr.classList.toggle("picked", tr.getAttribute("data-id") === S.detailId)
}

const renderDetail = (d: RequestDetailView): void => {
  const box = $("req-detail")
  box.hidden = false
  box.textContent = ""
  const h = el("h2", "", "Request ")
  h.appendChild(el("span", "mono", d.requestId))
  box.appendChild(h)
  box.appendChild(
    el("div", "muted", `${d.kind} \u00b7 created ${stamp(d.createdAt)} \u00b7 deadline ${stamp(d.deadlineAt)} \u00b7 ${d.scoredAt ? `scored ${stamp(d.scoredAt)}` : "pending"}`)
  )
  box.appendChild(el("div", "prompt", d.prompt))
  const grid = el("div", "grid2")
  const left = el("div")
  const right = el("div")
  left.appendChild(el("h2", "", "Completions by consensus"))
  let hi = 0
  for (const c of d.completions) if (c.consensus !== null && c.consensus > hi) hi = c.consensus
  const ranked = d.completions.slice().sort((a, b) => (b.consensus === null ? -1 : b.consensus) - (a.consensus === null ? -1 : a.consensus))
  for (const c of ranked) {
    const item = el("div", "completion")
    item.appendChild(el("div", "muted mono", `${c.cid} \u00b7 consensus ${fixed(c.consensus, 4)}`))
    const m = el("div", "meter")
    const bar = el("span")
    bar.style.width = `${hi > 0 && c.consensus !== null ? Math.max(1, (c.consensus / hi) * 100) : 0}%`
    m.appendChild(bar)
    item.appendChild(m)
    item.appendChild(el("div", "text", c.text))
    left.appendChild(item)
  }
  right.appendChild(el("h2", "", `Miner scores (${d.minerScores.length})`))
  const t = el("table")
  const tb = el("tbody")
  for (const m of d.minerScores.slice(0, 64)) {
    const tr = el("tr")
    tr.appendChild(el("td", "num", m.uid === null ? NONE : m.uid))
    tr.appendChild(el("td", "mono", short(m.hotkey))).title = m.hotkey
    tr.appendChild(el("td", "num", m.score.toFixed(4)))
    tb.appendChild(tr)
  }
  if (!d.minerScores.length) {
    const e = el("tr")
    e.appendChild(el("td", "empty", "not scored yet"))
    tb.appendChild(e)
  }
  t.appendChild(tb)
  right.appendChild(t)
  grid.appendChild(left)
  grid.appendChild(right)
  box.appendChild(grid)
}

// ---- loading -------------------------------------------------------------------------------
/** Each loader resolves to the milliseconds it spent rendering (for the benchmark's figures). */
const loadMetagraph = (flash: boolean): Promise<number> =>
  getJson<MetagraphView>("metagraph").then((mg) => {
    S.metagraph = mg
    const t = performance.now()
    renderMetagraph(mg, flash)
    return performance.now() - t
  })

const loadHistory = (): Promise<number> => {
  const q = `history?top=6&points=120${S.selectedUid !== null ? `&uids=${S.selectedUid}` : ""}`
  return getJson<HistoryView>(q).then((h) => {
    S.history = h
    return 0
  })
}

const loadRequests = (): Promise<number> =>
  getJson<RequestsPageView>(`requests?offset=${S.reqOffset}&limit=${S.reqLimit}`).then((p) => {
    S.requests = p
    const t = performance.now()
    renderRequests(p)
    return performance.now() - t
  })

const loadDetail = (): Promise<number> => {
  if (!S.detailId) return Promise.resolve(0)
  return getJson<RequestDetailView>(`requests/${encodeURIComponent(S.detailId)}`).then((d) => {
    renderDetail(d)
    return 0
  })
}

const versionsOf = (ov: OverviewView): Versions => ({
  block: ov.chain.block,
  weights: ov.lastWeights ? `${ov.lastWeights.block}:${ov.lastWeights.at}` : "",
  requests: ov.stats.requests,
  scored: ov.stats.scored,
  pending: ov.stats.pending,
  responses: ov.stats.responses,
  accuracy: ov.accuracySampledAt
})

const offline = (err: unknown): void => {
  S.failures++
  $("live-dot").className = "dot down"
  setText($("status-text"), `offline \u2014 retrying (${err instanceof Error && err.message ? err.message : String(err)})`)
}

const tick = (): Promise<void> => {
  if (S.busy) return Promise.resolve()
  S.busy = true
  const t0 = performance.now()
  return getJson<OverviewView>("overview")
    .then((ov) => {
      const first = S.versions === null
      const v = versionsOf(ov)
      const p: Partial<Versions> = S.versions ?? {}
      S.overview = ov
      S.pollMs = Math.max(500, ov.pollSeconds * 1000)
      // Pick the miner to chart before the first history request, so its series comes with it.
      const heaviest = ov.lastWeights?.shares[0]
      if (S.selectedUid === null && heaviest) S.selectedUid = heaviest.uid
      const r0 = performance.now()
      renderOverview(ov)
      let renderMs = performance.now() - r0
      const jobs: Array<Promise<number>> = []
      const graphChanged = first || v.block !== p.block || v.weights !== p.weights || v.accuracy !== p.accuracy || v.scored !== p.scored
      if (graphChanged) jobs.push(loadMetagraph(!first))
      if (first || v.weights !== p.weights || v.accuracy !== p.accuracy) jobs.push(loadHistory())
      const reqChanged = first || v.requests !== p.requests || v.scored !== p.scored || v.pending !== p.pending || v.responses !== p.responses
      if (reqChanged) jobs.push(loadRequests())
      if (!first && v.scored !== p.scored && S.detailId) jobs.push(loadDetail())
      S.versions = v
      return Promise.all(jobs).then((times) => {
        const r1 = performance.now()
        drawCharts()
        for (const x of times) renderMs += x
        renderMs += performance.now() - r1
        stats.ticks++
        if (first) {
          stats.firstRenderMs = performance.now()
          document.body.setAttribute("data-ready", "1")
        } else if (jobs.length) {
          stats.updates++
          stats.renders.push({ totalMs: performance.now() - t0, renderMs, jobs: jobs.length })
          if (stats.renders.length > 200) stats.renders.shift()
        }
        document.body.setAttribute("data-updates", String(stats.updates))
        $("live-dot").className = "dot live"
        setText($("status-text"), `live \u00b7 updated ${clock(Date.now() / 1000)}:${pad(new Date().getSeconds())}`)
      })
    })
    .catch(offline)
    .then(() => {
      S.busy = false
    })
}

const loop = (): void => {
  const run = document.hidden ? Promise.resolve() : tick()
  void run.then(() => setTimeout(loop, S.pollMs))
}

// ---- wiring --------------------------------------------------------------------------------
buildCards()
buildTable()
$<HTMLInputElement>("mg-filter").addEventListener("input", (e) => {
  S.filter = (e.target as HTMLInputElement).value
  orderRows()
})
minerSelect().addEventListener("change", (e) => selectMiner(Number((e.target as HTMLSelectElement).value)))
$("req-prev").addEventListener("click", () => {
  S.reqOffset = Math.max(0, S.reqOffset - S.reqLimit)
  loadRequests().catch(offline)
})
$("req-next").addEventListener("click", () => {
  S.reqOffset += S.reqLimit
  loadRequests().catch(offline)
})
window.addEventListener("hashchange", () => showView(location.hash.slice(1) || "overview"))
let resizeTimer: ReturnType<typeof setTimeout> | undefined
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer)
  resizeTimer = setTimeout(drawCharts, 100)
})
window.__dojoDashboardTick = tick
showView(location.hash.slice(1) || "overview")
loop()
