/**
 * The one retry schedule of the outboxes (the validator's results, the miner's human feedback): each
 * wait is the previous one times `factor`, from `baseSeconds`, capped at `maxSeconds`. Each caller keeps
 * its own numbers.
 */

/** How a backoff grows. */
export interface Backoff {
  readonly baseSeconds: number
  readonly factor: number
  readonly maxSeconds: number
}

/** Seconds to wait before retry number `retry` (0 for the first retry): base·factor^retry, capped. */
export const backoffSeconds = (retry: number, backoff: Backoff): number =>
  // The exponent is bounded so a long-failing row cannot overflow to Infinity before the cap applies.
  Math.min(backoff.maxSeconds, backoff.baseSeconds * backoff.factor ** Math.min(Math.max(0, retry), 30))
