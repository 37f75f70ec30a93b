/**
 * One local chain for a test file: started before its tests, stopped after, with the shared Chain
 * contract run against it. Returns a holder whose `net` is set once the chain is up.
 */
import { afterAll, beforeAll } from "bun:test"
import { Exit, Scope } from "effect"
import { devWallet, startLocalnet, type Localnet, type LocalSpec } from "../../src/adapters/chain/localnet.ts"
import { chainContract, run } from "../adapters/chain/contract.ts"

export const useLocalnet = (
  spec: LocalSpec,
  options: { readonly permitsFollowStake: boolean }
): { net: Localnet; scope: Scope.CloseableScope } => {
  // `scope` owns the chain; a test that restarts the chain extends it with the new one.
  const holder = {} as { net: Localnet; scope: Scope.CloseableScope }
  beforeAll(async () => {
    holder.scope = await run(Scope.make())
    holder.net = await run(Scope.extend(startLocalnet({ spec }), holder.scope))
  }, 120_000)
  afterAll(async () => {
    await run(Scope.close(holder.scope, Exit.void))
  }, 60_000)
  chainContract(`subtensor spec ${spec} (chopsticks)`, () => ({
    chain: holder.net.chain,
    sudoKey: holder.net.sudoKey,
    wallet: devWallet,
    newBlocks: holder.net.newBlocks,
    nextEpoch: holder.net.nextEpoch,
    createSubnet: () => holder.net.createSubnet(),
    permitsFollowStake: options.permitsFollowStake
  }))
  return holder
}
