/**
 * Behaviour every `Chain` must show, written once and run against the in-memory twin and against the
 * real runtime (specs 185 and 218 under chopsticks): registration, axon serving and its IP rule, weight
 * setting and its errors (rate limit, permit, duplicates, unknown uids, version key), concurrency from
 * one signer, sudo origin. Each backend supplies a `ContractEnv`.
 */
import { beforeAll, describe, expect, test } from "bun:test"
import { Effect, Option } from "effect"
import { Hotkey, Netuid, Uid } from "../../../src/domain/chain/ids.ts"
import type { Keypair } from "../../../src/domain/wallet/keypair.ts"
import { uidOf as uidInMetagraph } from "../../../src/domain/chain/metagraph.ts"
import { chooseWeightsPath } from "../../../src/domain/chain/weights-path.ts"
import { ChainDispatchError, ChainInvalidArgument, type ChainShape, type DispatchKind } from "../../../src/services/chain.ts"

/** Per test: the real runtime takes about 0.4 s a transaction, far more on a loaded machine. */
const TIMEOUT = 180_000

/** A wallet the backend has funded. */
export interface Wallet {
  readonly coldkey: Keypair
  readonly hotkey: Keypair
}

/** What a backend gives the shared checks. */
export interface ContractEnv {
  readonly chain: ChainShape
  readonly sudoKey: Keypair
  /** A funded wallet per name (coldkey `//Name`, hotkey `//Name//hot`). */
  readonly wallet: (name: string) => Wallet
  readonly newBlocks: (n: number) => Effect.Effect<number, unknown>
  readonly nextEpoch: (netuid: Netuid) => Effect.Effect<number, unknown>
  /** A fresh subnet: tempo 1, no weight or serving rate limit, 64 registrations per block. */
  readonly createSubnet: () => Effect.Effect<Netuid, unknown>
  /** False where the runtime keeps every permit whatever the stake (spec 218). */
  readonly permitsFollowStake: boolean
}

/** Runs an effect, returning its value. */
export const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect)

/** Runs an effect that must fail, returning its error. */
export const failure = <A, E>(effect: Effect.Effect<A, E>): Promise<E> => Effect.runPromise(Effect.flip(effect))

/** Asserts a dispatch error of this kind and returns it. */
export const expectDispatch = (error: unknown, kind: DispatchKind): ChainDispatchError => {
  expect(error).toBeInstanceOf(ChainDispatchError)
  const e = error as ChainDispatchError
  expect(e.kind).toBe(kind)
  return e
}

/** Registers the shared behaviour checks for one backend. */
export const chainContract = (name: string, env: () => ContractEnv) =>
  describe(`Chain contract: ${name}`, () => {
    let netuid = Netuid.make(0)
    let validator: Wallet
    let miners: ReadonlyArray<Wallet>
    const uids: Array<Uid> = []

    beforeAll(async () => {
      const e = env()
      netuid = await run(e.createSubnet())
      validator = e.wallet("Bob")
      miners = [e.wallet("Charlie"), e.wallet("Dave")]
      for (const w of [validator, ...miners]) uids.push(await run(e.chain.burnedRegister(netuid, w.coldkey, Hotkey.make(w.hotkey.ss58Address))))
      // The first epoch after registration hands out permits.
      await run(e.nextEpoch(netuid))
    }, TIMEOUT)

    test("registration: uidOf finds registered hotkeys only; registering twice is AlreadyRegistered", async () => {
      const { chain } = env()
      expect(Option.getOrThrow(await run(chain.uidOf(netuid, Hotkey.make(validator.hotkey.ss58Address))))).toBe(uids[0]!)
      expect(Option.isNone(await run(chain.uidOf(netuid, Hotkey.make(env().wallet("Nobody").hotkey.ss58Address))))).toBe(true)
      const again = await failure(chain.burnedRegister(netuid, validator.coldkey, Hotkey.make(validator.hotkey.ss58Address)))
      expectDispatch(again, "AlreadyRegistered")
      const mg = await run(chain.metagraph(netuid))
      for (const [i, w] of [validator, ...miners].entries()) {
        expect(Option.getOrThrow(uidInMetagraph(mg, w.hotkey.ss58Address))).toBe(uids[i]!)
        expect(mg.neurons.find((n) => n.uid === uids[i])?.coldkey).toBe(w.coldkey.ss58Address)
      }
    }, TIMEOUT)

    test("serveAxon: 127.0.0.1 and 0.0.0.0 get the clear InvalidIpAddress error, port 0 InvalidPort", async () => {
      const { chain } = env()
      const local = expectDispatch(await failure(chain.serveAxon(netuid, validator.hotkey, { ip: "127.0.0.1", port: 8091, version: 1 })), "InvalidIpAddress")
      expect(local.message).toContain("the chain refuses this axon IP; use 127.0.0.2+ locally")
      expectDispatch(await failure(chain.serveAxon(netuid, validator.hotkey, { ip: "0.0.0.0", port: 8091, version: 1 })), "InvalidIpAddress")
      expectDispatch(await failure(chain.serveAxon(netuid, validator.hotkey, { ip: "127.0.0.2", port: 0, version: 1 })), "InvalidPort")
      const bad = await failure(chain.serveAxon(netuid, validator.hotkey, { ip: "127.0.0.999", port: 8091, version: 1 }))
      expect(bad).toBeInstanceOf(ChainInvalidArgument)
    }, TIMEOUT)

    test("serveAxon: lands, reads back by name, is skipped when unchanged; an unregistered hotkey is NotRegistered", async () => {
      const { chain, wallet } = env()
      const served = await run(chain.serveAxon(netuid, validator.hotkey, { ip: "127.0.0.2", port: 8091, version: 7004000 }))
      expect(served._tag).toBe("Served")
      const mg = await run(chain.metagraph(netuid))
      const axon = mg.neurons.find((n) => n.uid === uids[0])?.axon
      expect(axon).toEqual({ ip: "127.0.0.2", port: 8091, ipType: 4, protocol: 4, version: 7004000, block: served.block })
      const again = await run(chain.serveAxon(netuid, validator.hotkey, { ip: "127.0.0.2", port: 8091, version: 7004000 }))
      expect(again).toEqual({ _tag: "Unchanged", block: served.block })
      const stranger = wallet("Nobody")
      expectDispatch(await failure(chain.serveAxon(netuid, stranger.hotkey, { ip: "127.0.0.9", port: 8091, version: 1 })), "NotRegistered")
    }, TIMEOUT)

    test("setWeights lands max-upscaled and moves lastUpdate to its block", async () => {
      const { chain } = env()
      const result = await run(chain.setWeights(netuid, validator.hotkey, [uids[1]!, uids[2]!], [1000, 3000], 0))
      expect(result.mode).toBe("direct")
      expect(await run(chain.weightsOf(netuid, uids[0]!))).toEqual([
        [uids[1]!, 21845],
        [uids[2]!, 65535]
      ])
      const mg = await run(chain.metagraph(netuid))
      expect(mg.neurons.find((n) => n.uid === uids[0])?.lastUpdate).toBe(result.block)
      expect(mg.block).toBeGreaterThanOrEqual(result.block)
    }, TIMEOUT)

    test("setWeights errors: NotRegistered, DuplicateUids, InvalidUid, IncorrectNetworkVersionKey", async () => {
      const { chain, wallet, sudoKey } = env()
      expectDispatch(await failure(chain.setWeights(netuid, wallet("Nobody").hotkey, [uids[1]!], [1], 0)), "NotRegistered")
      expectDispatch(await failure(chain.setWeights(netuid, validator.hotkey, [uids[1]!, uids[1]!], [1, 2], 0)), "DuplicateUids")
      expectDispatch(await failure(chain.setWeights(netuid, validator.hotkey, [uids[1]!, Uid.make(999)], [1, 2], 0)), "InvalidUid")
      await run(chain.sudo(sudoKey, { method: "sudoSetWeightsVersionKey", args: [netuid, 5] }))
      expectDispatch(await failure(chain.setWeights(netuid, validator.hotkey, [uids[1]!], [1], 4)), "IncorrectNetworkVersionKey")
      // A higher key than the subnet's is accepted.
      expect((await run(chain.setWeights(netuid, validator.hotkey, [uids[1]!], [1], 6))).mode).toBe("direct")
      await run(chain.sudo(sudoKey, { method: "sudoSetWeightsVersionKey", args: [netuid, 0] }))
    }, TIMEOUT)

    test("rate limit: a second setWeights within weightsRateLimit is SettingWeightsTooFast; later it lands", async () => {
      const { chain, sudoKey, newBlocks } = env()
      await run(chain.sudo(sudoKey, { method: "sudoSetWeightsSetRateLimit", args: [netuid, 4] }))
      const attempt = () => run(Effect.either(chain.setWeights(netuid, validator.hotkey, [uids[1]!], [1], 0)))
      let firstTry = await attempt()
      if (firstTry._tag === "Left") {
        // The limit may already bite for the earlier weights: wait it out once.
        expectDispatch(firstTry.left, "SettingWeightsTooFast")
        await run(newBlocks(4))
        firstTry = await attempt()
      }
      if (firstTry._tag === "Left") throw firstTry.left
      const first = firstTry.right
      const tooFast = expectDispatch(await failure(chain.setWeights(netuid, validator.hotkey, [uids[2]!], [1], 0)), "SettingWeightsTooFast")
      expect(tooFast.name).toBe("SettingWeightsTooFast")
      expect((await run(chain.hyperparameters(netuid))).weightsRateLimit).toBe(4)
      await run(newBlocks(Math.max(0, first.block + 4 - (await run(chain.block)) - 1)))
      expect((await run(chain.setWeights(netuid, validator.hotkey, [uids[2]!], [1], 0))).block).toBeGreaterThanOrEqual(first.block + 4)
      await run(chain.sudo(sudoKey, { method: "sudoSetWeightsSetRateLimit", args: [netuid, 0] }))
    }, TIMEOUT)

    test("concurrent setWeights and serveAxon from one signer all land (self-numbered nonces)", async () => {
      const { chain } = env()
      const results = await run(
        Effect.all(
          [
            chain.setWeights(netuid, validator.hotkey, [uids[1]!, uids[2]!], [1, 2], 0),
            chain.serveAxon(netuid, validator.hotkey, { ip: "127.0.0.3", port: 8092, version: 2 }),
            chain.setWeights(netuid, validator.hotkey, [uids[1]!, uids[2]!], [2, 1], 0),
            chain.setWeights(netuid, validator.hotkey, [uids[1]!, uids[2]!], [3, 1], 0)
          ],
          { concurrency: "unbounded" }
        )
      )
      const blocks = results.map((r) => r.block)
      expect(new Set(blocks).size).toBe(blocks.length)
      const last = (await run(chain.weightsOf(netuid, uids[0]!)))
      // The weights of whichever setWeights landed last are on chain.
      const lastBlock = Math.max(results[0]!.block, results[2]!.block, results[3]!.block)
      const expected = lastBlock === results[0]!.block ? [32767, 65535] : lastBlock === results[2]!.block ? [65535, 32767] : [65535, 21845]
      expect(last.map(([, w]) => w)).toEqual(expected)
    }, TIMEOUT)

    test("validator permit: with one validator slot the unstaked miner loses its permit (spec 218 keeps every permit)", async () => {
      const e = env()
      const { chain, sudoKey } = e
      await run(chain.addStake(netuid, validator.coldkey, Hotkey.make(validator.hotkey.ss58Address), 10_000_000_000n))
      await run(chain.sudo(sudoKey, { method: "sudoSetMaxAllowedValidators", args: [netuid, 1] }))
      await run(e.nextEpoch(netuid))
      const mg = await run(chain.metagraph(netuid))
      expect(mg.neurons.find((n) => n.uid === uids[0])?.validatorPermit).toBe(true)
      const miner = miners[0]!
      const others = [uids[0]!, uids[2]!]
      if (e.permitsFollowStake) {
        expect(mg.neurons.find((n) => n.uid === uids[1])?.validatorPermit).toBe(false)
        expectDispatch(await failure(chain.setWeights(netuid, miner.hotkey, others, [1, 1], 0)), "NoValidatorPermit")
        // A neuron without a permit may still weight itself alone.
        expect((await run(chain.setWeights(netuid, miner.hotkey, [uids[1]!], [65535], 0))).mode).toBe("direct")
      } else {
        expect(mg.neurons.every((n) => n.validatorPermit)).toBe(true)
        expect((await run(chain.setWeights(netuid, miner.hotkey, others, [1, 1], 0))).mode).toBe("direct")
      }
      await run(chain.sudo(sudoKey, { method: "sudoSetMaxAllowedValidators", args: [netuid, 64] }))
    }, TIMEOUT)

    test("weightsRuntime: commit-reveal off, no timelocked calls or epoch counter on these runtimes → set_weights; commit-reveal on → hash commit-reveal", async () => {
      const { chain, sudoKey } = env()
      const rt = await run(chain.weightsRuntime(netuid))
      expect(rt).toMatchObject({ netuid, commitRevealEnabled: false, commitRevealVersion: undefined, mechanismCount: 1, epoch: undefined })
      expect(rt.calls).toEqual({ setMechanismWeights: false, commitMechanismWeights: false, commitTimelockedWeights: false, commitTimelockedMechanismWeights: false })
      expect(chooseWeightsPath(rt, 0)).toEqual({ _tag: "SetWeights", mechanism: false })
      expect(chooseWeightsPath(rt, 1)._tag).toBe("NoWeightsPath")
      await run(chain.sudo(sudoKey, { method: "sudoSetCommitRevealWeightsEnabled", args: [netuid, true] }))
      try {
        const on = await run(chain.weightsRuntime(netuid))
        expect(chooseWeightsPath(on, 0)).toEqual({ _tag: "HashCommitReveal", by: on.revealUnit, mechanism: false })
      } finally {
        await run(chain.sudo(sudoKey, { method: "sudoSetCommitRevealWeightsEnabled", args: [netuid, false] }))
      }
    }, TIMEOUT)

    test("hyperparameters follow sudo; sudo from another key is refused; a missing subnet is an invalid argument", async () => {
      const { chain, sudoKey } = env()
      const h = await run(chain.hyperparameters(netuid))
      expect(h).toMatchObject({ netuid, tempo: 1, weightsRateLimit: 0, servingRateLimit: 0, weightsVersionKey: 0, commitRevealEnabled: false })
      expect(h.subnetworkN).toBeGreaterThanOrEqual(3)
      expectDispatch(await failure(chain.sudo(validator.coldkey, { method: "sudoSetTempo", args: [netuid, 2] })), "BadOrigin")
      // A batch is all or nothing: the missing subnet fails it and the tempo stays.
      const batch = [
        { method: "sudoSetTempo", args: [netuid, 3] },
        { method: "sudoSetTempo", args: [999, 3] }
      ]
      expectDispatch(await failure(chain.sudo(sudoKey, batch)), "NetworkDoesNotExist")
      expect((await run(chain.hyperparameters(netuid))).tempo).toBe(1)
      expect(await failure(chain.metagraph(Netuid.make(999)))).toBeInstanceOf(ChainInvalidArgument)
      expect(await failure(chain.sudo(sudoKey, { method: "sudoDoesNotExist", args: [] }))).toBeInstanceOf(ChainInvalidArgument)
    }, TIMEOUT)
  })
