/** Which miners a validator asks: serving neurons that are not validators, sampled at random. */
import { isServing, type Metagraph, type Neuron } from "../chain/metagraph.ts"
import { shuffle, type Rng } from "../prng.ts"

/** A neuron counts as a validator when it holds a permit and at least `vpermitTaoLimit` stake. */
export const isValidator = (neuron: Neuron, vpermitTaoLimit: number): boolean =>
  neuron.validatorPermit && neuron.stake >= vpermitTaoLimit

/** Up to `sampleSize` serving miners other than `self`, in random order. */
export const selectMiners = (
  metagraph: Metagraph,
  options: { readonly self: string; readonly sampleSize: number; readonly vpermitTaoLimit: number },
  rng: Rng
): ReadonlyArray<Neuron> => {
  const candidates = metagraph.neurons.filter(
    (n) => n.hotkey !== options.self && isServing(n.axon) && !isValidator(n, options.vpermitTaoLimit)
  )
  return shuffle(candidates, rng).slice(0, Math.max(0, options.sampleSize))
}
