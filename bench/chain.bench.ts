/**
 * The local chain and the live `Chain` adapter: chopsticks start-up time and memory per runtime, a
 * transaction's submit→inclusion time, and `setWeights` over 256 uids on a full subnet. Prints figures.
 */
import { Effect, Exit, Scope } from "effect"
import { devWallet, startLocalnet, type LocalSpec } from "../src/adapters/chain/localnet.ts"
import { fillSubnet, median, rssMiB } from "./chain-fixture.ts"
import { Uid } from "../src/domain/chain/ids.ts"

const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(e)
const lines: Array<string> = []
const report = (s: string) => {
  lines.push(s)
  console.log(s)
}

report(`process RSS at start: ${rssMiB().toFixed(0)} MiB`)
for (const spec of [185, 218] as ReadonlyArray<LocalSpec>) {
  const scope = await run(Scope.make())
  try {
    const before = rssMiB()
    const t = performance.now()
    const net = await run(Scope.extend(startLocalnet({ spec }), scope))
    const head = await run(net.chain.block)
    report(
      `spec ${spec}: ready (RPC answers, dev accounts funded${spec === 218 ? ", sudo overridden" : ""}) in ${((performance.now() - t) / 1000).toFixed(2)} s at block ${head}; RSS ${before.toFixed(0)} → ${rssMiB().toFixed(0)} MiB`
    )
    const netuid = await run(net.createSubnet())
    const v = devWallet("BenchValidator")
    await run(net.fund(v.coldkey.ss58Address, 10_000n * 1_000_000_000n))
    const vuid = await run(net.registerNeuron(netuid, v.coldkey, v.hotkey.ss58Address))
    const small: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const s = performance.now()
      await run(net.chain.setWeights(netuid, v.hotkey, [vuid], [65535], 0))
      small.push(performance.now() - s)
    }
    report(`spec ${spec}: setWeights (1 uid) submit→InBlock median ${median(small).toFixed(0)} ms`)
    const blocks: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const s = performance.now()
      await run(net.newBlocks(1))
      blocks.push(performance.now() - s)
    }
    report(`spec ${spec}: empty block median ${median(blocks).toFixed(0)} ms`)

    if (spec === 185) {
      const t0 = performance.now()
      await fillSubnet(net, netuid, 255, "Fill")
      report(`spec ${spec}: 255 more neurons registered (batches of 64) in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
      // With more neurons than validator slots (64), the permit goes by stake.
      await run(net.stake(netuid, v.coldkey, v.hotkey.ss58Address, 1000))
      await run(net.nextEpoch(netuid))
      const uids = Array.from({ length: 256 }, (_, i) => i)
      const full: Array<number> = []
      for (let i = 0; i < 5; i++) {
        const weights = uids.map(() => 1 + Math.floor(Math.random() * 65535))
        const s = performance.now()
        await run(net.chain.setWeights(netuid, v.hotkey, uids.map((u) => Uid.make(u)), weights, 0))
        full.push(performance.now() - s)
      }
      report(`spec ${spec}: setWeights (256 uids) submit→InBlock median ${median(full).toFixed(0)} ms (min ${Math.min(...full).toFixed(0)}, max ${Math.max(...full).toFixed(0)})`)
      const epochBlocks: Array<number> = []
      for (let i = 0; i < 4; i++) {
        const s = performance.now()
        await run(net.newBlocks(1))
        epochBlocks.push(performance.now() - s)
      }
      report(`spec ${spec}: blocks with 256 neurons at tempo 1: ${epochBlocks.map((x) => x.toFixed(0)).join(", ")} ms`)
    }
    report(`spec ${spec}: RSS after the runs ${rssMiB().toFixed(0)} MiB`)
  } finally {
    await run(Scope.close(scope, Exit.void))
  }
}
console.log("\nsummary:\n" + lines.map((l) => `  ${l}`).join("\n"))
