/**
 * How the remote scorers retry a transient upstream failure (429, 503, timeouts): exponential backoff
 * with jitter, each delay capped, a bounded number of retries. Shared so every scorer backs off alike.
 */
import { Duration, Schedule } from "effect"

/** Backoff settings for one upstream call. */
export interface RetryPolicy {
  /** First delay before jitter (default 250 ms). */
  readonly baseDelay: Duration.DurationInput
  /** No single delay is longer than this (default 8 s). */
  readonly maxDelay: Duration.DurationInput
  /** Retries after the first attempt (default 4). */
  readonly maxRetries: number
}

/** The defaults: 250 ms, doubling, jittered, capped at 8 s, 4 retries (worst case ≈ 12 s of waiting). */
export const defaultRetryPolicy: RetryPolicy = { baseDelay: "250 millis", maxDelay: "8 seconds", maxRetries: 4 }

/** The schedule for a policy: exponential × jitter (0.8–1.2), each delay capped, `maxRetries` recurrences. */
export const retrySchedule = (policy: RetryPolicy): Schedule.Schedule<unknown> => {
  const cap = Duration.decode(policy.maxDelay)
  return Schedule.exponential(policy.baseDelay).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((delay) => Duration.min(delay, cap)),
    Schedule.intersect(Schedule.recurs(policy.maxRetries))
  )
}
