/**
 * Metagraph read of a 256-neuron subnet on the local spec-185 chain: the adapter's storage path
 * (batched storage reads, types from metadata) against `NeuronInfoRuntimeApi.getNeuronsLite` (the
 * Python SDK's path; its bytes decoded with the metadata's AxonInfo). Target: ≤ 250 ms. Prints figures.
 */
import { ApiPromise, WsProvider } from "@polkadot/api"
import { Effect, Exit, Scope } from "effect"
import { head, readMetagraphRuntimeApi, readMetagraphStorage } from "../src/adapters/chain/metagraph.ts"
import { startLocalnet } from "../src/adapters/chain/localnet.ts"
import { fillSubnet, median } from "./chain-fixture.ts"

const N = Number(process.env["BENCH_NEURONS"] ?? 256)
const RUNS = 7

const scope = await Effect.runPromise(Scope.make())
try {
  const net = await Effect.runPromise(Scope.extend(startLocalnet({ spec: 185 }), scope))
  const netuid = await Effect.runPromise(net.createSubnet())
  let t = performance.now()
  await fillSubnet(net, netuid, N, "Bench")
  console.log(`registered ${N} neurons in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  await Effect.runPromise(net.nextEpoch(netuid))

  const api = await ApiPromise.create({ provider: new WsProvider(net.endpoint) as never, noInitWarn: true })
  const storage: Array<number> = []
  const runtime: Array<number> = []
  let agree = true
  for (let i = 0; i < RUNS; i++) {
    t = performance.now()
    const at = await head(api)
    const a = await readMetagraphStorage(api, netuid, at)
    storage.push(performance.now() - t)
    t = performance.now()
    const b = await readMetagraphRuntimeApi(api, netuid)
    runtime.push(performance.now() - t)
    agree &&= a.neurons.length === N && b.neurons.length === N && a.neurons.every((n, j) => n.hotkey === b.neurons[j]?.hotkey && n.axon.block === b.neurons[j]?.axon.block)
  }
  t = performance.now()
  await Effect.runPromise(net.chain.metagraph(netuid))
  const viaService = performance.now() - t
  t = performance.now()
  await Effect.runPromise(net.chain.metagraph(netuid))
  const cached = performance.now() - t
  await api.disconnect()

  const fmt = (xs: ReadonlyArray<number>) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`
  console.log(`metagraph, ${N} neurons, ${RUNS} runs over a local websocket:`)
  console.log(`  storage path (default):            ${fmt(storage)}`)
  console.log(`  NeuronInfoRuntimeApi.getNeuronsLite: ${fmt(runtime)}`)
  console.log(`  Chain.metagraph first read ${viaService.toFixed(0)} ms, same block again (cached) ${cached.toFixed(1)} ms`)
  console.log(`  both paths agree on every uid: ${agree}`)
} finally {
  await Effect.runPromise(Scope.close(scope, Exit.void))
}
