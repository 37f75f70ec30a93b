/**
 * The live `Chain` against subtensor spec 218 (dynamic TAO) under chopsticks, one chain for the file:
 * the shared contract (except permits, which this runtime never withdraws), the dTAO call shapes
 * (two-argument registerNetwork, three-argument addStake, alpha stake from metadata-detected storage),
 * weights landing, and salted commit-reveal. Yuma yields nothing on this runtime, so no incentive here.
 */
import { describe, expect, test } from "bun:test"
import { devWallet } from "../../src/adapters/chain/localnet.ts"
import { run } from "../adapters/chain/contract.ts"

import { useLocalnet } from "../support/localnet-suite.ts"
import { Netuid, Uid } from "../../src/domain/chain/ids.ts"

const TAO = 1_000_000_000n
const ln = useLocalnet(218, { permitsFollowStake: false })

describe("spec 218 lifecycle", () => {
  let netuid = Netuid.make(0)
  const owner = devWallet("Alice")
  const validator = devWallet("Validator")
  const miners = [devWallet("Miner1"), devWallet("Miner2"), devWallet("Miner3")]
  const uids: Array<number> = []

  test("owner hotkey is uid 0; validator and miners register, serve, stake alpha and set weights that land", async () => {
    const { chain } = ln.net
    for (const w of [validator, ...miners]) await run(ln.net.fund(w.coldkey.ss58Address, 10_000n * TAO))
    netuid = await run(ln.net.createSubnet())
    const mg0 = await run(chain.metagraph(netuid))
    expect(mg0.neurons.map((n): [number, string] => [n.uid, n.hotkey])).toEqual([[0, owner.hotkey.ss58Address]])
    for (const w of [validator, ...miners]) uids.push(await run(ln.net.registerNeuron(netuid, w.coldkey, w.hotkey.ss58Address)))
    expect(uids).toEqual([1, 2, 3, 4])
    for (const [i, w] of [validator, ...miners].entries()) {
      expect((await run(chain.serveAxon(netuid, w.hotkey, { ip: `127.0.0.${i + 2}`, port: 9000 + i, version: 9012002 })))._tag).toBe("Served")
    }
    await run(ln.net.stake(netuid, validator.coldkey, validator.hotkey.ss58Address, 100))
    await run(ln.net.nextEpoch(netuid))
    const result = await run(chain.setWeights(netuid, validator.hotkey, uids.slice(1).map((u) => Uid.make(u)), [1000, 2000, 3000], 0))
    expect(result.mode).toBe("direct")
    expect<ReadonlyArray<readonly [number, number]>>(await run(chain.weightsOf(netuid, Uid.make(uids[0]!)))).toEqual([
      [2, 21845],
      [3, 43690],
      [4, 65535]
    ])
    await run(ln.net.nextEpoch(netuid))
    const mg = await run(chain.metagraph(netuid))
    const v = mg.neurons.find((n) => n.uid === uids[0])!
    // 100 TAO bought alpha from the topped-up pool (about 90 at these pool sizes).
    expect(v.stake).toBeGreaterThan(50)
    expect(v.lastUpdate).toBe(result.block)
    expect(v.validatorPermit).toBe(true)
    expect(mg.neurons.filter((n) => n.uid > 0).map((n) => n.axon.ip)).toEqual(["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"])
    const hyper = await run(chain.hyperparameters(netuid))
    expect(hyper.commitRevealUnit).toBe("epochs")
    expect(hyper.subnetworkN).toBe(5)
  }, 240_000)

  test("salted commit-reveal: commit, wait for the next epoch's window, reveal", async () => {
    const { chain, sudoKey } = ln.net
    await run(chain.sudo(sudoKey, { method: "sudoSetCommitRevealWeightsEnabled", args: [netuid, true] }))
    let done = false
    const pending = run(chain.setWeights(netuid, validator.hotkey, uids.slice(1).map((u) => Uid.make(u)), [3000, 2000, 1000], 0)).finally(() => (done = true))
    while (!done) {
      await Bun.sleep(400)
      if (!done) await run(ln.net.newBlocks(1))
    }
    const result = await pending
    expect(result.mode).toBe("commitReveal")
    expect(result.block).toBeGreaterThan(result.commitBlock!)
    expect((await run(chain.weightsOf(netuid, Uid.make(uids[0]!)))).map(([, w]) => w)).toEqual([65535, 43690, 21845])
    await run(chain.sudo(sudoKey, { method: "sudoSetCommitRevealWeightsEnabled", args: [netuid, false] }))
  }, 120_000)
})
