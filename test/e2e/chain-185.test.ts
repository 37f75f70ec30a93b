/**
 * The live `Chain` against the real subtensor runtime, spec 185, under chopsticks (one chain for the
 * file): the shared contract, a whole neuron lifecycle down to incentive and dividends, the runtime-API
 * read agreeing with the storage read, commit-reveal, and faults (dead endpoint, server restart).
 */
import { describe, expect, test } from "bun:test"
import { ApiPromise, WsProvider } from "@polkadot/api"
import { Duration, Effect, Exit, Scope } from "effect"
import * as ChainSubtensor from "../../src/adapters/chain/subtensor.ts"
import { readMetagraphRuntimeApi } from "../../src/adapters/chain/metagraph.ts"
import { devWallet, startLocalnet } from "../../src/adapters/chain/localnet.ts"
import { ChainTimeout } from "../../src/services/chain.ts"
import { expectDispatch, failure, run } from "../adapters/chain/contract.ts"

import { useLocalnet } from "../support/localnet-suite.ts"
import { Hotkey, Netuid, Uid } from "../../src/domain/chain/ids.ts"

const TAO = 1_000_000_000n
const ln = useLocalnet(185, { permitsFollowStake: true })

describe("spec 185 lifecycle", () => {
  let netuid = Netuid.make(0)
  const validator = devWallet("Validator")
  const miners = [devWallet("Miner1"), devWallet("Miner2"), devWallet("Miner3")]
  const uids: Array<number> = []

  test("validator and three miners: register, serve 127.0.0.2–5, stake, permit, weights, epochs → incentive and dividends follow the weights", async () => {
    const { chain } = ln.net
    for (const w of [validator, ...miners]) await run(ln.net.fund(w.coldkey.ss58Address, 10_000n * TAO))
    netuid = await run(ln.net.createSubnet())
    for (const w of [validator, ...miners]) uids.push(await run(ln.net.registerNeuron(netuid, w.coldkey, w.hotkey.ss58Address)))
    expect(new Set(uids).size).toBe(4)

    const refused = expectDispatch(await failure(chain.serveAxon(netuid, validator.hotkey, { ip: "127.0.0.1", port: 8091, version: 1 })), "InvalidIpAddress")
    expect(refused.message).toContain("use 127.0.0.2+ locally")
    for (const [i, w] of [validator, ...miners].entries()) {
      expect((await run(chain.serveAxon(netuid, w.hotkey, { ip: `127.0.0.${i + 2}`, port: 8091 + i, version: 7004000 })))._tag).toBe("Served")
    }
    await run(ln.net.stake(netuid, validator.coldkey, validator.hotkey.ss58Address, 100))
    await run(ln.net.nextEpoch(netuid))
    const before = await run(chain.metagraph(netuid))
    expect(before.neurons.find((n) => n.uid === uids[0])?.validatorPermit).toBe(true)

    const minerUids = uids.slice(1)
    await run(chain.setWeights(netuid, validator.hotkey, minerUids.map((u) => Uid.make(u)), [1000, 2000, 3000], 0))
    await run(ln.net.nextEpoch(netuid))
    await run(ln.net.nextEpoch(netuid))

    const mg = await run(chain.metagraph(netuid))
    const at = (uid: number) => mg.neurons.find((n) => n.uid === uid)!
    const [m1, m2, m3] = minerUids.map(at)
    expect(m1!.incentive).toBeGreaterThan(0)
    expect(m2!.incentive).toBeGreaterThan(m1!.incentive)
    expect(m3!.incentive).toBeGreaterThan(m2!.incentive)
    expect(m2!.incentive / m1!.incentive).toBeCloseTo(2, 1)
    expect(m3!.incentive / m1!.incentive).toBeCloseTo(3, 1)
    expect(m1!.incentive + m2!.incentive + m3!.incentive).toBeCloseTo(1, 3)
    expect(at(uids[0]!).dividends).toBeCloseTo(1, 3)
    for (const m of [m1!, m2!, m3!]) expect(m.dividends).toBe(0)
    for (const n of mg.neurons) expect(n.emission).toBeGreaterThan(0)
    expect(at(uids[0]!).stake).toBeGreaterThanOrEqual(100)
    expect(mg.neurons.map((n) => n.axon.ip).sort()).toEqual(["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"])
    expect(at(uids[3]!).axon).toMatchObject({ ip: "127.0.0.5", port: 8094, ipType: 4, protocol: 4, version: 7004000 })
  }, 180_000)

  test("NeuronInfoRuntimeApi.getNeuronsLite agrees with the storage read", async () => {
    const api = await ApiPromise.create({ provider: new WsProvider(ln.net.endpoint) as never, noInitWarn: true })
    try {
      const viaStorage = await run(ln.net.chain.metagraph(netuid))
      const viaRuntime = await readMetagraphRuntimeApi(api, netuid)
      expect(viaRuntime.block).toBe(viaStorage.block)
      expect(viaRuntime.neurons.length).toBe(viaStorage.neurons.length)
      for (const [i, s] of viaStorage.neurons.entries()) {
        const r = viaRuntime.neurons[i]!
        expect(r).toMatchObject({
          uid: s.uid,
          hotkey: s.hotkey,
          coldkey: s.coldkey,
          validatorPermit: s.validatorPermit,
          incentive: s.incentive,
          dividends: s.dividends,
          emission: s.emission,
          lastUpdate: s.lastUpdate,
          axon: s.axon
        })
        expect(r.stake).toBeCloseTo(s.stake, 6)
      }
    } finally {
      await api.disconnect()
    }
  }, 60_000)

  test("commit-reveal: with it on, setWeights commits, waits for the reveal window and reveals", async () => {
    const { chain, sudoKey } = ln.net
    await run(chain.sudo(sudoKey, { method: "sudoSetCommitRevealWeightsInterval", args: [netuid, 3] }))
    await run(chain.sudo(sudoKey, { method: "sudoSetCommitRevealWeightsEnabled", args: [netuid, true] }))
    expect((await run(chain.hyperparameters(netuid))).commitRevealEnabled).toBe(true)
    let done = false
    const pending = run(chain.setWeights(netuid, validator.hotkey, uids.slice(1).map((u) => Uid.make(u)), [3000, 2000, 1000], 0)).finally(() => (done = true))
    // The local chain only makes blocks on demand: keep it going until the reveal lands.
    while (!done) {
      await Bun.sleep(400)
      if (!done) await run(ln.net.newBlocks(1))
    }
    const result = await pending
    expect(result.mode).toBe("commitReveal")
    const commitBlock = result.commitBlock!
    expect(result.block).toBeGreaterThanOrEqual(commitBlock - (commitBlock % 3) + 3)
    expect(result.block).toBeLessThan(commitBlock - (commitBlock % 3) + 6)
    expect((await run(chain.weightsOf(netuid, Uid.make(uids[0]!)))).map(([, w]) => w)).toEqual([65535, 43690, 21845])
    await run(chain.sudo(sudoKey, { method: "sudoSetCommitRevealWeightsEnabled", args: [netuid, false] }))
  }, 120_000)
})

describe("faults", () => {
  test("a refused connection and a silent endpoint end in ChainTimeout, not a hang", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {}, open() {} } })
    try {
      for (const endpoint of ["ws://127.0.0.1:1", `ws://127.0.0.1:${silent.port}`]) {
        const started = performance.now()
        const error = await run(
          Effect.scoped(Effect.flatMap(ChainSubtensor.make({ endpoint, timeout: Duration.millis(1500), txTimeout: Duration.millis(1500) }), (c) =>
            Effect.flip(c.block)
          ))
        )
        expect(error).toBeInstanceOf(ChainTimeout)
        expect(performance.now() - started).toBeLessThan(10_000)
        const txError = await run(
          Effect.scoped(Effect.flatMap(ChainSubtensor.make({ endpoint, timeout: Duration.millis(1000), txTimeout: Duration.millis(1000) }), (c) =>
            Effect.flip(c.setWeights(Netuid.make(1), ln.net.sudoKey, [Uid.make(0)], [1], 0))
          ))
        )
        expect(txError).toBeInstanceOf(ChainTimeout)
      }
    } finally {
      silent.stop(true)
    }
  }, 60_000)

  test("the chain server stops and restarts on the same port: the next call reconnects", async () => {
    const clientScope = await run(Scope.make())
    try {
      const client = await run(Scope.extend(ChainSubtensor.make({ endpoint: ln.net.endpoint, timeout: Duration.seconds(4) }), clientScope))
      expect(await run(client.block)).toBeGreaterThan(10)
      const port = ln.net.port
      await run(ln.net.stop)
      // While it is down, calls fail within their limit.
      expect(await failure(client.block)).toBeInstanceOf(ChainTimeout)
      ln.net = await run(Scope.extend(startLocalnet({ spec: 185, port }), ln.scope))
      expect(ln.net.port).toBe(port)
      // A fresh chain from genesis: the head is low again, and transactions work over the new connection.
      expect(await run(client.block)).toBeLessThan(10)
      const hyper = await run(client.hyperparameters(Netuid.make(3)))
      expect<number>(hyper.netuid).toBe(3)
      expect(await run(client.registerNetwork(ln.net.sudoKey, Hotkey.make(devWallet("Alice").hotkey.ss58Address)))).toBeGreaterThanOrEqual(1)
    } finally {
      await run(Scope.close(clientScope, Exit.void))
    }
  }, 120_000)
})
