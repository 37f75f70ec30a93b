/** The one registration check of the miner's start-up and the validator's start-up and weights step. */
import { Effect, Option } from "effect"
import type { Netuid, Uid } from "../domain/chain/ids.ts"
import { Chain, NotRegistered } from "../services/chain.ts"
import { Wallet } from "../services/wallet.ts"

/** The uid our hotkey holds, or `NotRegistered` naming the wallet and the chain to register on. */
export const registeredUid = (uid: Option.Option<Uid>, netuid: Netuid, hotkey: string): Effect.Effect<Uid, NotRegistered, Chain | Wallet> =>
  Option.match(uid, {
    onSome: Effect.succeed,
    onNone: () =>
      Effect.flatMap(Effect.all([Chain, Wallet]), ([chain, wallet]) =>
        Effect.fail(new NotRegistered({ hotkey, netuid, endpoint: chain.endpoint, walletName: wallet.name, hotkeyName: wallet.hotkeyName }))
      )
  })
