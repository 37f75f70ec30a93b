/**
 * The SDK's Dendrite (aiohttp, keep-alive 15 s) against our axon over one session, as a Python validator
 * holds it: a handler slower than Bun's default 10 s idle timeout still answers, and a connection left
 * idle longer than that while the validator's event loop is busy (blocking scoring work) is not reused
 * after our axon closed it: with Bun's default the SDK reported 422 "Can not write request body".
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Exit, Scope } from "effect"
import * as AxonLive from "../../src/adapters/axon/axon.ts"
import { keypairFromUri } from "../../src/adapters/wallet/sr25519.ts"
import { RankingRequestSynapse } from "../../src/domain/wire/synapses.ts"
import { axonRoute } from "../../src/services/axon.ts"
import { pythonEnv, peerResult, runPython } from "../support/python-env.ts"

const miner = keypairFromUri("//Bob")
const scope = Effect.runSync(Scope.make())
let port = 0

beforeAll(async () => {
  const axon = await Effect.runPromise(
    AxonLive.make({ ...AxonLive.defaultAxonConfig, hotkey: miner.ss58Address, ip: "127.0.0.2", port: 0 }, [
      axonRoute(RankingRequestSynapse, {
        // "slow N" takes N seconds, as a miner's model scoring can on a busy machine.
        forward: (_, b) =>
          Effect.sleep(`${Number(/^slow (\d+)$/.exec(b.prompt)?.[1] ?? 0)} seconds`).pipe(
            Effect.as({ ...b, ranks: b.completions.map((c) => ({ cid: c.cid, score: 0.5 })), scoring_method: "hf_model" as const })
          )
      })
    ]).pipe(Scope.extend(scope))
  )
  port = axon.bound.port
  await pythonEnv("sdk10")
}, 120_000)
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

describe("a Python validator's Dendrite session against our axon (SDK 10.5.0)", () => {
  test("a 16 s handler answers; a connection idle 12 s under a blocked event loop is not reused dead", async () => {
    const steps = [
      { op: "query", prompt: "slow 16", timeout: 30 },
      { op: "query", prompt: "fast", timeout: 30 },
      { op: "block", seconds: 12 },
      { op: "query", prompt: "fast", timeout: 30 }
    ]
    const r = await runPython(await pythonEnv("sdk10"), ["sdk_dendrite_session.py"], {
      stdin: JSON.stringify({ axon: { ip: "127.0.0.2", port, hotkey: miner.ss58Address }, steps })
    })
    expect(r.code).toBe(0)
    const results = peerResult<Array<{ status: string; message: string; ranks: unknown[] }>>(r, "sdk_dendrite_session.py")
    expect(results.map((x) => `${x.status} ${x.message}`)).toEqual(["200 Success", "200 Success", "200 Success"])
    expect(results.map((x) => x.ranks)).toEqual([[{ cid: "c0", score: 0.5 }], [{ cid: "c0", score: 0.5 }], [{ cid: "c0", score: 0.5 }]])
  }, 90_000)
})
