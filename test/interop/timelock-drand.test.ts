/**
 * Our timelock code against bittensor-drand 2.0.0 (the Rust client the Python SDK commits with):
 * - a ciphertext we make for quicknet round 1000 opens with its `decrypt_with_signature` and drand's
 *   published signature, to our exact SCALE payload;
 * - ciphertexts it makes (`encrypt_at_round`) open with our decryption;
 * - its on-chain commit (`get_encrypted_commit_v2`) has our byte layout and the reveal round we compute,
 *   for a table of epoch states (bracketed by the wall clock before and after its call).
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test"
import { type EpochScheduleState, predictFirstRevealBlock, timelockRevealRound } from "../../src/domain/chain/epoch-schedule.ts"
import { QUICKNET, beaconPublicKey, deserializeTimelock, signRound, timelockOpen, timelockSeal } from "../../src/domain/chain/timelock.ts"
import { decodeWeightsTlockPayload, encodeWeightsTlockPayload } from "../../src/domain/chain/weights-tlock-payload.ts"
import { pythonEnv, peerResult, runPython } from "../support/python-env.ts"

setDefaultTimeout(60_000)

const ROUND_1000_SIGNATURE =
  "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39"
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")
const unhex = (s: string) => new Uint8Array(Buffer.from(s, "hex"))
const random = () => ({
  sigma: crypto.getRandomValues(new Uint8Array(32)),
  esk: crypto.getRandomValues(new Uint8Array(32)),
  nonce: crypto.getRandomValues(new Uint8Array(12))
})

const reference = async (ops: ReadonlyArray<Record<string, unknown>>): Promise<Array<Record<string, unknown>>> => {
  const env = await pythonEnv("sdk10")
  const run = await runPython(env, ["timelock_reference.py"], { stdin: JSON.stringify(ops) })
  return peerResult<Array<Record<string, unknown>>>(run, "timelock_reference.py")
}

describe("timelock against bittensor-drand 2.0.0", () => {
  test("our ciphertexts open with decrypt_with_signature to our exact payload (quicknet round 1000, and our own beacon)", async () => {
    const payloads = [
      { hotkey: unhex("d4".repeat(32)), uids: [0, 1, 2, 255], values: [65535, 100, 0, 7], versionKey: 9_012_002n },
      { hotkey: unhex("00".repeat(32)), uids: [], values: [], versionKey: 0n },
      { hotkey: unhex("ab".repeat(32)), uids: Array.from({ length: 256 }, (_, i) => i), values: Array.from({ length: 256 }, (_, i) => i * 200), versionKey: (1n << 64n) - 1n }
    ]
    const beacon = new Uint8Array(32).fill(42)
    const ops = [
      ...payloads.map((p) => ({ op: "decrypt", ciphertext: hex(timelockSeal(encodeWeightsTlockPayload(p), 1000, random())), round: 1000, signature: ROUND_1000_SIGNATURE })),
      // decrypt_with_signature does not check the beacon key, so rounds without a public quicknet signature are covered by our own key.
      ...[1, 123_456, 25_000_000].map((round) => ({
        op: "decrypt",
        ciphertext: hex(timelockSeal(encodeWeightsTlockPayload(payloads[0]!), round, random(), beaconPublicKey(beacon))),
        round,
        signature: hex(signRound(beacon, round))
      }))
    ]
    const out = await reference(ops)
    payloads.forEach((p, i) => expect(out[i]).toEqual({ plaintext: hex(encodeWeightsTlockPayload(p)) }))
    for (let i = 3; i < 6; i++) expect(out[i]).toEqual({ plaintext: hex(encodeWeightsTlockPayload(payloads[0]!)) })
    // And its decryption refuses a wrong signature rather than returning garbage.
    const [wrong] = await reference([{ ...ops[0], signature: hex(signRound(beacon, 1000)) }])
    expect(String(wrong?.["error"])).toMatch(/decrypt|signature/i)
  })

  test("its encrypt_at_round ciphertexts open with ours", async () => {
    const messages = ["", "00", encodeWeightsTlockPayload({ hotkey: unhex("11".repeat(32)), uids: [3, 4], values: [1, 2], versionKey: 5n })].map((m) =>
      typeof m === "string" ? m : hex(m)
    )
    const out = await reference(messages.map((data) => ({ op: "encrypt_at_round", data, round: 1000 })))
    out.forEach((o, i) => {
      expect(o["round"]).toBe(1000)
      expect(hex(timelockOpen(unhex(String(o["ciphertext"])), ROUND_1000_SIGNATURE))).toBe(messages[i]!)
    })
  })

  const table: ReadonlyArray<{ name: string; state: EpochScheduleState; period: number; blockTime: number }> = [
    { name: "mid-epoch, tempo 360", state: { lastEpochBlock: 8_596_445, pendingEpochAt: 0, subnetEpochIndex: 23_859, tempo: 360, blocksSinceLastStep: 263, currentBlock: 8_596_708 }, period: 1, blockTime: 12 },
    { name: "the epoch fires in the commit's block", state: { lastEpochBlock: 1000, pendingEpochAt: 0, subnetEpochIndex: 10, tempo: 100, blocksSinceLastStep: 99, currentBlock: 1099 }, period: 1, blockTime: 12 },
    { name: "just after an epoch, period 3", state: { lastEpochBlock: 5000, pendingEpochAt: 0, subnetEpochIndex: 50, tempo: 99, blocksSinceLastStep: 0, currentBlock: 5000 }, period: 3, blockTime: 12 },
    { name: "owner-triggered pending epoch", state: { lastEpochBlock: 2000, pendingEpochAt: 2010, subnetEpochIndex: 7, tempo: 360, blocksSinceLastStep: 5, currentBlock: 2005 }, period: 2, blockTime: 12 },
    { name: "more than MAX_TEMPO since the last step", state: { lastEpochBlock: 10, pendingEpochAt: 0, subnetEpochIndex: 1, tempo: 360, blocksSinceLastStep: 50_401, currentBlock: 50_411 }, period: 1, blockTime: 12 },
    { name: "tempo 10, period 0", state: { lastEpochBlock: 300, pendingEpochAt: 0, subnetEpochIndex: 30, tempo: 10, blocksSinceLastStep: 4, currentBlock: 304 }, period: 0, blockTime: 12 },
    { name: "6 s blocks", state: { lastEpochBlock: 700, pendingEpochAt: 0, subnetEpochIndex: 3, tempo: 50, blocksSinceLastStep: 20, currentBlock: 720 }, period: 4, blockTime: 6 }
  ]

  test("get_encrypted_commit_v2: our layout and our reveal round, on a table of epoch states", async () => {
    const hotkey = "5a".repeat(32)
    const out = await reference(
      table.map(({ state, period, blockTime }) => ({
        op: "commit_v2",
        uids: [0, 5],
        weights: [65535, 1234],
        version_key: 42,
        last_epoch_block: state.lastEpochBlock,
        pending_epoch_at: state.pendingEpochAt,
        subnet_epoch_index: state.subnetEpochIndex,
        tempo: state.tempo,
        blocks_since_last_step: state.blocksSinceLastStep,
        current_block: state.currentBlock,
        subnet_reveal_period_epochs: period,
        block_time: blockTime,
        hotkey
      }))
    )
    table.forEach(({ name, state, period, blockTime }, i) => {
      const o = out[i]!
      const round = Number(o["round"])
      const low = timelockRevealRound(state, period, blockTime, Number(o["before"]), QUICKNET)
      const high = timelockRevealRound(state, period, blockTime, Number(o["after"]), QUICKNET)
      // 12 s blocks move the round by 4 per block, so the bracket pins the predicted reveal block exactly.
      expect({ name, round, inBracket: round >= low && round <= high }).toEqual({ name, round, inBracket: true })
      expect(high - low).toBeLessThanOrEqual(1)
      // The commit: a TLECiphertext whose body is AES-GCM over our payload's length.
      const c = deserializeTimelock(unhex(String(o["commit"])))
      const payloadLength = encodeWeightsTlockPayload({ hotkey: unhex(hotkey), uids: [0, 5], values: [65535, 1234], versionKey: 42n }).length
      expect({ name, body: c.body.ciphertext.length, nonce: c.body.nonce.length, v: c.v.length, w: c.w.length }).toEqual({
        name, body: payloadLength + 16, nonce: 12, v: 32, w: 32
      })
      expect(predictFirstRevealBlock(state, period)).toBeGreaterThan(state.currentBlock)
    })
  })

  test("a ciphertext for round 1000 from get_encrypted_commit_v2's own path is the same format we decode (payload round trip)", async () => {
    // The v2 commit targets a future round (no signature yet); encrypt_at_round(payload, 1000) is the same
    // encrypt_and_compress it calls, so our decryption of that recovers the payload the chain would decode.
    const p = { hotkey: unhex("77".repeat(32)), uids: [9, 8, 7], values: [1, 2, 3], versionKey: 1n }
    const [o] = await reference([{ op: "encrypt_at_round", data: hex(encodeWeightsTlockPayload(p)), round: 1000 }])
    expect(decodeWeightsTlockPayload(timelockOpen(unhex(String(o?.["ciphertext"])), ROUND_1000_SIGNATURE))).toEqual(p)
  })
})
