/**
 * `runValidator` itself — the runner with its loops — on the in-memory chain with real miner axons, a
 * short step and deadline: it announces its axon, queries, scores, delivers results, sets weights (again
 * after an epoch), and stops cleanly when interrupted (axon closed, no more requests).
 *
 * The runner's loops run on a TestClock: the test moves it to the next loop's wake-up only once all three
 * short loops (query, scoring, weights) are parked on it, so no loop's work is cut short by the clock (the
 * dendrite's timeouts are on the same clock). Real time passes only while a pass waits on sockets (miner
 * axons, SQLite), and the test polls for that.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { Chunk, Clock, Duration, Effect, Exit, Fiber, Layer, ManagedRuntime, Option, TestClock } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ChainMemoryControl } from "../../../src/adapters/chain/memory.ts"
import * as DendriteLive from "../../../src/adapters/dendrite/dendrite.ts"
import { MTurkResponseSynapse } from "../../../src/domain/wire/synapses.ts"
import { runValidator, VALIDATOR_AXON_VERSION } from "../../../src/pipeline/validator/run.ts"
import { Chain } from "../../../src/services/chain.ts"
import { Dendrite } from "../../../src/services/dendrite.ts"
import { allStores, type AllStores } from "../../support/validator-stores.ts"
import { startTestMinerNode, type MinerBehaviour, type TestMinerNode } from "../../support/validator-miners.ts"
import { minerKeys, NETUID, testValidatorSettings, validatorKey, worldChain, worldLayers, writeSyntheticJsonl } from "../../support/validator-world.ts"
import { Uid } from "../../../src/domain/chain/ids.ts"
import { testClockFromNow } from "../../support/test-clock.ts"

setDefaultTimeout(30_000)

const dir = mkdtempSync(join(tmpdir(), "dojo-validator-run-"))
const pairs = writeSyntheticJsonl(dir, "pairs.jsonl", 20, 5)
const behaviours: ReadonlyArray<MinerBehaviour> = ["good", "half", "bad"]
const miners = new Map<MinerBehaviour, TestMinerNode>()

beforeAll(async () => {
  for (const [i, b] of behaviours.entries()) miners.set(b, await startTestMinerNode({ key: minerKeys[b], behaviour: b, ip: `127.0.0.${i + 2}` }))
})
afterAll(async () => {
  for (const m of miners.values()) await m.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe("runValidator on the in-memory chain", () => {
  test("queries, scores, delivers, sets weights every epoch, and stops cleanly when interrupted", async () => {
    const layers = (
      worldLayers({
        chain: worldChain(
          behaviours.map((b) => ({ hotkey: minerKeys[b].ss58Address, axon: { ip: miners.get(b)!.axon.bound.ip, port: miners.get(b)!.axon.bound.port } })),
          { weightsRateLimit: 2 }
        ),
        // Timeouts far beyond the loops' periods (1 s at most), so a pending timeout is never the next wake-up.
        settings: testValidatorSettings({ stepSeconds: 0.25, deadlineSeconds: 0.5, evaluationRate: 1, epochLength: 5, queryTimeoutSeconds: 60, resultTimeoutSeconds: 60 }),
        seedPath: pairs
      })
    ).pipe(Layer.provide(testClockFromNow()))
    const runtime = ManagedRuntime.make(layers)
    /** Wake-ups within a loop period (1 s): the short loops parked on the clock (a dendrite timeout is 60 s out). */
    const nearWakeUps = () =>
      runtime.runPromise(
        Effect.map(Effect.zip(Clock.currentTimeMillis, TestClock.sleeps()), ([now, sleeps]) => ({
          now,
          due: Chunk.toReadonlyArray(sleeps).filter((t) => t <= now + 1000)
        }))
      )
    /** Waits (real time: the loops' passes wait on sockets) until all three short loops are parked, then moves the clock to the next wake-up. */
    const tick = async () => {
      const end = Date.now() + 15_000
      let near = await nearWakeUps()
      while (near.due.length < 3) {
        if (Date.now() > end) throw new Error("the loops never all parked on the clock")
        await Bun.sleep(5)
        near = await nearWakeUps()
      }
      await runtime.runPromise(TestClock.adjust(Duration.millis(Math.max(0, Math.min(...near.due) - near.now))))
    }
    /** Runs the loops tick by tick until `check` holds. */
    const eventually = async (what: string, check: () => Promise<boolean>, maxTicks = 400) => {
      for (let i = 0; i < maxTicks; i++) {
        if (await check()) return
        await tick()
      }
      throw new Error(`${what}: not after ${maxTicks} ticks`)
    }
    const store = <A, E>(f: (s: AllStores) => Effect.Effect<A, E>) => runtime.runPromise(Effect.flatMap(allStores, f))
    const chain = <A, E>(f: (c: Chain["Type"]) => Effect.Effect<A, E>) => runtime.runPromise(Effect.flatMap(Chain, f))
    const stranger = ManagedRuntime.make(DendriteLive.layer({ hotkey: minerKeys.down }))
    try {
      const fiber = runtime.runFork(Effect.scoped(runValidator))

      // The validator's axon is announced on chain, and serving.
      await eventually("the axon is on chain", async () => (await chain((c) => c.metagraph(NETUID))).neurons[0]!.axon.port !== 0)
      const axon = (await chain((c) => c.metagraph(NETUID))).neurons[0]!.axon
      expect([axon.ip, axon.version]).toEqual(["127.0.0.3", VALIDATOR_AXON_VERSION])
      const target = { ip: axon.ip, port: axon.port, hotkey: validatorKey.ss58Address }
      const body = { mturk_hit_id: "HIT", aws_credentials: null, completion_id_to_score: {}, request_id: "r" }
      const call = () => stranger.runPromise(Effect.flatMap(Dendrite, (d) => d.call(target, MTurkResponseSynapse, body)))
      expect((await call()).statusCode).toBe(403) // served, and an unregistered sender is refused

      // Queried, scored, delivered.
      await eventually("three requests are scored", async () => (await store((s) => s.stats)).scored >= 3)
      const scored = (await store((s) => s.recentRequests(100))).filter((r) => r.status === "scored")
      for (const r of scored) expect(r.responseCount).toBe(3)
      await eventually("their results reached every participant", async () =>
        scored.every((r) => behaviours.every((b) => miners.get(b)!.results.some((x) => x.request_id === r.requestId)))
      )

      // Weights set once there are scores; again after an epoch's worth of blocks.
      await eventually("weights are set", async () => Option.isSome(await store((s) => s.lastWeights)))
      const first = Option.getOrThrow(await store((s) => s.lastWeights))
      const onChain = new Map(await chain((c) => c.weightsOf(NETUID, Uid.make(0))))
      expect(new Map(first.uids.map((u, i) => [u, first.weights[i]!]))).toEqual(onChain)
      const w = (uid: number) => onChain.get(Uid.make(uid)) ?? 0
      expect(w(1)).toBeGreaterThanOrEqual(w(2))
      expect(w(2)).toBeGreaterThanOrEqual(w(3))
      expect(w(1)).toBeGreaterThan(w(3))
      await runtime.runPromise(Effect.flatMap(ChainMemoryControl, (c) => c.advance(5)))
      await eventually("weights are set again after an epoch", async () => Option.getOrThrow(await store((s) => s.lastWeights)).block > first.block)

      // Interrupted: the runner ends as interrupted (not failed), its axon closes and it asks nobody more.
      const exit = await runtime.runPromise(Fiber.interrupt(fiber))
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect((await call()).statusCode).toBe(503)
      const requests = (await store((s) => s.stats)).requests
      const received = miners.get("good")!.requests.length
      // A minute later on the runner's clock (every loop's period many times over) nothing ran; the short
      // real wait is for a request a surviving loop would send to reach the miner's socket.
      await runtime.runPromise(TestClock.adjust(Duration.minutes(1)))
      await Bun.sleep(300)
      expect((await store((s) => s.stats)).requests).toBe(requests)
      expect(miners.get("good")!.requests.length).toBe(received)
    } finally {
      await stranger.dispose()
      await runtime.dispose()
    }
  })
})
