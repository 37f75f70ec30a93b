/**
 * Validator scores per uid: an exponential moving average of per-request rewards, one step per scored
 * request (weights.ts turns them into weights).
 */

/** A uid's running score, remembered with the hotkey that earned it. */
export interface UidScore {
  readonly uid: number
  readonly hotkey: string
  readonly score: number
}

/** The original's `--neuron.moving_average_alpha` default. */
export const defaultAlpha = 0.3

/** The score `held` for a uid that now belongs to `hotkey`: 0 when the uid is new or changed hands (deregistered and replaced). */
export const scoreFor = (held: UidScore | undefined, hotkey: string): number => (held !== undefined && held.hotkey === hotkey ? held.score : 0)

/**
 * One EMA step for one scored request: for every current neuron, α·reward + (1−α)·old, where the reward
 * is 0 for a hotkey that did not take part (so non-participants decay, as in the original) and old is 0
 * when the uid is new or now belongs to another hotkey (deregistered and replaced).
 * Throws a RangeError for α outside [0, 1].
 */
export const updateScores = (input: {
  readonly previous: ReadonlyArray<UidScore>
  readonly neurons: ReadonlyArray<{ readonly uid: number; readonly hotkey: string }>
  readonly rewards: ReadonlyMap<string, number>
  readonly alpha?: number
}): Array<UidScore> => {
  const alpha = input.alpha ?? defaultAlpha
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`updateScores: alpha must be in [0, 1], got ${alpha}`)
  const previous = new Map(input.previous.map((p) => [p.uid, p]))
  return input.neurons.map(({ uid, hotkey }) => {
    const old = scoreFor(previous.get(uid), hotkey)
    const reward = input.rewards.get(hotkey) ?? 0
    const mixed = alpha * reward + (1 - alpha) * old
    // A convex mix lies between its ends; keep rounding from stepping outside.
    const score = Math.min(Math.max(mixed, Math.min(old, reward)), Math.max(old, reward))
    return { uid, hotkey, score }
  })
}
