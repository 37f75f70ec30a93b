/**
 * The subnet epoch schedule of today's subtensor (`coinbase/run_coinbase.rs`, `subnets/weights.rs`) and
 * the drand round a timelocked commit targets, as the reference client computes it (bittensor-drand 2.x
 * `generate_commit_v2` / `predict_first_reveal_block`, which the SDK 10.x calls).
 *
 * An epoch fires in a block when tempo > 0 and a pending owner-triggered epoch is due, or more than
 * `MAX_TEMPO` blocks passed since the last step, or `block − LastEpochBlock ≥ tempo`. Firing sets
 * `LastEpochBlock`, clears `PendingEpochAt`, resets `BlocksSinceLastStep` and increments
 * `SubnetEpochIndex`. A block first reveals due commits (seeing the epoch "with lookahead": +1 when it
 * fires in this block), then runs the coinbase, then the extrinsics.
 */

/** Upper bound of an owner-set tempo (≈ 7 days of 12 s blocks). */
export const MAX_TEMPO = 50_400

/** The commit lands in the block after the head the client read. */
export const COMMIT_INCLUSION_BLOCK_OFFSET = 1

/** Extra blocks so that the targeted drand pulse is already on chain when the reveal runs. */
export const SECURITY_BLOCK_OFFSET = 3

/** The chain's epoch storage of one subnet at a block (SDK `EpochScheduleState`). */
export interface EpochScheduleState {
  readonly lastEpochBlock: number
  /** Block of an owner-triggered epoch; 0 = none. */
  readonly pendingEpochAt: number
  readonly subnetEpochIndex: number
  readonly tempo: number
  readonly blocksSinceLastStep: number
  /** The block the other fields were read at. */
  readonly currentBlock: number
}

/** Whether an epoch fires in `block` given the state before that block's coinbase. */
export const shouldRunEpoch = (s: EpochScheduleState, block: number): boolean => {
  if (s.tempo === 0) return false
  if (s.pendingEpochAt > 0 && block >= s.pendingEpochAt) return true
  if (s.blocksSinceLastStep > MAX_TEMPO) return true
  return Math.max(0, block - s.lastEpochBlock) >= s.tempo
}

/** `current_epoch_with_lookahead`: the epoch index a commit or reveal in `block` is judged by. */
export const epochWithLookahead = (s: EpochScheduleState, block: number): number =>
  shouldRunEpoch(s, block) ? s.subnetEpochIndex + 1 : s.subnetEpochIndex

/** The state after `block`'s coinbase (one step of the chain's epoch bookkeeping). */
export const stepEpoch = (s: EpochScheduleState, block: number): EpochScheduleState => {
  const next = { ...s, blocksSinceLastStep: s.blocksSinceLastStep + 1, currentBlock: block }
  if (!shouldRunEpoch(next, block)) return next
  return { ...next, lastEpochBlock: block, pendingEpochAt: 0, subnetEpochIndex: s.subnetEpochIndex + 1, blocksSinceLastStep: 0 }
}

/** The reveal block cannot be predicted: tempo 0 (no epochs) or beyond the simulation bound. */
export class RevealScheduleError extends Error {
  override readonly name = "RevealScheduleError"
}

/**
 * The first block after `from` (inclusive) whose lookahead epoch is `targetEpoch`, simulating the epoch
 * bookkeeping from `state` (the state before `from`'s coinbase). Owner-triggered epochs not yet pending
 * cannot be foreseen.
 */
export const firstBlockOfEpoch = (state: EpochScheduleState, from: number, targetEpoch: number, maxBlocks: number): number => {
  if (state.tempo === 0) throw new RevealScheduleError("tempo is 0: the subnet runs no epochs, so nothing is ever revealed")
  let s = state
  for (let r = from; r <= from + maxBlocks; r++) {
    if (epochWithLookahead(s, r) === targetEpoch) return r
    s = stepEpoch(s, r)
  }
  throw new RevealScheduleError(`epoch ${targetEpoch} does not start within ${maxBlocks} blocks`)
}

/** The first block in which the chain reveals a commit sent against `head` (landing in the next block). */
export const predictFirstRevealBlock = (head: EpochScheduleState, revealPeriodEpochs: number): number => {
  if (head.tempo === 0) throw new RevealScheduleError("tempo is 0: the subnet runs no epochs, so nothing is ever revealed")
  const extrinsicBlock = head.currentBlock + COMMIT_INCLUSION_BLOCK_OFFSET
  let state = head
  for (let b = head.currentBlock + 1; b < extrinsicBlock; b++) state = stepEpoch(state, b)
  const target = epochWithLookahead(state, extrinsicBlock) + revealPeriodEpochs
  return firstBlockOfEpoch(state, extrinsicBlock, target, revealPeriodEpochs * MAX_TEMPO + MAX_TEMPO)
}

/** drand quicknet timing. */
export interface DrandTiming {
  readonly genesisTime: number
  readonly periodSeconds: number
}

/**
 * The drand round to encrypt to: the round current `blockSeconds` × (blocks until the reveal block + 3)
 * after `nowSeconds` (at least 1).
 */
export const timelockRevealRound = (
  head: EpochScheduleState,
  revealPeriodEpochs: number,
  blockSeconds: number,
  nowSeconds: number,
  drand: DrandTiming
): number => {
  const ingest = predictFirstRevealBlock(head, revealPeriodEpochs) + SECURITY_BLOCK_OFFSET
  const target = nowSeconds + Math.max(0, ingest - head.currentBlock) * blockSeconds
  return Math.max(1, Math.floor((target - drand.genesisTime) / drand.periodSeconds))
}
