/** DOM helpers of the dashboard page: every value reaches the page as text, never as HTML. */

/** The element with `id`; a missing one is a bug in the page, so it throws. */
export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const node = document.getElementById(id)
  if (node === null) throw new Error(`dashboard: no #${id} in the page`)
  return node as T
}

/** A new element with an optional class and text. */
export const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: unknown): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag)
  if (cls) e.className = cls
  if (text !== undefined && text !== null) e.textContent = String(text)
  return e
}

/** Sets a node's text only when it changes (no needless layout). */
export const setText = (node: Node, text: unknown): void => {
  const s = String(text)
  if (node.textContent !== s) node.textContent = s
}
