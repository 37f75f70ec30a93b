/**
 * Shared by the chain benchmarks: fills a local subnet with many neurons quickly, 64 `burnedRegister`
 * calls per `utility.batchAll` transaction (one block each), paid by //Alice.
 */
import { ApiPromise, WsProvider } from "@polkadot/api"
import type { Localnet } from "../src/adapters/chain/localnet.ts"
import { keypairFromUri, toKeyringPair } from "../src/adapters/wallet/sr25519.ts"

/** Registers `count` fresh hotkeys `//<prefix><i>` on the subnet; returns their addresses. */
export const fillSubnet = async (net: Localnet, netuid: number, count: number, prefix: string): Promise<ReadonlyArray<string>> => {
  const api = await ApiPromise.create({ provider: new WsProvider(net.endpoint) as never, noInitWarn: true })
  try {
    const alice = toKeyringPair(keypairFromUri("//Alice"))
    const hotkeys = Array.from({ length: count }, (_, i) => keypairFromUri(`//${prefix}${i}`).ss58Address)
    const tx = api.tx as unknown as Record<string, Record<string, (...a: Array<unknown>) => { signAndSend: (...a: Array<unknown>) => Promise<() => void> }>>
    // Number the nonces here: under Instant mode the node's own count can lag (see chainspecs/README.md).
    let nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber()
    const nonceOnChain = async () =>
      ((await (api.query as unknown as Record<string, Record<string, (a: string) => Promise<{ nonce: { toNumber(): number } }>>>)["system"]![
        "account"
      ]!(alice.address)).nonce.toNumber())
    for (let i = 0; i < hotkeys.length; i += 64) {
      const calls = hotkeys.slice(i, i + 64).map((h) => tx["subtensorModule"]!["burnedRegister"]!(netuid, h))
      const mine = nonce++
      const unsubscribe = await tx["utility"]!["batchAll"]!(calls).signAndSend(alice, { nonce: mine }, () => undefined)
      // Inclusion is read from the account nonce rather than from status notifications.
      const started = performance.now()
      while ((await nonceOnChain()) <= mine) {
        if (performance.now() - started > 60_000) throw new Error(`registration batch ${i / 64} not included within 60 s`)
        await Bun.sleep(100)
      }
      unsubscribe()
    }
    const n = await (api.query as unknown as Record<string, Record<string, (n: number) => Promise<{ toNumber(): number }>>>)["subtensorModule"]![
      "subnetworkN"
    ]!(netuid)
    if (n.toNumber() < count) throw new Error(`only ${n.toNumber()} neurons registered on subnet ${netuid}`)
    return hotkeys
  } finally {
    await api.disconnect()
  }
}

/** Median of a list of numbers. */
export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}

/** Resident set size in MiB. */
export const rssMiB = (): number => process.memoryUsage().rss / 1024 / 1024
