import { describe, expect, test } from "bun:test"
import { Effect, Exit, Scope } from "effect"
import * as ChainMemory from "../../../src/adapters/chain/memory.ts"
import { makeMetagraphView } from "../../../src/pipeline/miner/metagraph-view.ts"
import { Chain, ChainTimeout } from "../../../src/services/chain.ts"
import { until } from "../../adapters/axon/axon-fixture.ts"
import { NETUID, poorKey, subnetNeurons } from "./miner-fixture.ts"
import { Netuid } from "../../../src/domain/chain/ids.ts"

const stakeOf = (m: { neurons: ReadonlyArray<{ hotkey: string; stake: number }> }) => m.neurons.find((n) => n.hotkey === poorKey.ss58Address)?.stake

describe("the miner's metagraph view (in-memory chain)", () => {
  test("is refreshed in the background; a failed refresh keeps the last one; it stops with its scope", async () => {
    const { chain, control } = await Effect.runPromise(ChainMemory.make({ subnets: [{ netuid: NETUID, neurons: subnetNeurons() }] }))
    let reads = 0
    let failing = false
    const flaky = {
      ...chain,
      metagraph: (netuid: Netuid) =>
        Effect.suspend(() => {
          reads++
          return failing ? Effect.fail(new ChainTimeout({ operation: "metagraph", timeoutMs: 1 })) : chain.metagraph(netuid)
        })
    }
    const scope = Effect.runSync(Scope.make())
    const view = await Effect.runPromise(makeMetagraphView(NETUID, 0.02).pipe(Scope.extend(scope), Effect.provideService(Chain, flaky)))
    expect(stakeOf(await Effect.runPromise(view.current))).toBe(10)

    await Effect.runPromise(control.setStake(poorKey.ss58Address, 1234))
    await until(async () => stakeOf(await Effect.runPromise(view.current)) === 1234, "the background refresh")

    failing = true
    const before = reads
    await until(async () => reads >= before + 3, "failed refreshes")
    expect(stakeOf(await Effect.runPromise(view.current))).toBe(1234)

    await Effect.runPromise(Scope.close(scope, Exit.void))
    const after = reads
    await Bun.sleep(100)
    expect(reads).toBe(after)
  })

  test("a chain that cannot be read at start is an error, not an empty view", async () => {
    const { chain } = await Effect.runPromise(ChainMemory.make({ subnets: [{ netuid: NETUID, neurons: subnetNeurons() }] }))
    const exit = await Effect.runPromiseExit(
      Effect.scoped(makeMetagraphView(Netuid.make(99), 12)).pipe(Effect.provideService(Chain, chain))
    )
    expect(Exit.isFailure(exit)).toBe(true)
  })
})
