/**
 * The validator's set-weights step on every path the chain can ask for, against the in-memory twin:
 * spec 185 (plain `set_weights`; hash commit-reveal by blocks) and today's runtime (`spec425`: timelocked
 * commits the twin itself decrypts at their drand round, hash commit-reveal by epoch where a runtime has
 * no timelocked calls, mechanism weights), plus the runtime refusals it decodes.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test"
import { Context, Effect, Fiber, Layer, Logger, LogLevel, ManagedRuntime, Option } from "effect"
import * as ChainMemory from "../../../src/adapters/chain/memory.ts"
import { ChainMemoryControl, type ChainMemoryState, type Spec425Options } from "../../../src/adapters/chain/memory.ts"
import * as ValidatorStoreSql from "../../../src/adapters/store/validator-store.ts"
import { keypairFromUri } from "../../../src/adapters/wallet/sr25519.ts"
import { layerDev } from "../../../src/adapters/wallet/wallet-fs.ts"
import type { Hyperparameters } from "../../../src/domain/chain/metagraph.ts"
import { timelockSeal } from "../../../src/domain/chain/timelock.ts"
import { weightsLoop } from "../../../src/pipeline/validator/run.ts"
import { setWeights, type SetWeightsOutcome } from "../../../src/pipeline/validator/set-weights.ts"
import { ValidatorSettings } from "../../../src/pipeline/validator/settings.ts"
import {
  CommitRevealRequired,
  CommitRevealVersionMismatch,
  CommittingTooFast,
  TooManyUnrevealedCommits,
  isWeightsRefusal,
  refusalOf
} from "../../../src/pipeline/validator/weights-refusals.ts"
import { Chain, ChainDispatchError, isDispatch } from "../../../src/services/chain.ts"
import { writeScores } from "../../support/validator-stores.ts"
import { NETUID, VALIDATOR_WALLET, minerKeys, testValidatorSettings, validatorKey } from "../../support/validator-world.ts"
import { Uid } from "../../../src/domain/chain/ids.ts"

setDefaultTimeout(60_000)

const miners = [minerKeys.good, minerKeys.half, minerKeys.bad]
const scores = [0.9, 0.5, 0.1]

const world = (options: {
  readonly hyper?: Partial<Omit<Hyperparameters, "netuid" | "subnetworkN">>
  readonly spec425?: Spec425Options
  readonly mechanismCount?: number
  readonly mechanismId?: number
}) => {
  const state: ChainMemoryState = {
    ...(options.spec425 === undefined ? {} : { spec425: options.spec425 }),
    subnets: [
      {
        netuid: NETUID,
        hyperparameters: { tempo: 10, weightsRateLimit: 0, ...options.hyper },
        ...(options.mechanismCount === undefined ? {} : { mechanismCount: options.mechanismCount }),
        neurons: [
          { hotkey: validatorKey.ss58Address, coldkey: keypairFromUri(VALIDATOR_WALLET).ss58Address, stake: 5000, validatorPermit: true },
          ...miners.map((m, i) => ({ hotkey: m.ss58Address, coldkey: keypairFromUri(`//Coldkey${i}`).ss58Address }))
        ]
      }
    ]
  }
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      ChainMemory.layer(state),
      ValidatorStoreSql.layerTest,
      layerDev(VALIDATOR_WALLET),
      Layer.succeed(ValidatorSettings, testValidatorSettings({ mechanismId: options.mechanismId ?? 0 })),
      Logger.minimumLogLevel(LogLevel.Warning)
    )
  )
  const run = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    runtime.runPromise(effect as Effect.Effect<A, E, never>)
  return { runtime, run }
}

type World = ReturnType<typeof world>

const seedScores = (w: World) =>
  w.run(writeScores(miners.map((m, i) => ({ uid: i + 1, hotkey: m.ss58Address, score: scores[i]! }))))

/** Runs the step while blocks keep coming (the commit-reveal paths wait for their window). */
const stepWhileBlocks = async (w: World): Promise<SetWeightsOutcome> => {
  const fiber = w.runtime.runFork(setWeights() as Effect.Effect<SetWeightsOutcome, unknown, never>)
  for (let i = 0; i < 500; i++) {
    const done = await w.runtime.runPromise(Fiber.poll(fiber))
    if (Option.isSome(done)) break
    await w.run(Effect.flatMap(ChainMemoryControl, (c) => c.advance(1)))
    await Bun.sleep(25)
  }
  return w.runtime.runPromise(Fiber.join(fiber))
}

const onChain = (w: World, mechanismId = 0) =>
  w.run(Effect.flatMap(Chain, (c) => c.weightsOf(NETUID, Uid.make(0), mechanismId))).then((pairs) => new Map<number, number>(pairs))

/** The max-upscaled u16 weights the chain stores for what the step emitted. */
const expectedOnChain = (o: SetWeightsOutcome) => {
  if (o._tag !== "Set") throw new Error(`not set: ${o.reason}`)
  const max = Math.max(...o.weights)
  return new Map(o.uids.map((u, i) => [u, Math.floor((o.weights[i]! * 65535) / max)]))
}

describe("set-weights paths on the in-memory chain", () => {
  test("spec 185, commit-reveal off: set_weights", async () => {
    const w = world({})
    await seedScores(w)
    const o = await w.run(setWeights())
    expect(o._tag === "Set" && o.path).toBe("SetWeights")
    expect(await onChain(w)).toEqual(expectedOnChain(o))
    const good = (await onChain(w)).get(Uid.make(1))!
    expect(good).toBeGreaterThan((await onChain(w)).get(Uid.make(3)) ?? 0)
  })

  test("spec 185, commit-reveal on: hash commit, reveal in the next interval of blocks", async () => {
    const w = world({ hyper: { commitRevealEnabled: true, commitRevealPeriod: 5 } })
    await seedScores(w)
    const o = await stepWhileBlocks(w)
    expect(o._tag === "Set" && o.path).toBe("HashCommitReveal")
    expect(await onChain(w)).toEqual(expectedOnChain(o))
  })

  test("today's runtime without timelocked calls: hash commit keyed by epoch, revealed in epoch + period", async () => {
    const w = world({ spec425: { timelocked: false }, hyper: { commitRevealPeriod: 2 } })
    await seedScores(w)
    const rt = await w.run(Effect.flatMap(Chain, (c) => c.weightsRuntime(NETUID)))
    expect([rt.commitRevealEnabled, rt.revealUnit, rt.calls.commitTimelockedWeights]).toEqual([true, "epochs", false])
    const before = rt.epoch!.subnetEpochIndex
    const o = await stepWhileBlocks(w)
    expect(o._tag === "Set" && o.path).toBe("HashCommitReveal")
    expect(await onChain(w)).toEqual(expectedOnChain(o))
    // Revealed two epochs after the commit's epoch, not before.
    const after = (await w.run(Effect.flatMap(Chain, (c) => c.weightsRuntime(NETUID)))).epoch!.subnetEpochIndex
    expect(after - before).toBeGreaterThanOrEqual(2)
  })

  test("today's runtime (commit-reveal on by default): a timelocked commit the chain reveals at its drand round", async () => {
    const w = world({ spec425: {} })
    await seedScores(w)
    const o = await w.run(setWeights())
    expect(o._tag === "Set" && o.path).toBe("Timelocked")
    // Committed, not yet revealed: nothing on chain, one pending commit.
    expect((await onChain(w)).size).toBe(0)
    expect(await w.run(Effect.flatMap(ChainMemoryControl, (c) => c.pendingTimelocked(NETUID)))).toBe(1)
    // The next epoch starts within 10 blocks; the pulse for the round comes 3 blocks after (SECURITY_BLOCK_OFFSET).
    await w.run(Effect.flatMap(ChainMemoryControl, (c) => c.advance(16)))
    expect(await onChain(w)).toEqual(expectedOnChain(o))
    expect(await w.run(Effect.flatMap(ChainMemoryControl, (c) => c.pendingTimelocked(NETUID)))).toBe(0)
  })

  test("today's runtime, commit-reveal off, mechanism 1 of 2: set_mechanism_weights keeps mechanism 0 apart", async () => {
    const w = world({ spec425: {}, hyper: { commitRevealEnabled: false }, mechanismCount: 2, mechanismId: 1 })
    await seedScores(w)
    const o = await w.run(setWeights())
    expect(o._tag === "Set" && o.path).toBe("SetWeights")
    expect(await onChain(w, 1)).toEqual(expectedOnChain(o))
    expect((await onChain(w, 0)).size).toBe(0)
  })

  test("today's runtime, timelocked on mechanism 1: revealed into mechanism 1", async () => {
    const w = world({ spec425: {}, mechanismCount: 2, mechanismId: 1 })
    await seedScores(w)
    const o = await w.run(setWeights())
    expect(o._tag === "Set" && o.path).toBe("Timelocked")
    await w.run(Effect.flatMap(ChainMemoryControl, (c) => c.advance(16)))
    expect(await onChain(w, 1)).toEqual(expectedOnChain(o))
    expect((await onChain(w, 0)).size).toBe(0)
  })

  test("a mechanism the subnet does not have: a clear error, nothing sent", async () => {
    const w = world({ spec425: {}, mechanismId: 3 })
    await seedScores(w)
    const e = await w.run(Effect.flip(setWeights()))
    expect(e._tag).toBe("NoWeightsPathAvailable")
    expect(String((e as Error).message)).toContain("--neuron.mechanism_id 3")
    expect(await w.run(Effect.flatMap(ChainMemoryControl, (c) => c.pendingTimelocked(NETUID)))).toBe(0)
  })

  test("refusals: wrong version, too many unrevealed commits, committing too fast — decoded with what to do", async () => {
    const w = world({ spec425: { commitRevealVersion: 4 }, hyper: { tempo: 100 } }) // the limit is per commit epoch
    await seedScores(w)
    const rt = await w.run(Effect.flatMap(Chain, (c) => c.weightsRuntime(NETUID)))
    const rnd = { sigma: new Uint8Array(32).fill(1), esk: new Uint8Array(32).fill(2), nonce: new Uint8Array(12).fill(3) }
    const commit = { netuid: NETUID, mechanismId: 0, mechanism: true, commit: timelockSeal(new Uint8Array([0]), 5, rnd, rt.drand.publicKeyHex), revealRound: 5 }
    const sendEffect = (version: number) => Effect.flatMap(Chain, (c) => c.commitTimelockedWeights(validatorKey, { ...commit, commitRevealVersion: version }))
    const send = (version: number) => w.run(sendEffect(version))
    const refusedWith = (version: number) => w.run(Effect.flip(sendEffect(version)))
    const wrong = await refusedWith(3)
    expect(isDispatch(wrong, "IncorrectCommitRevealVersion")).toBe(true)
    const asRefusal = refusalOf(wrong, NETUID, 3)
    expect(asRefusal).toBeInstanceOf(CommitRevealVersionMismatch)
    expect(asRefusal!.message).toContain("re-reads CommitRevealWeightsVersion")
    for (let i = 0; i < 10; i++) await send(4)
    const eleventh = await refusedWith(4)
    expect(isDispatch(eleventh, "TooManyUnrevealedCommits")).toBe(true)
    // The step turns the same refusal into its tagged error, which the weights loop waits out for an epoch.
    const stepError = await w.run(Effect.flip(setWeights()))
    expect(stepError).toBeInstanceOf(TooManyUnrevealedCommits)
    expect(isWeightsRefusal(stepError)).toBe(true)

    const limited = world({ spec425: {}, hyper: { weightsRateLimit: 50 } })
    await limited.run(Effect.flatMap(ChainMemoryControl, (c) => c.advance(60)))
    const lrt = await limited.run(Effect.flatMap(Chain, (c) => c.weightsRuntime(NETUID)))
    const lsend = Effect.flatMap(Chain, (c) =>
      c.commitTimelockedWeights(validatorKey, { ...commit, commit: timelockSeal(new Uint8Array([0]), 5, rnd, lrt.drand.publicKeyHex), commitRevealVersion: 4 })
    )
    await limited.run(lsend)
    const tooFast = await limited.run(Effect.flip(lsend))
    expect(isDispatch(tooFast, "CommittingWeightsTooFast")).toBe(true)
    expect(refusalOf(tooFast, NETUID)).toBeInstanceOf(CommittingTooFast)
    const enabled = new ChainDispatchError({ operation: "setWeights", pallet: "SubtensorModule", name: "CommitRevealEnabled", docs: "", kind: "CommitRevealEnabled" })
    expect(refusalOf(enabled, NETUID)).toBeInstanceOf(CommitRevealRequired)
  })

  test("the weights loop waits a refusal out for an epoch instead of retrying every pass", async () => {
    let attempts = 0
    const state: ChainMemoryState = {
      spec425: {},
      subnets: [
        {
          netuid: NETUID,
          hyperparameters: { tempo: 100, weightsRateLimit: 0 },
          neurons: [
            { hotkey: validatorKey.ss58Address, coldkey: keypairFromUri(VALIDATOR_WALLET).ss58Address, stake: 5000, validatorPermit: true },
            ...miners.map((m, i) => ({ hotkey: m.ss58Address, coldkey: keypairFromUri(`//Coldkey${i}`).ss58Address }))
          ]
        }
      ]
    }
    const counting = Layer.effectContext(
      Effect.map(ChainMemory.make(state), ({ chain, control }) =>
        Context.make(Chain, {
          ...chain,
          commitTimelockedWeights: (hotkey, c) => Effect.zipRight(Effect.sync(() => void attempts++), chain.commitTimelockedWeights(hotkey, c))
        }).pipe(Context.add(ChainMemoryControl, control))
      )
    )
    const runtime = ManagedRuntime.make(
      Layer.mergeAll(
        counting,
        ValidatorStoreSql.layerTest,
        layerDev(VALIDATOR_WALLET),
        Layer.succeed(ValidatorSettings, testValidatorSettings({ stepSeconds: 1 })),
        Logger.minimumLogLevel(LogLevel.None)
      )
    )
    const run = <A, E, R>(e: Effect.Effect<A, E, R>) => runtime.runPromise(e as Effect.Effect<A, E, never>)
    await run(writeScores(miners.map((m, i) => ({ uid: i + 1, hotkey: m.ss58Address, score: scores[i]! }))))
    // Ten commits already wait for their reveal epoch: the next one is TooManyUnrevealedCommits.
    for (let i = 0; i < 10; i++) await run(setWeights())
    attempts = 0
    const fiber = runtime.runFork(weightsLoop as unknown as Effect.Effect<never, unknown, never>)
    const until = async (check: () => boolean) => {
      for (const end = Date.now() + 20_000; !check() && Date.now() < end; ) await Bun.sleep(50)
    }
    await until(() => attempts >= 1)
    await Bun.sleep(3500) // three or four more passes of the loop (one a second)
    expect(attempts).toBe(1)
    // An epoch later (the loop's epoch length is tempo + 1 blocks) it tries again, and the reveals have freed room.
    await run(Effect.flatMap(ChainMemoryControl, (c) => c.advance(101)))
    await until(() => attempts >= 2)
    expect(attempts).toBe(2)
    // The ten were revealed; the new commit is the only one waiting.
    expect(await run(Effect.flatMap(ChainMemoryControl, (c) => c.pendingTimelocked(NETUID)))).toBe(1)
    await runtime.runPromise(Fiber.interrupt(fiber))
    await runtime.dispose()
  })
})
