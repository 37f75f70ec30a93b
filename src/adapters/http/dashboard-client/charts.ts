/** The dashboard's small canvas plots: line charts over time, a bar chart, and their legends. */
import { clock, day } from "./format.ts"
import { el } from "./dom.ts"

/** One line of a line chart. */
export interface Series {
  readonly label: string
  readonly color: string
  readonly bold: boolean
  readonly values: ReadonlyArray<number | null>
}

export interface LineOptions {
  readonly min?: number
  readonly max?: number
  readonly fmt: (v: number) => string
  /** Draw the series that are not bold a little transparent. */
  readonly dim?: boolean
  /** Join points across missing values. */
  readonly spanGaps?: boolean
}

interface Surface {
  readonly ctx: CanvasRenderingContext2D
  readonly w: number
  readonly h: number
}

// Plot margins (CSS pixels): left (y labels), right, top, bottom (x labels).
const L = 46
const R = 10
const T = 8
const B = 22

/** A cleared 2D context sized to the canvas's CSS box at the device's pixel ratio; null while hidden. */
const canvasCtx = (c: HTMLCanvasElement): Surface | null => {
  const r = c.getBoundingClientRect()
  if (r.width < 10 || r.height < 10) return null
  const dpr = window.devicePixelRatio || 1
  const w = Math.round(r.width * dpr)
  const h = Math.round(r.height * dpr)
  if (c.width !== w) c.width = w
  if (c.height !== h) c.height = h
  const ctx = c.getContext("2d")
  if (ctx === null) return null
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
  ctx.clearRect(0, 0, r.width, r.height)
  ctx.font = "11px system-ui, sans-serif"
  return { ctx, w: r.width, h: r.height }
}

const emptyNote = (g: Surface, text: string): void => {
  g.ctx.fillStyle = "#8d98a8"
  g.ctx.textAlign = "center"
  g.ctx.fillText(text, g.w / 2, g.h / 2)
}

/** Series over `times` (unix seconds), y range from the options or the data, time ticks below. */
export const lineChart = (canvas: HTMLCanvasElement, times: ReadonlyArray<number>, series: ReadonlyArray<Series>, opt: LineOptions): void => {
  const g = canvasCtx(canvas)
  if (!g) return
  const ctx = g.ctx
  const W = g.w - L - R
  const H = g.h - T - B
  let lo = opt.min
  let hi = opt.max
  if (lo === undefined || hi === undefined) {
    let a = Infinity
    let b = -Infinity
    for (const s of series) {
      for (const v of s.values) {
        if (v !== null) {
          if (v < a) a = v
          if (v > b) b = v
        }
      }
    }
    if (a === Infinity) {
      a = 0
      b = 1
    }
    if (a === b) {
      a -= 0.5
      b += 0.5
    }
    const padY = (b - a) * 0.08
    lo = lo === undefined ? a - padY : lo
    hi = hi === undefined ? b + padY : hi
  }
  const low = lo
  const high = hi
  ctx.strokeStyle = "#283141"
  ctx.fillStyle = "#8d98a8"
  ctx.lineWidth = 1
  ctx.textAlign = "right"
  ctx.textBaseline = "middle"
  for (let k = 0; k <= 4; k++) {
    const yv = low + ((high - low) * k) / 4
    const yy = T + H - (H * k) / 4
    ctx.beginPath()
    ctx.moveTo(L, Math.round(yy) + 0.5)
    ctx.lineTo(L + W, Math.round(yy) + 0.5)
    ctx.stroke()
    ctx.fillText(opt.fmt(yv), L - 6, yy)
  }
  const t0 = times[0]
  const t1 = times[times.length - 1]
  if (t0 === undefined || t1 === undefined) {
    emptyNote(g, "no data yet")
    return
  }
  const span = t1 - t0
  const X = (i: number) => (times.length === 1 ? L + W / 2 : L + (((times[i] ?? t0) - t0) / (span || 1)) * W)
  const Y = (v: number) => T + H - ((v - low) / (high - low || 1)) * H
  ctx.textAlign = "center"
  ctx.textBaseline = "top"
  const ticks = Math.min(5, times.length)
  for (let q = 0; q < ticks; q++) {
    const tt = ticks === 1 ? t0 : t0 + (span * q) / (ticks - 1)
    const xx = times.length === 1 ? L + W / 2 : L + (W * q) / Math.max(1, ticks - 1)
    ctx.fillText(span > 86400 ? `${day(tt)} ${clock(tt)}` : clock(tt), Math.min(Math.max(xx, L + 24), L + W - 24), T + H + 6)
  }
  for (const s of series.slice().reverse()) {
    ctx.strokeStyle = s.color
    ctx.fillStyle = s.color
    ctx.lineWidth = s.bold ? 2.6 : 1.4
    ctx.globalAlpha = s.bold || !opt.dim ? 1 : 0.75
    ctx.beginPath()
    let pen = false
    const lone: Array<readonly [number, number]> = []
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i] ?? null
      if (v === null) {
        if (!opt.spanGaps) pen = false
        continue
      }
      const px = X(i)
      const py = Y(v)
      const prev = i > 0 ? (s.values[i - 1] ?? null) : null
      const next = i + 1 < s.values.length ? (s.values[i + 1] ?? null) : null
      // A point with no line through it is drawn as a dot.
      if (!pen && next === null && (prev === null || opt.spanGaps)) lone.push([px, py])
      if (pen) ctx.lineTo(px, py)
      else ctx.moveTo(px, py)
      pen = true
    }
    ctx.stroke()
    for (const [x, y] of lone) {
      ctx.beginPath()
      ctx.arc(x, y, 2.5, 0, Math.PI * 2)
      ctx.fill()
    }
    ctx.globalAlpha = 1
  }
}

/** One bar per value, scaled to the largest, with every few labels below. */
export const barChart = (
  canvas: HTMLCanvasElement,
  values: ReadonlyArray<{ readonly label: number | string; readonly value: number }>,
  opt: { readonly fmt: (v: number) => string }
): void => {
  const g = canvasCtx(canvas)
  if (!g) return
  const ctx = g.ctx
  const W = g.w - L - R
  const H = g.h - T - B
  let hi = 0
  for (const v of values) if (v.value > hi) hi = v.value
  ctx.strokeStyle = "#283141"
  ctx.fillStyle = "#8d98a8"
  ctx.textAlign = "right"
  ctx.textBaseline = "middle"
  for (let k = 0; k <= 2; k++) {
    const yy = T + H - (H * k) / 2
    ctx.beginPath()
    ctx.moveTo(L, Math.round(yy) + 0.5)
    ctx.lineTo(L + W, Math.round(yy) + 0.5)
    ctx.stroke()
    ctx.fillText(opt.fmt((hi * k) / 2), L - 6, yy)
  }
  if (!values.length || hi <= 0) {
    emptyNote(g, "no weights set yet")
    return
  }
  const bw = W / values.length
  ctx.fillStyle = "#4f9dff"
  values.forEach((v, i) => {
    const h = (v.value / hi) * H
    ctx.fillRect(L + i * bw + (bw > 3 ? 0.5 : 0), T + H - h, Math.max(1, bw - (bw > 3 ? 1 : 0)), h)
  })
  ctx.fillStyle = "#8d98a8"
  ctx.textAlign = "center"
  ctx.textBaseline = "top"
  const step = Math.max(1, Math.ceil(28 / bw))
  for (let i = 0; i < values.length; i += step) ctx.fillText(String(values[i]?.label), L + (i + 0.5) * bw, T + H + 6)
}

/** The colour swatches and labels under a chart (rebuilt only when they change). */
export const legend = (node: HTMLElement, series: ReadonlyArray<Series>): void => {
  const sig = series.map((s) => s.label + s.color).join("|")
  if (node.getAttribute("data-sig") === sig) return
  node.setAttribute("data-sig", sig)
  node.textContent = ""
  for (const s of series) {
    const item = el("span", s.bold ? "" : "muted")
    const sw = el("i")
    sw.style.background = s.color
    item.appendChild(sw)
    item.appendChild(document.createTextNode(s.label))
    node.appendChild(item)
  }
}
