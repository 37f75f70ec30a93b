/**
 * The signing layer the neurons share: the wallet from `--wallet.*`, and from its hotkey the Dendrite that
 * signs outgoing requests and the Axon that checks incoming ones against it (`--axon.*`). The pipelines
 * sign chain extrinsics with the same `Wallet`'s hotkey.
 */
import { Effect, Layer } from "effect"
import * as AxonLive from "../../adapters/axon/axon.ts"
import * as DendriteLive from "../../adapters/dendrite/dendrite.ts"
import * as WalletFs from "../../adapters/wallet/wallet-fs.ts"
import type { Axon } from "../../services/axon.ts"
import type { Dendrite } from "../../services/dendrite.ts"
import { Wallet, type WalletConfig, type WalletError } from "../../services/wallet.ts"
import { axonConfig, type AxonOptions } from "./axon.ts"

/** Wallet, Dendrite and Axon for one hotkey; fails (when built) on a missing, locked or malformed hotkey. */
export const signingLayer = (wallet: WalletConfig, axon: AxonOptions): Layer.Layer<Wallet | Dendrite | Axon, WalletError> => {
  const walletLayer = WalletFs.layer(wallet)
  const byHotkey = Layer.unwrapEffect(
    Effect.map(Effect.flatMap(Wallet, (w) => w.hotkey), (hotkey) =>
      Layer.merge(DendriteLive.layer({ hotkey }), AxonLive.layer(axonConfig(axon, hotkey.ss58Address)))
    )
  ).pipe(Layer.provide(walletLayer))
  return Layer.merge(walletLayer, byHotkey)
}
