/** The weights path: what the chain offers decides, and the choice never needs a call the runtime lacks. */
import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { QUICKNET } from "../../../src/domain/chain/timelock.ts"
import { chooseWeightsPath, mechanismStorageIndex, type WeightsRuntime } from "../../../src/domain/chain/weights-path.ts"
import { Netuid } from "../../../src/domain/chain/ids.ts"

const runtime = fc.record({
  commitRevealEnabled: fc.boolean(),
  commitRevealVersion: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
  revealPeriod: fc.integer({ min: 0, max: 5 }),
  revealUnit: fc.constantFrom<"blocks" | "epochs">("blocks", "epochs"),
  mechanismCount: fc.integer({ min: 1, max: 4 }),
  calls: fc.record({
    setMechanismWeights: fc.boolean(),
    commitMechanismWeights: fc.boolean(),
    commitTimelockedWeights: fc.boolean(),
    commitTimelockedMechanismWeights: fc.boolean()
  }),
  epoch: fc.option(
    fc.constant({ lastEpochBlock: 1, pendingEpochAt: 0, subnetEpochIndex: 0, tempo: 10, blocksSinceLastStep: 0, currentBlock: 1 }),
    { nil: undefined }
  )
}).map((r): WeightsRuntime => ({ ...r, netuid: Netuid.make(3), blockSeconds: 12, drand: QUICKNET }))

describe("chooseWeightsPath", () => {
  test("invariants over every runtime shape and mechanism id", () => {
    fc.assert(
      fc.property(runtime, fc.integer({ min: -1, max: 5 }), (rt, mecid) => {
        const path = chooseWeightsPath(rt, mecid)
        if (mecid < 0 || mecid >= rt.mechanismCount) return expect(path._tag).toBe("NoWeightsPath")
        switch (path._tag) {
          case "SetWeights":
            expect(rt.commitRevealEnabled).toBe(false)
            if (mecid > 0) expect(rt.calls.setMechanismWeights).toBe(true)
            break
          case "Timelocked":
            expect(rt.commitRevealEnabled).toBe(true)
            expect(path.version).toBe(rt.commitRevealVersion!)
            expect(path.mechanism ? rt.calls.commitTimelockedMechanismWeights : rt.calls.commitTimelockedWeights).toBe(true)
            if (mecid > 0) expect(path.mechanism).toBe(true)
            break
          case "HashCommitReveal":
            expect(rt.commitRevealEnabled).toBe(true)
            expect(path.by).toBe(rt.revealUnit)
            // Timelocked is preferred whenever the runtime can do it.
            expect((rt.calls.commitTimelockedWeights || rt.calls.commitTimelockedMechanismWeights) && rt.commitRevealVersion !== undefined && rt.epoch !== undefined).toBe(false)
            if (mecid > 0) expect(rt.calls.commitMechanismWeights).toBe(true)
            break
          case "NoWeightsPath":
            // Only a mechanism > 0 the runtime has no call for.
            expect(mecid).toBeGreaterThan(0)
        }
      }),
      { numRuns: 500 }
    )
  })

  test("netuid_index = netuid + mecid × 4096", () => {
    expect(mechanismStorageIndex(7, 0)).toBe(7)
    expect(mechanismStorageIndex(7, 2)).toBe(8199)
  })
})
