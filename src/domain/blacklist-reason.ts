/**
 * Who may call the miner's synapses: registered neurons holding a validator permit and at least the
 * minimum stake. Both checks, because on a subnet with fewer neurons than validator slots (64) every
 * neuron holds a permit, miners included.
 */
import { Option } from "effect"
import type { Metagraph } from "./chain/metagraph.ts"

/** Why `hotkey` may not call us, or none when it may. */
export const blacklistReason = (metagraph: Metagraph, hotkey: string | null, minStake: number): Option.Option<string> => {
  if (hotkey === null || hotkey === "") return Option.some("Missing dendrite hotkey")
  const neuron = metagraph.neurons.find((n) => n.hotkey === hotkey)
  if (neuron === undefined) return Option.some(`Unrecognized hotkey ${hotkey}: not registered on subnet ${metagraph.netuid}`)
  if (!neuron.validatorPermit) return Option.some(`Not a validator: uid ${neuron.uid} has no validator permit`)
  if (!(neuron.stake >= minStake))
    return Option.some(`Stake ${neuron.stake} TAO of uid ${neuron.uid} is below the minimum of ${minStake} TAO`)
  return Option.none()
}
