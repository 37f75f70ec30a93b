/**
 * Signing, sending and waiting for inclusion. One transaction = sign with a self-numbered nonce (see
 * signer-queue.ts), submit and watch it, and once it is in a block read that block's events for it
 * (finality costs time and adds nothing here). The watch is not trusted alone: a lost status
 * notification would otherwise hang the call until its time limit, so while waiting the signer's nonce
 * on chain is polled too, and when it has moved past ours the recent blocks are searched for the
 * transaction. A dispatch error, a pool refusal or a dropped connection becomes its typed error.
 */
import type { ApiPromise } from "@polkadot/api"
import type { SubmittableExtrinsic } from "@polkadot/api/types"
import type { KeyringPair } from "@polkadot/keyring/types"
import type { DispatchError, EventRecord } from "@polkadot/types/interfaces"
import { Deferred, Duration, Effect, Schedule } from "effect"
import type { Keypair } from "../../domain/wallet/keypair.ts"
import {
  ChainInvalidArgument,
  ChainTxRejected,
  ChainUnavailable,
  type ChainDispatchError,
  type ChainError
} from "../../services/chain.ts"
import type { Connection, Live } from "./connection.ts"
import { decodeDispatchError, isConnectionError, poolRejection } from "./errors.ts"
import { timed } from "./rpc.ts"
import type { SignerQueue } from "./signer-queue.ts"
import { toKeyringPair } from "../wallet/sr25519.ts"

/** A transaction that made it into a block without a dispatch error. */
export interface Included {
  readonly blockHash: string
  readonly block: number
  readonly events: ReadonlyArray<EventRecord>
}

/** What a submission needs from its adapter. */
export interface TxContext {
  readonly conn: Connection
  readonly queue: SignerQueue
  readonly timeoutMs: number
  readonly pairs: Map<string, KeyringPair>
  /** How often to look for the transaction on chain besides watching it. */
  readonly pollMs: number
}

interface Status {
  readonly type: string
  readonly isInBlock: boolean
  readonly isFinalized: boolean
  readonly isInvalid: boolean
  readonly isDropped: boolean
  readonly isUsurped: boolean
  readonly asInBlock: { toHex(): string }
  readonly asFinalized: { toHex(): string }
}

type Outcome = { readonly _tag: "Ok"; readonly included: Included } | { readonly _tag: "Failed"; readonly error: DispatchError }

const pairOf = (ctx: TxContext, operation: string, key: Keypair): Effect.Effect<KeyringPair, ChainInvalidArgument> =>
  Effect.suspend(() => {
    const cached = ctx.pairs.get(key.ss58Address)
    if (cached) return Effect.succeed(cached)
    return Effect.try({
      try: () => {
        const pair = toKeyringPair(key)
        ctx.pairs.set(key.ss58Address, pair)
        return pair
      },
      catch: (e) => new ChainInvalidArgument({ operation, reason: e instanceof Error ? e.message : String(e) })
    })
  })

/** The `sudo.Sudid` result of a sudo transaction (a sudo "succeeds" even when its inner call fails). */
export const sudoResult = (api: ApiPromise, operation: string, included: Included): ChainDispatchError | undefined => {
  for (const { event } of included.events) {
    if (event.section === "sudo" && event.method === "Sudid") {
      const result = event.data[0] as unknown as { isErr: boolean; asErr: DispatchError }
      if (result.isErr) return decodeDispatchError(api, operation, result.asErr)
    }
  }
  return undefined
}

/** The transaction's outcome in block `blockHash`, or undefined when the block does not hold it. */
const outcomeIn = async (api: ApiPromise, blockHash: string, txHash: string): Promise<Outcome | undefined> => {
  const signed = await api.rpc.chain.getBlock(blockHash)
  const index = signed.block.extrinsics.findIndex((x) => x.hash.toHex() === txHash)
  if (index < 0) return undefined
  const system = (api.query as unknown as Record<string, Record<string, { at(hash: string): Promise<unknown> }>>)["system"]
  const all = ((await system?.["events"]?.at(blockHash)) ?? []) as ReadonlyArray<EventRecord>
  const events = all.filter((r) => r.phase.isApplyExtrinsic && r.phase.asApplyExtrinsic.toNumber() === index)
  const failed = events.find((r) => r.event.section === "system" && r.event.method === "ExtrinsicFailed")
  if (failed) return { _tag: "Failed", error: failed.event.data[0] as unknown as DispatchError }
  return { _tag: "Ok", included: { blockHash, block: signed.block.header.number.toNumber(), events } }
}

/** Looks for the transaction in blocks `from`…head (used when its status notification went missing). */
const searchBlocks = async (api: ApiPromise, from: number, txHash: string): Promise<Outcome | undefined> => {
  const head = (await api.rpc.chain.getHeader()).number.toNumber()
  for (let n = Math.max(1, from); n <= head; n++) {
    const hash = (await api.rpc.chain.getBlockHash(n)).toHex()
    const found = await outcomeIn(api, hash, txHash)
    if (found) return found
  }
  return undefined
}

/**
 * Signs `build(api)` with `signer`, sends it and waits until it is in a block. Fails with
 * `ChainDispatchError` (the runtime refused it), `ChainTxRejected` (the pool did), `ChainUnavailable`
 * (the connection dropped meanwhile) or `ChainTimeout`.
 */
export const submit = (
  ctx: TxContext,
  operation: string,
  signer: Keypair,
  build: (api: ApiPromise) => SubmittableExtrinsic<"promise">,
  check?: (api: ApiPromise, included: Included) => ChainDispatchError | undefined
): Effect.Effect<Included, ChainError> =>
  Effect.gen(function* () {
    const pair = yield* pairOf(ctx, operation, signer)
    const live: Live = yield* ctx.conn.live
    const api = live.api
    const tx = yield* Effect.try({
      try: () => build(api),
      catch: (e) => new ChainInvalidArgument({ operation, reason: e instanceof Error ? e.message : String(e) })
    })
    const outcome = yield* Deferred.make<Outcome, ChainError>()
    const unavailable = (e: unknown) =>
      new ChainUnavailable({ endpoint: ctx.conn.endpoint, reason: e instanceof Error ? e.message : String(e) })
    const settleFrom = (p: Promise<Outcome | undefined>) =>
      p.then(
        (o) => o !== undefined && Deferred.unsafeDone(outcome, Effect.succeed(o)),
        (e) => Deferred.unsafeDone(outcome, Effect.fail(unavailable(e)))
      )

    const chainNext = Effect.tryPromise({
      try: () => api.rpc.system.accountNextIndex(signer.ss58Address).then((n) => n.toBigInt()),
      catch: unavailable
    })

    const sent = yield* ctx.queue.withNonce(signer.ss58Address, chainNext, (nonce) =>
      Effect.tryPromise({
        try: async () => {
          const fromBlock = (await api.rpc.chain.getHeader()).number.toNumber() + 1
          await tx.signAsync(pair, { nonce })
          const txHash = tx.hash.toHex()
          const onStatus = (status: Status) => {
            if (status.isInBlock) void settleFrom(outcomeIn(api, status.asInBlock.toHex(), txHash))
            else if (status.isFinalized) void settleFrom(outcomeIn(api, status.asFinalized.toHex(), txHash))
            else if (status.isInvalid || status.isDropped || status.isUsurped) {
              Effect.runFork(ctx.queue.reset(signer.ss58Address))
              Deferred.unsafeDone(outcome, Effect.fail(new ChainTxRejected({ operation, code: undefined, reason: `transaction ${status.type}` })))
            }
          }
          const author = api.rpc.author as unknown as {
            submitAndWatchExtrinsic(x: unknown, cb: (s: Status) => void): Promise<() => void>
          }
          const unsubscribe = await author.submitAndWatchExtrinsic(tx, onStatus)
          return { nonce, txHash, fromBlock, unsubscribe }
        },
        catch: (e) => (isConnectionError(e) ? unavailable(e) : poolRejection(operation, e))
      })
    )

    // The fallback: once the account's nonce on chain has passed ours, the transaction is in a block.
    const system = (api.query as unknown as Record<string, Record<string, (a: string) => Promise<{ nonce: { toBigInt(): bigint } }>>>)["system"]
    const poll = Effect.tryPromise(async () => {
      const account = await system?.["account"]?.(signer.ss58Address)
      if (account === undefined || account.nonce.toBigInt() <= sent.nonce) return false
      await settleFrom(searchBlocks(api, sent.fromBlock, sent.txHash))
      return true
    }).pipe(
      Effect.orElseSucceed(() => false),
      Effect.repeat({ until: (found) => found, schedule: Schedule.spaced(Duration.millis(ctx.pollMs)) }),
      Effect.delay(Duration.millis(ctx.pollMs))
    )

    const settled = yield* Effect.raceFirst(
      Deferred.await(outcome),
      Effect.raceFirst(
        Effect.zipRight(Deferred.await(live.lost), Effect.fail(unavailable(`connection lost while ${operation} was in flight`))),
        Effect.zipRight(poll, Effect.never)
      )
    ).pipe(Effect.ensuring(Effect.sync(() => sent.unsubscribe())))

    if (settled._tag === "Failed") return yield* Effect.fail(decodeDispatchError(api, operation, settled.error))
    const refused = check?.(api, settled.included)
    if (refused) return yield* Effect.fail(refused)
    return settled.included
  }).pipe(timed(ctx.conn, operation, ctx.timeoutMs))
