/**
 * The in-memory chain's epoch: a simplified Yuma consensus, enough for tests to see that incentive
 * follows the weights. Validator permits go to the top `maxAllowedValidators` hotkeys by stake (all of
 * them when there are no more neurons than that, as on chain). Incentive is the stake-weighted sum of
 * the permitted validators' normalised weight rows; dividends go to validators in proportion to stake
 * times the incentive their weights point at. No consensus clipping, bonds or trust maths.
 */

/** What the epoch reads and writes of one neuron. */
export interface EpochNeuron {
  readonly uid: number
  stakeRao: bigint
  validatorPermit: boolean
  weights: ReadonlyArray<readonly [number, number]>
  incentive: number
  dividends: number
  consensus: number
  trust: number
  validatorTrust: number
  emissionRao: bigint
}

const U16 = 65535
const toU16 = (x: number): number => Math.min(U16, Math.max(0, Math.floor(x * U16)))

/**
 * Runs one epoch over the neurons in place. `emissionRao` is what the subnet emits this epoch; 18% goes
 * to the owner (not modelled), the rest half to miners by incentive and half to validators by dividends.
 * Figures are stored as u16 like the chain does.
 */
export const runEpoch = (neurons: Array<EpochNeuron>, maxAllowedValidators: number, emissionRao: bigint): void => {
  const n = neurons.length
  if (n === 0) return
  const byStake = [...neurons].sort((a, b) => (b.stakeRao > a.stakeRao ? 1 : b.stakeRao < a.stakeRao ? -1 : a.uid - b.uid))
  const permitted = new Set(byStake.slice(0, Math.min(n, maxAllowedValidators)).map((x) => x.uid))
  for (const x of neurons) x.validatorPermit = permitted.has(x.uid)

  const validators = neurons.filter((x) => x.validatorPermit)
  const totalStake = validators.reduce((acc, x) => acc + Number(x.stakeRao), 0)
  const stakeShare = (x: EpochNeuron) =>
    totalStake > 0 ? Number(x.stakeRao) / totalStake : validators.length > 0 ? 1 / validators.length : 0

  const rank = new Map<number, number>()
  const rows = new Map<number, ReadonlyArray<readonly [number, number]>>()
  for (const v of validators) {
    const sum = v.weights.reduce((acc, [, w]) => acc + w, 0)
    if (sum === 0) continue
    const row = v.weights.map(([uid, w]) => [uid, w / sum] as const)
    rows.set(v.uid, row)
    for (const [uid, w] of row) rank.set(uid, (rank.get(uid) ?? 0) + stakeShare(v) * w)
  }
  const rankSum = [...rank.values()].reduce((a, b) => a + b, 0)
  const incentive = (uid: number) => (rankSum > 0 ? (rank.get(uid) ?? 0) / rankSum : 0)

  const bond = new Map<number, number>()
  for (const v of validators) {
    const row = rows.get(v.uid) ?? []
    bond.set(v.uid, stakeShare(v) * row.reduce((acc, [uid, w]) => acc + w * incentive(uid), 0))
  }
  const bondSum = [...bond.values()].reduce((a, b) => a + b, 0)
  const dividends = (uid: number) => (bondSum > 0 ? (bond.get(uid) ?? 0) / bondSum : 0)

  const distributable = (emissionRao * 82n) / 100n
  for (const x of neurons) {
    const i = incentive(x.uid)
    const d = dividends(x.uid)
    x.incentive = toU16(i)
    x.consensus = toU16(i)
    x.trust = rank.has(x.uid) ? U16 : 0
    x.dividends = toU16(d)
    x.validatorTrust = rows.has(x.uid) ? U16 : 0
    const share = (i + d) / 2
    x.emissionRao = BigInt(Math.floor(Number(distributable) * share))
    x.stakeRao += x.emissionRao
  }
}
