/**
 * Timelocked weights commit: sealing a 256-uid `WeightsTlockPayload` to a drand round (one G2 scalar
 * multiplication, one pairing, AES-GCM) and opening it with the round's signature (two pairings'
 * worth: one pairing plus the G2 check), and the reveal-round simulation over a 360-block epoch.
 */
import { timelockRevealRound } from "../src/domain/chain/epoch-schedule.ts"
import { QUICKNET, timelockOpen, timelockSeal } from "../src/domain/chain/timelock.ts"
import { encodeWeightsTlockPayload } from "../src/domain/chain/weights-tlock-payload.ts"

const ROUND_1000_SIGNATURE =
  "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39"
const payload = encodeWeightsTlockPayload({
  hotkey: new Uint8Array(32).fill(1),
  uids: Array.from({ length: 256 }, (_, i) => i),
  values: Array.from({ length: 256 }, (_, i) => (i * 257) % 65536),
  versionKey: 9_012_002n
})
const random = () => ({
  sigma: crypto.getRandomValues(new Uint8Array(32)),
  esk: crypto.getRandomValues(new Uint8Array(32)),
  nonce: crypto.getRandomValues(new Uint8Array(12))
})

const time = (name: string, n: number, f: () => unknown) => {
  f() // warm-up (precomputed tables)
  const started = performance.now()
  for (let i = 0; i < n; i++) f()
  const ms = (performance.now() - started) / n
  console.log(`${name}: ${ms.toFixed(2)} ms per op (${n} ops)`)
}

let sealed = timelockSeal(payload, 1000, random())
time("seal 256-uid payload", 20, () => (sealed = timelockSeal(payload, 1000, random())))
time("open with the round signature", 20, () => timelockOpen(sealed, ROUND_1000_SIGNATURE))
const state = { lastEpochBlock: 8_596_445, pendingEpochAt: 0, subnetEpochIndex: 23_859, tempo: 360, blocksSinceLastStep: 263, currentBlock: 8_596_708 }
time("reveal round, tempo 360, period 1", 1000, () => timelockRevealRound(state, 1, 12, 1_800_000_000, QUICKNET))
console.log(`commit size for 256 uids: ${sealed.length} bytes (chain limit 5000)`)
