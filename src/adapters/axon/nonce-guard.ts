/**
 * Replay protection for one axon: per (hotkey, uuid) the nonce must strictly increase, and a session's
 * first nonce must be within `4 s + timeout` of our clock (SDK ≥7.4 rule, applied whatever version the
 * caller claims, since the version header is not signed). Unlike the SDK's table this one is bounded:
 * an entry whose nonce has left the widest window is dropped, which is safe because any replay of it
 * would now fail the window check.
 */

const NS_PER_S = 1_000_000_000n
/** The SDK's fixed slack on top of the timeout. */
export const NONCE_SLACK_NS = 4n * NS_PER_S

const secondsNs = (s: number): bigint => BigInt(Math.round(s * 1e9))

const fmt = (ns: bigint): string => (Number(ns) / 1e9).toFixed(2)

/** A mutable nonce table. Calls are synchronous, so check-and-record cannot interleave with another request. */
export class NonceGuard {
  private readonly last = new Map<string, bigint>()
  private lastSweepNs = 0n
  private readonly maxWindowNs: bigint

  constructor(
    /** The largest timeout (s) a window may use, whatever the caller claims; bounds the table's memory. */
    private readonly maxTimeoutSeconds: number,
    /** Sessions tracked at once; beyond it new sessions are refused until old ones expire. */
    private readonly maxEntries = 1_000_000
  ) {
    this.maxWindowNs = NONCE_SLACK_NS + secondsNs(maxTimeoutSeconds)
  }

  /** Why this nonce must be refused, or undefined when it is acceptable (nothing is recorded). */
  refusal(hotkey: string, uuid: string, nonce: bigint, nowNs: bigint, timeoutSeconds: number): string | undefined {
    const windowNs = NONCE_SLACK_NS + secondsNs(Math.max(0, Math.min(timeoutSeconds, this.maxTimeoutSeconds)))
    const previous = this.last.get(`${hotkey}:${uuid}`)
    if (previous !== undefined) {
      return nonce <= previous ? "Nonce is too old, a newer one was last processed" : undefined
    }
    if (nonce <= nowNs - windowNs)
      return `Nonce is too old: acceptable delta is ${fmt(windowNs)} seconds but request was ${fmt(nowNs - nonce)} seconds old`
    // The SDK accepts any future nonce; we bound it by the same window so a table entry always expires.
    if (nonce > nowNs + windowNs)
      return `Nonce is from the future: acceptable delta is ${fmt(windowNs)} seconds but request was ${fmt(nonce - nowNs)} seconds ahead`
    if (this.last.size >= this.maxEntries) {
      this.sweep(nowNs, true)
      if (this.last.size >= this.maxEntries) return "Too many dendrite sessions; try again later"
    }
    return undefined
  }

  /** Records an accepted nonce and drops expired sessions now and then. */
  record(hotkey: string, uuid: string, nonce: bigint, nowNs: bigint): void {
    this.last.set(`${hotkey}:${uuid}`, nonce)
    this.sweep(nowNs, false)
  }

  /** Sessions currently tracked. */
  get size(): number {
    return this.last.size
  }

  private sweep(nowNs: bigint, force: boolean): void {
    if (!force && nowNs - this.lastSweepNs < NS_PER_S) return
    this.lastSweepNs = nowNs
    // A nonce at or below now − (widest window) fails every future window check, so forgetting it is safe.
    const horizon = nowNs - this.maxWindowNs
    for (const [key, nonce] of this.last) if (nonce <= horizon) this.last.delete(key)
  }
}
