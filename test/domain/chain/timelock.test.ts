/** Timelock encryption, the weights payload and the epoch schedule: round trips and invariants. */
import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import {
  epochWithLookahead,
  predictFirstRevealBlock,
  stepEpoch,
  type EpochScheduleState
} from "../../../src/domain/chain/epoch-schedule.ts"
import {
  QUICKNET,
  beaconPublicKey,
  deserializeTimelock,
  serializeTimelock,
  signRound,
  timelockEncrypt,
  timelockOpen,
  timelockSeal,
  verifyRound
} from "../../../src/domain/chain/timelock.ts"
import { decodeWeightsTlockPayload, encodeWeightsTlockPayload } from "../../../src/domain/chain/weights-tlock-payload.ts"

/** drand quicknet's published signature of round 1000 (verifies under the quicknet key, checked below). */
const ROUND_1000_SIGNATURE =
  "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39"

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n })
const randomness = fc.record({ sigma: bytes(32), esk: bytes(32), nonce: bytes(12) })
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")

const payload = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 })), { maxLength: 300 })
  .chain((pairs) =>
    fc.record({
      hotkey: bytes(32),
      uids: fc.constant(pairs.map((p) => p[0])),
      values: fc.constant(pairs.map((p) => p[1])),
      versionKey: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })
    })
  )

describe("WeightsTlockPayload", () => {
  test("encode then decode is the identity", () => {
    fc.assert(fc.property(payload, (p) => expect(decodeWeightsTlockPayload(encodeWeightsTlockPayload(p))).toEqual(p)))
  })

  test("the SCALE layout: compact lengths, u16 and u64 little-endian", () => {
    const p = { hotkey: new Uint8Array(32).fill(7), uids: [1, 300], values: [65535, 2], versionKey: 9_012_002n }
    expect(hex(encodeWeightsTlockPayload(p))).toBe(
      `80${"07".repeat(32)}08${"0100"}${"2c01"}08${"ffff"}${"0200"}${"22838900"}00000000`
    )
  })

  test("truncated, trailing or non-u16 input is refused", () => {
    const good = encodeWeightsTlockPayload({ hotkey: new Uint8Array(32), uids: [1], values: [2], versionKey: 1n })
    expect(() => decodeWeightsTlockPayload(good.subarray(0, good.length - 1))).toThrow(/truncated/)
    expect(() => decodeWeightsTlockPayload(new Uint8Array([...good, 0]))).toThrow(/trailing/)
    expect(() => encodeWeightsTlockPayload({ hotkey: new Uint8Array(32), uids: [70000], values: [1], versionKey: 1n })).toThrow(/u16/)
    expect(() => encodeWeightsTlockPayload({ hotkey: new Uint8Array(32), uids: [1, 2], values: [1], versionKey: 1n })).toThrow(/values/)
  })
})

describe("timelock encryption", () => {
  test("quicknet's round-1000 signature verifies under the quicknet key (the identity hashing is drand's)", () => {
    expect(verifyRound(Buffer.from(ROUND_1000_SIGNATURE, "hex"), 1000)).toBe(true)
    expect(verifyRound(Buffer.from(ROUND_1000_SIGNATURE, "hex"), 1001)).toBe(false)
  })

  test("seal then open with the round's signature gives the message back (own beacon key, any round)", () => {
    const beaconSecret = new Uint8Array(32).fill(3)
    const pub = beaconPublicKey(beaconSecret)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 2 ** 40 }), randomness, (message, round, rnd) => {
        const sealed = timelockSeal(message, round, rnd, pub)
        expect(timelockOpen(sealed, signRound(beaconSecret, round))).toEqual(message)
      }),
      { numRuns: 12 }
    )
  })

  test("serialise then deserialise is the identity; the layout is U ‖ Vec V ‖ Vec W ‖ Vec body ‖ Vec suite", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), randomness, (message, rnd) => {
        const c = timelockEncrypt(message, 1000, rnd)
        const bytes = serializeTimelock(c)
        expect(deserializeTimelock(bytes)).toEqual(c)
        // 96 (U) + 40 + 40 + 8 + (8 + n + 16) + (8 + 12) + 16
        expect(bytes.length).toBe(96 + 40 + 40 + 8 + 8 + message.length + 16 + 8 + 12 + 16)
        expect(new TextDecoder().decode(bytes.subarray(bytes.length - 8))).toBe("AES_GCM_")
      }),
      { numRuns: 5 }
    )
  })

  test("the wrong round's signature, a flipped bit or truncation fail with a clear error", () => {
    const rnd = { sigma: new Uint8Array(32).fill(1), esk: new Uint8Array(32).fill(2), nonce: new Uint8Array(12).fill(3) }
    const sealed = timelockSeal(new Uint8Array([1, 2, 3]), 1000, rnd)
    expect(hex(timelockOpen(sealed, ROUND_1000_SIGNATURE))).toBe("010203")
    const secret = new Uint8Array(32).fill(9)
    expect(() => timelockOpen(sealed, signRound(secret, 1000))).toThrow(/does not open/)
    const flipped = sealed.slice()
    flipped[sealed.length - 40]! ^= 1 // inside the AES-GCM tag
    expect(() => timelockOpen(flipped, ROUND_1000_SIGNATURE)).toThrow(/authentication/)
    expect(() => timelockOpen(sealed.subarray(0, 150), ROUND_1000_SIGNATURE)).toThrow(/truncated/)
  })

  test("the same randomness gives the same bytes; the quicknet key is the default", () => {
    const rnd = { sigma: new Uint8Array(32).fill(5), esk: new Uint8Array(32).fill(6), nonce: new Uint8Array(12).fill(7) }
    const m = new Uint8Array([9, 9])
    expect(timelockSeal(m, 77, rnd)).toEqual(timelockSeal(m, 77, rnd, QUICKNET.publicKeyHex))
  })
})

const state = fc
  .record({
    tempo: fc.integer({ min: 1, max: 400 }),
    since: fc.integer({ min: 0, max: 400 }),
    index: fc.integer({ min: 0, max: 10_000 }),
    block: fc.integer({ min: 1000, max: 10_000_000 }),
    pendingIn: fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined })
  })
  .map(
    (x): EpochScheduleState => ({
      tempo: x.tempo,
      lastEpochBlock: x.block - Math.min(x.since, x.tempo),
      blocksSinceLastStep: Math.min(x.since, x.tempo),
      subnetEpochIndex: x.index,
      pendingEpochAt: x.pendingIn === undefined ? 0 : x.block + x.pendingIn,
      currentBlock: x.block
    })
  )

describe("epoch schedule", () => {
  test("the predicted reveal block is the first block whose lookahead epoch is commit epoch + period", () => {
    fc.assert(
      fc.property(state, fc.integer({ min: 0, max: 4 }), (head, period) => {
        const reveal = predictFirstRevealBlock(head, period)
        const commitBlock = head.currentBlock + 1
        const commitEpoch = epochWithLookahead(head, commitBlock)
        let s = head
        for (let b = commitBlock; b < reveal; b++) {
          expect(epochWithLookahead(s, b)).not.toBe(commitEpoch + period)
          s = stepEpoch(s, b)
        }
        expect(epochWithLookahead(s, reveal)).toBe(commitEpoch + period)
        // Without owner-triggered epochs, each epoch lasts `tempo` blocks.
        if (head.pendingEpochAt === 0) expect(reveal - commitBlock).toBeLessThanOrEqual(period * head.tempo)
      }),
      { numRuns: 200 }
    )
  })

  test("tempo 0 has no reveal", () => {
    expect(() =>
      predictFirstRevealBlock({ tempo: 0, lastEpochBlock: 0, blocksSinceLastStep: 0, subnetEpochIndex: 0, pendingEpochAt: 0, currentBlock: 5 }, 1)
    ).toThrow(/tempo is 0/)
  })
})
