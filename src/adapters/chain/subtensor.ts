/**
 * The live `Chain`: @polkadot/api against a subtensor node (finney, testnet, or a local chopsticks
 * chain). One connection per layer, remade after a drop; a time limit on every call; types from the
 * runtime metadata; nonces numbered here so one signer's transactions never collide.
 */
import type { ApiPromise } from "@polkadot/api"
import type { SubmittableExtrinsic } from "@polkadot/api/types"
import type { KeyringPair } from "@polkadot/keyring/types"
import { Duration, Effect, Layer, Option, Schedule, type Scope } from "effect"
import { Hotkey, Netuid, Uid } from "../../domain/chain/ids.ts"
import { parseIp } from "../../domain/chain/ip.ts"
import { mechanismStorageIndex } from "../../domain/chain/weights-path.ts"
import type { Keypair } from "../../domain/wallet/keypair.ts"
import type { Metagraph } from "../../domain/chain/metagraph.ts"
import {
  Chain,
  ChainInvalidArgument,
  ChainUnsupported,
  type AdminCall,
  type ChainShape,
  type ServeAxonParams,
  type TimelockedCommit
} from "../../services/chain.ts"
import { planCommit, readWeightsRuntime, revealWindow } from "./commit-reveal.ts"
import { makeConnection } from "./connection.ts"
import { submit, sudoResult, type Included, type TxContext } from "./extrinsics.ts"
import { head, readHyperparameters, readMetagraphStorage, subnetExists, subtensorStorage } from "./metagraph.ts"
import { read, timed } from "./rpc.ts"
import { makeSignerQueue } from "./signer-queue.ts"

/** Known networks, as the Python SDK names them. */
export const NETWORK_ENDPOINTS = {
  finney: "wss://entrypoint-finney.opentensor.ai:443",
  test: "wss://test.finney.opentensor.ai:443",
  local: "ws://127.0.0.1:9944"
} as const

/** Settings of the live adapter. */
export interface SubtensorOptions {
  readonly endpoint: string
  /** Limit for reads (connecting included). Default 30 s. */
  readonly timeout?: Duration.DurationInput
  /** Limit for a transaction from signing to inclusion. Default 120 s. */
  readonly txTimeout?: Duration.DurationInput
  /** Seconds per block, to bound the wait for a commit-reveal window. Default 12. */
  readonly blockSeconds?: number
}

type TxModule = Record<string, ((...args: ReadonlyArray<unknown>) => SubmittableExtrinsic<"promise">) & { meta: { args: { length: number } } }>
const txModule = (api: ApiPromise, pallet: string): TxModule | undefined =>
  (api.tx as unknown as Record<string, TxModule | undefined>)[pallet]

const txCall = (api: ApiPromise, pallet: string, method: string) => {
  const f = txModule(api, pallet)?.[method]
  if (f === undefined) throw new Error(`this runtime has no ${pallet}.${method}`)
  return f
}

const eventData = (included: Included, section: string, method: string): ReadonlyArray<{ toString(): string; toJSON(): unknown }> | undefined =>
  included.events.find(({ event }) => event.section === section && event.method === method)?.event.data as never

const randomSalt = (): ReadonlyArray<number> => Array.from(crypto.getRandomValues(new Uint16Array(8)))

/** Builds the live `Chain`; the scope owns the connection. */
export const make = (options: SubtensorOptions): Effect.Effect<ChainShape, never, Scope.Scope> =>
  Effect.gen(function* () {
    const timeoutMs = Duration.toMillis(options.timeout ?? Duration.seconds(30))
    const txTimeoutMs = Duration.toMillis(options.txTimeout ?? Duration.seconds(120))
    const blockMs = (options.blockSeconds ?? 12) * 1000
    const conn = yield* makeConnection(options.endpoint)
    const ctx: TxContext = {
      conn,
      queue: yield* makeSignerQueue,
      timeoutMs: txTimeoutMs,
      pairs: new Map<string, KeyringPair>(),
      pollMs: Math.min(blockMs / 2, 3000)
    }
    const cache = new Map<number, { readonly hash: string; readonly metagraph: Metagraph }>()

    const q = <A>(operation: string, f: (api: ApiPromise) => Promise<A>) => read(conn, operation, timeoutMs, f)

    /** Fails with ChainInvalidArgument when the subnet does not exist. */
    const requireSubnet = (operation: string, netuid: number) =>
      Effect.flatMap(q(operation, (api) => subnetExists(api, netuid)), (exists) =>
        exists ? Effect.void : Effect.fail(new ChainInvalidArgument({ operation, reason: `subnet ${netuid} does not exist` }))
      )

    const block = q("block", (api) => head(api).then((h) => h.number))

    const metagraph = (netuid: Netuid) =>
      Effect.gen(function* () {
        yield* requireSubnet("metagraph", netuid)
        return yield* q("metagraph", async (api) => {
          const at = await head(api)
          const hit = cache.get(netuid)
          if (hit && hit.hash === at.hash) return hit.metagraph
          const fresh = await readMetagraphStorage(api, netuid, at)
          cache.set(netuid, { hash: at.hash, metagraph: fresh })
          return fresh
        })
      })

    const hyperparameters = (netuid: Netuid) =>
      Effect.zipRight(requireSubnet("hyperparameters", netuid), q("hyperparameters", (api) => readHyperparameters(api, netuid)))

    const uidOf = (netuid: Netuid, hotkey: Hotkey) =>
      q("uidOf", async (api) => {
        const uid = (await subtensorStorage(api)["uids"]?.(netuid, hotkey)) as unknown as
          | { isSome: boolean; unwrap(): { toNumber(): number } }
          | undefined
        return uid?.isSome ? Option.some(Uid.make(uid.unwrap().toNumber())) : Option.none<Uid>()
      })

    const weightsOf = (netuid: Netuid, uid: Uid, mechanismId = 0) =>
      q("weightsOf", async (api) => {
        const raw = (await subtensorStorage(api)["weights"]?.(mechanismStorageIndex(netuid, mechanismId), uid))?.toJSON()
        return (Array.isArray(raw) ? raw : []).map((p) => [Uid.make(Number((p as Array<number>)[0])), Number((p as Array<number>)[1])] as const)
      })

    const tx = (operation: string, signer: Keypair, pallet: string, method: string, args: (api: ApiPromise) => ReadonlyArray<unknown>) =>
      submit(ctx, operation, signer, (api) => txCall(api, pallet, method)(...args(api)))

    const burnedRegister = (netuid: Netuid, coldkey: Keypair, hotkey: Hotkey) =>
      Effect.gen(function* () {
        yield* requireSubnet("burnedRegister", netuid)
        const included = yield* tx("burnedRegister", coldkey, "subtensorModule", "burnedRegister", () => [netuid, hotkey])
        const registered = eventData(included, "subtensorModule", "NeuronRegistered")
        if (registered?.[1] !== undefined) return Uid.make(Number(registered[1].toJSON()))
        const uid = yield* uidOf(netuid, hotkey)
        return yield* Option.match(uid, {
          onSome: Effect.succeed,
          onNone: () => Effect.fail(new ChainUnsupported({ operation: "burnedRegister", reason: "registered, but no uid was found" }))
        })
      })

    const serveAxon = (netuid: Netuid, hotkey: Keypair, params: ServeAxonParams) =>
      Effect.gen(function* () {
        const parsed = parseIp(params.ip)
        if (Option.isNone(parsed)) {
          return yield* Effect.fail(new ChainInvalidArgument({ operation: "serveAxon", reason: `not an IP address: ${params.ip}` }))
        }
        const ip = parsed.value.value
        const ipType = params.ipType ?? parsed.value.version
        const protocol = params.protocol ?? 4
        const current = yield* q("serveAxon", async (api) => {
          const axon = (await subtensorStorage(api)["axons"]?.(netuid, hotkey.ss58Address)) as unknown as
            | { isSome?: boolean; unwrap(): { get(n: string): { toBigInt(): bigint; toNumber(): number } } }
            | undefined
          if (axon === undefined || axon.isSome === false) return undefined
          const a = axon.unwrap()
          return {
            ip: a.get("ip").toBigInt(),
            port: a.get("port").toNumber(),
            ipType: a.get("ipType").toNumber(),
            protocol: a.get("protocol").toNumber(),
            version: a.get("version").toNumber(),
            block: a.get("block").toNumber()
          }
        })
        if (
          current !== undefined &&
          current.ip === ip &&
          current.port === params.port &&
          current.ipType === ipType &&
          current.protocol === protocol &&
          current.version === params.version
        ) {
          return { _tag: "Unchanged" as const, block: current.block }
        }
        const included = yield* tx("serveAxon", hotkey, "subtensorModule", "serveAxon", () => [
          netuid, params.version, ip, params.port, ipType, protocol, 0, 0
        ])
        return { _tag: "Served" as const, block: included.block }
      })

    const setWeights = (
      netuid: Netuid,
      hotkey: Keypair,
      uids: ReadonlyArray<Uid>,
      weights: ReadonlyArray<number>,
      versionKey: number,
      mechanismId = 0
    ) =>
      Effect.gen(function* () {
        const commitReveal = yield* q("setWeights", async (api) =>
          (await subtensorStorage(api)["commitRevealWeightsEnabled"]?.(netuid))?.isTrue === true
        )
        // Mechanism 0 keeps the plain calls (every runtime has them); mechanisms > 0 need the mecid variants.
        const mech = mechanismId > 0
        if (!commitReveal) {
          const included = mech
            ? yield* tx("setWeights", hotkey, "subtensorModule", "setMechanismWeights", () => [netuid, mechanismId, uids, weights, versionKey])
            : yield* tx("setWeights", hotkey, "subtensorModule", "setWeights", () => [netuid, uids, weights, versionKey])
          return { block: included.block, mode: "direct" as const }
        }
        const salt = randomSalt()
        const plan = yield* q("setWeights", async (api) => planCommit(api, hotkey.ss58Address, netuid, uids, weights, versionKey, salt, mechanismId))
        const committed = mech
          ? yield* tx("commitWeights", hotkey, "subtensorModule", "commitMechanismWeights", () => [netuid, mechanismId, plan.hash])
          : yield* tx("commitWeights", hotkey, "subtensorModule", "commitWeights", () => [netuid, plan.hash])
        const window = yield* q("setWeights", (api) => revealWindow(api, netuid, hotkey.ss58Address, plan.hash, committed.block, mechanismId))
        // Wait until the next block falls inside the window; the chain has to keep producing blocks.
        const waitMs = Math.max(0, window.first - committed.block + 2) * blockMs + txTimeoutMs
        yield* block.pipe(
          Effect.repeat({ until: (b) => b + 1 >= window.first, schedule: Schedule.spaced(Duration.millis(Math.min(blockMs / 4, 1000))) }),
          timed(conn, "setWeights (waiting for the reveal window)", waitMs)
        )
        const revealed = yield* tx("revealWeights", hotkey, "subtensorModule", mech ? "revealMechanismWeights" : "revealWeights", () => plan.revealArgs)
        return { block: revealed.block, mode: "commitReveal" as const, commitBlock: committed.block }
      })

    const weightsRuntime = (netuid: Netuid) =>
      Effect.zipRight(requireSubnet("weightsRuntime", netuid), q("weightsRuntime", (api) => readWeightsRuntime(api, netuid, blockMs / 1000)))

    const commitTimelockedWeights = (hotkey: Keypair, c: TimelockedCommit) =>
      Effect.map(
        c.mechanism
          ? tx("commitTimelockedWeights", hotkey, "subtensorModule", "commitTimelockedMechanismWeights", () => [
              c.netuid, c.mechanismId, c.commit, c.revealRound, c.commitRevealVersion
            ])
          : c.mechanismId !== 0
            ? Effect.fail(new ChainInvalidArgument({ operation: "commitTimelockedWeights", reason: "a mechanism id > 0 needs commit_timelocked_mechanism_weights" }))
            : tx("commitTimelockedWeights", hotkey, "subtensorModule", "commitTimelockedWeights", () => [
                c.netuid, c.commit, c.revealRound, c.commitRevealVersion
              ]),
        (included) => included.block
      )

    const addStake = (netuid: Netuid, coldkey: Keypair, hotkey: string, amountRao: bigint) =>
      Effect.map(
        tx("addStake", coldkey, "subtensorModule", "addStake", (api) =>
          txCall(api, "subtensorModule", "addStake").meta.args.length >= 3 ? [hotkey, netuid, amountRao] : [hotkey, amountRao]
        ),
        (included) => included.block
      )

    const registerNetwork = (owner: Keypair, hotkey: string) =>
      Effect.gen(function* () {
        const included = yield* tx("registerNetwork", owner, "subtensorModule", "registerNetwork", (api) =>
          // Dynamic-TAO runtimes take the owner hotkey and a mechanism id (1 = dynamic; 0 is refused).
          txCall(api, "subtensorModule", "registerNetwork").meta.args.length >= 2 ? [hotkey, 1] : []
        )
        const added = eventData(included, "subtensorModule", "NetworkAdded")
        if (added?.[0] === undefined) {
          return yield* Effect.fail(new ChainUnsupported({ operation: "registerNetwork", reason: "no NetworkAdded event" }))
        }
        return Netuid.make(Number(added[0].toJSON()))
      })

    const sudo = (sudoKey: Keypair, call: AdminCall | ReadonlyArray<AdminCall>) => {
      const calls: ReadonlyArray<AdminCall> = Array.isArray(call) ? call : [call as AdminCall]
      const operation = `sudo ${calls.map((c) => c.method).join(", ")}`
      return Effect.map(
        submit(
          ctx,
          operation,
          sudoKey,
          (api) => {
            const inner = calls.map((c) => txCall(api, "adminUtils", c.method)(...c.args))
            const one = inner.length === 1 && inner[0] !== undefined ? inner[0] : txCall(api, "utility", "batchAll")(inner)
            return txCall(api, "sudo", "sudo")(one)
          },
          (api, included) => sudoResult(api, operation, included)
        ),
        (included) => included.block
      )
    }

    return {
      endpoint: options.endpoint,
      block,
      metagraph,
      hyperparameters,
      uidOf,
      weightsOf,
      burnedRegister,
      serveAxon,
      setWeights,
      weightsRuntime,
      commitTimelockedWeights,
      addStake,
      registerNetwork,
      sudo
    } satisfies ChainShape as ChainShape
  })

/** The live `Chain` as a scoped layer (one connection for the layer's lifetime). */
export const layer = (options: SubtensorOptions): Layer.Layer<Chain> => Layer.scoped(Chain, make(options))
