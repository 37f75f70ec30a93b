import { describe, expect, test } from "bun:test"
import { Effect, Option } from "effect"
import fc from "fast-check"
import * as ChainMemory from "../../../src/adapters/chain/memory.ts"
import { ChainMemoryControl } from "../../../src/adapters/chain/memory.ts"
import { keypairFromUri } from "../../../src/adapters/wallet/sr25519.ts"
import { Chain, ChainTimeout } from "../../../src/services/chain.ts"
import { chainContract, expectDispatch, failure, run, type Wallet } from "./contract.ts"
import { Hotkey, Netuid, Uid } from "../../../src/domain/chain/ids.ts"

const TAO = 1_000_000_000n
const names = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie", "Nobody"]
const wallets = new Map<string, Wallet>(
  names.map((n) => [n, { coldkey: keypairFromUri(`//${n}`), hotkey: keypairFromUri(`//${n}//hot`) }])
)
const wallet = (n: string): Wallet => wallets.get(n) ?? { coldkey: keypairFromUri(`//${n}`), hotkey: keypairFromUri(`//${n}//hot`) }
const funded = Object.fromEntries(names.filter((n) => n !== "Nobody").map((n) => [wallet(n).coldkey.ss58Address, 1_000_000n * TAO]))
const alice = wallet("Alice").coldkey

const twin = await run(ChainMemory.make({ balances: funded }))

chainContract("in-memory twin", () => ({
  chain: twin.chain,
  sudoKey: alice,
  wallet,
  newBlocks: twin.control.advance,
  nextEpoch: twin.control.nextEpoch,
  permitsFollowStake: true,
  createSubnet: () =>
    Effect.gen(function* () {
      const netuid = yield* twin.chain.registerNetwork(alice, Hotkey.make(wallet("Alice").hotkey.ss58Address))
      yield* twin.chain.sudo(alice, [
        { method: "sudoSetTempo", args: [netuid, 1] },
        { method: "sudoSetWeightsSetRateLimit", args: [netuid, 0] },
        { method: "sudoSetMaxRegistrationsPerBlock", args: [netuid, 64] },
        { method: "sudoSetTargetRegistrationsPerInterval", args: [netuid, 64] },
        { method: "sudoSetServingRateLimit", args: [netuid, 0] }
      ])
      return netuid
    })
}))

describe("in-memory twin specifics", () => {
  test("initial state, the layer and its controls: neurons, stake, permits, epochs, emission", async () => {
    const v = wallet("Bob")
    const m = wallet("Charlie")
    const program = Effect.gen(function* () {
      const chain = yield* Chain
      const control = yield* ChainMemoryControl
      const mg0 = yield* chain.metagraph(Netuid.make(7))
      expect(mg0.neurons.map((n): string => n.hotkey)).toEqual([v.hotkey.ss58Address, m.hotkey.ss58Address])
      expect(mg0.neurons[1]?.axon.ip).toBe("127.0.0.3")
      expect(mg0.neurons[0]?.stake).toBe(100)
      yield* control.setEmission(7, 1)
      yield* chain.setWeights(Netuid.make(7), v.hotkey, [Uid.make(1)], [65535], 0)
      const head = yield* control.nextEpoch(7)
      const mg = yield* chain.metagraph(Netuid.make(7))
      expect(mg.block).toBe(head)
      expect(mg.neurons[1]?.incentive).toBeCloseTo(1, 4)
      expect(mg.neurons[0]?.dividends).toBeCloseTo(1, 4)
      expect(mg.neurons[1]!.emission).toBeGreaterThan(0)
      yield* control.setValidatorPermit(7, 0, false)
      expectDispatch(yield* Effect.flip(chain.setWeights(Netuid.make(7), v.hotkey, [Uid.make(1)], [1], 0)), "NoValidatorPermit")
      yield* control.setHyperparameters(7, { weightsVersionKey: 3 })
      expect((yield* chain.hyperparameters(Netuid.make(7))).weightsVersionKey).toBe(3)
    })
    await Effect.runPromise(
      Effect.provide(
        program,
        ChainMemory.layer({
          subnets: [
            {
              netuid: 7,
              hyperparameters: { tempo: 1, weightsRateLimit: 0 },
              neurons: [
                { hotkey: v.hotkey.ss58Address, coldkey: v.coldkey.ss58Address, stake: 100, validatorPermit: true },
                { hotkey: m.hotkey.ss58Address, coldkey: m.coldkey.ss58Address, axon: { ip: "127.0.0.3", port: 8091 } }
              ]
            }
          ]
        })
      )
    )
  })

  test("commit-reveal: setWeights commits, waits for the window while blocks advance, reveals", async () => {
    const t = await run(ChainMemory.make({ balances: funded }))
    const v = wallet("Bob")
    const netuid = await run(t.chain.registerNetwork(alice, Hotkey.make(v.hotkey.ss58Address)))
    for (const [method, value] of [["sudoSetWeightsSetRateLimit", 0], ["sudoSetCommitRevealWeightsInterval", 3], ["sudoSetCommitRevealWeightsEnabled", true]] as const) {
      await run(t.chain.sudo(alice, { method, args: [netuid, value] }))
    }
    await run(t.chain.burnedRegister(netuid, v.coldkey, Hotkey.make(v.hotkey.ss58Address)))
    const pending = run(t.chain.setWeights(netuid, v.hotkey, [Uid.make(0)], [65535], 0))
    const driver = setInterval(() => void run(t.control.advance(1)), 50)
    const result = await pending.finally(() => clearInterval(driver))
    expect(result.mode).toBe("commitReveal")
    expect(result.commitBlock).toBeDefined()
    expect(result.block).toBeGreaterThanOrEqual(result.commitBlock! - (result.commitBlock! % 3) + 3)
    expect<ReadonlyArray<readonly [number, number]>>(await run(t.chain.weightsOf(netuid, Uid.make(0)))).toEqual([[0, 65535]])
  })

  test("commit-reveal without blocks: the wait ends in ChainTimeout, not a hang", async () => {
    const t = await run(ChainMemory.make({ balances: funded, revealTimeout: 200 }))
    const v = wallet("Bob")
    const netuid = await run(t.chain.registerNetwork(alice, Hotkey.make(v.hotkey.ss58Address)))
    await run(t.chain.sudo(alice, { method: "sudoSetCommitRevealWeightsEnabled", args: [netuid, true] }))
    await run(t.chain.burnedRegister(netuid, v.coldkey, Hotkey.make(v.hotkey.ss58Address)))
    expect(await failure(t.chain.setWeights(netuid, v.hotkey, [Uid.make(0)], [1], 0))).toBeInstanceOf(ChainTimeout)
  })

  test("stored weights are max-upscaled: the largest is 65535 and the order is kept (property)", async () => {
    const t = await run(
      ChainMemory.make({
        balances: funded,
        subnets: [
          {
            netuid: 1,
            hyperparameters: { weightsRateLimit: 0 },
            neurons: Array.from({ length: 8 }, (_, i) => ({
              hotkey: wallet(`N${i}`).hotkey.ss58Address,
              coldkey: wallet(`N${i}`).coldkey.ss58Address,
              validatorPermit: true
            }))
          }
        ]
      })
    )
    const signer = wallet("N0").hotkey
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 8 }), async (values) => {
        const uids = values.map((_, i) => Uid.make(i))
        await run(t.chain.setWeights(Netuid.make(1), signer, uids, values, 0))
        const stored = (await run(t.chain.weightsOf(Netuid.make(1), Uid.make(0)))).map(([, w]) => w)
        expect(Math.max(...stored)).toBe(65535)
        for (let i = 0; i < values.length; i++) {
          for (let j = 0; j < values.length; j++) {
            if (values[i]! < values[j]!) expect(stored[i]!).toBeLessThanOrEqual(stored[j]!)
          }
        }
      }),
      { numRuns: 50 }
    )
  })

  test("a key without its secret cannot sign; registration burns from the coldkey and needs funds", async () => {
    const t = await run(ChainMemory.make({ balances: { [wallet("Bob").coldkey.ss58Address]: TAO } }))
    const netuid = Netuid.make(3)
    await run(t.control.fund(alice.ss58Address, 2000n * TAO))
    expect<number>(await run(t.chain.registerNetwork(alice, Hotkey.make("x")))).toBe(1)
    expect<number>(await run(t.chain.registerNetwork(alice, Hotkey.make("x")))).toBe(2)
    expectDispatch(await failure(t.chain.registerNetwork(alice, Hotkey.make("x"))), "NotEnoughBalance")
    await run(t.chain.burnedRegister(Netuid.make(1), wallet("Bob").coldkey, Hotkey.make(wallet("Bob").hotkey.ss58Address)))
    expectDispatch(await failure(t.chain.burnedRegister(Netuid.make(2), wallet("Bob").coldkey, Hotkey.make(wallet("Eve").hotkey.ss58Address))), "NotEnoughBalance")
    const { keypairFromAddress } = await import("../../../src/adapters/wallet/sr25519.ts")
    const pub = keypairFromAddress(wallet("Bob").coldkey.ss58Address)
    expect((await failure(t.chain.burnedRegister(Netuid.make(1), pub, Hotkey.make("y"))))._tag).toBe("ChainInvalidArgument")
    expect(Option.isNone(await run(t.chain.uidOf(netuid, Hotkey.make(wallet("Bob").hotkey.ss58Address))))).toBe(true)
  })
})
