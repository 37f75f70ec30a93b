/**
 * Nonces numbered by this process, one signer at a time. Chopsticks in Instant mode (and a busy node)
 * answer `system_accountNextIndex` without the transactions already on their way, so `nonce: -1` hands
 * two back-to-back transactions the same nonce. Here each signer's submissions are serialised only
 * until the pool accepts them: the nonce is max(chain's next index, ours), and inclusion is awaited
 * outside the lock, so n, n+1, n+2 travel together.
 */
import { Effect, Ref } from "effect"

interface SignerState {
  readonly lock: Effect.Semaphore
  readonly next: Ref.Ref<bigint | undefined>
}

/** Per-signer nonce numbering. */
export interface SignerQueue {
  /**
   * Picks the signer's next nonce and runs `send(nonce)` under the signer's lock; `send` should return
   * once the pool has accepted the transaction. A failed `send` forgets the local count.
   */
  readonly withNonce: <A, E1, E2, R1, R2>(
    signer: string,
    chainNext: Effect.Effect<bigint, E1, R1>,
    send: (nonce: bigint) => Effect.Effect<A, E2, R2>
  ) => Effect.Effect<A, E1 | E2, R1 | R2>
  /** Forgets the local count (a transaction was dropped after acceptance), so the chain's is used again. */
  readonly reset: (signer: string) => Effect.Effect<void>
}

/** A fresh queue (one per `Chain` layer). */
export const makeSignerQueue: Effect.Effect<SignerQueue> = Effect.gen(function* () {
  const signers = new Map<string, SignerState>()
  const stateOf = (signer: string) =>
    Effect.gen(function* () {
      const existing = signers.get(signer)
      if (existing) return existing
      const fresh: SignerState = { lock: yield* Effect.makeSemaphore(1), next: yield* Ref.make<bigint | undefined>(undefined) }
      // Another fiber may have raced us here between the get and the set; keep the first.
      const again = signers.get(signer)
      if (again) return again
      signers.set(signer, fresh)
      return fresh
    })

  const withNonce: SignerQueue["withNonce"] = (signer, chainNext, send) =>
    Effect.flatMap(stateOf(signer), (state) =>
      state.lock.withPermits(1)(
        Effect.gen(function* () {
          const onChain = yield* chainNext
          const local = yield* Ref.get(state.next)
          const nonce = local !== undefined && local > onChain ? local : onChain
          return yield* send(nonce).pipe(
            Effect.tap(() => Ref.set(state.next, nonce + 1n)),
            Effect.tapErrorCause(() => Ref.set(state.next, undefined))
          )
        })
      )
    )

  const reset = (signer: string) =>
    Effect.suspend(() => {
      const state = signers.get(signer)
      return state ? Ref.set(state.next, undefined) : Effect.void
    })

  return { withNonce, reset }
})
