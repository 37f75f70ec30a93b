/** How the dashboard writes numbers, sizes and times ("—" for a missing value). */

const NONE = "\u2014"

type Maybe = number | null | undefined

/** `x` with `d` decimals. */
export const fixed = (x: Maybe, d: number): string => (x === null || x === undefined ? NONE : Number(x).toFixed(d))

/** A share as a percentage with one decimal. */
export const pct = (x: Maybe): string => (x === null || x === undefined ? NONE : `${(x * 100).toFixed(1)}%`)

/** An amount with two decimals and thousands separators. */
export const money = (x: Maybe): string =>
  x === null || x === undefined ? NONE : Number(x).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })

/** A count with thousands separators. */
export const count = (n: Maybe): string => (n === null || n === undefined ? NONE : Number(n).toLocaleString("en-US"))

/** A byte size in B, KiB, MiB or GiB. */
export const bytes = (n: number): string => {
  if (n < 1024) return `${n} B`
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1073741824) return `${(n / 1048576).toFixed(1)} MiB`
  return `${(n / 1073741824).toFixed(2)} GiB`
}

/** How long ago unix time `t` was. */
export const ago = (t: number): string => {
  const s = Date.now() / 1000 - t
  if (s < 60) return `${Math.max(0, Math.round(s))} s ago`
  if (s < 3600) return `${Math.round(s / 60)} min ago`
  if (s < 86400) return `${(s / 3600).toFixed(1)} h ago`
  return `${(s / 86400).toFixed(1)} d ago`
}

/** Two digits. */
export const pad = (n: number): string => (n < 10 ? `0${n}` : String(n))

/** `hh:mm` of unix time `t` (local time). */
export const clock = (t: number): string => {
  const d = new Date(t * 1000)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** `MM-DD` of unix time `t`. */
export const day = (t: number): string => {
  const d = new Date(t * 1000)
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

/** `MM-DD hh:mm:ss` of unix time `t`. */
export const stamp = (t: number): string => `${day(t)} ${clock(t)}:${pad(new Date(t * 1000).getSeconds())}`
