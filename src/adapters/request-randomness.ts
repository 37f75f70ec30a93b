/**
 * `RequestRandomness` layers. `layer` (live): every draw comes from `crypto.getRandomValues`, 53
 * bits per number, so nothing a miner sees (ids, cids, order) tells it anything about the next draw or
 * about whether a request is an evaluation. `layerTest` (tests and replays only): one 31-bit seed per
 * request from Effect's `Random`, through prng.ts's splitmix — reproducible, and therefore searchable by
 * anyone who sees its output; never use it in a running validator.
 */
import { Effect, Layer, Random } from "effect"
import { makeRng, type Rng } from "../domain/prng.ts"
import { RequestRandomness } from "../services/request-randomness.ts"

const BUFFER = 512

/** A generator of uniform numbers in [0, 1) backed by the platform's CSPRNG (53 bits each). */
export const cryptoRng = (): Rng => {
  const words = new Uint32Array(BUFFER)
  let at = BUFFER
  const word = () => {
    if (at === BUFFER) {
      crypto.getRandomValues(words)
      at = 0
    }
    return words[at++]!
  }
  // 21 high bits and 32 low bits: every double in [0, 1) with step 2^-53.
  return () => ((word() >>> 11) * 4294967296 + word()) / 9007199254740992
}

/** Live: cryptographic draws. */
export const layer: Layer.Layer<RequestRandomness> = Layer.succeed(RequestRandomness, {
  rng: Effect.sync(cryptoRng)
})

/** Tests and replays: a splitmix generator seeded from Effect's `Random` (pin it with `Effect.withRandom`). */
export const layerTest: Layer.Layer<RequestRandomness> = Layer.succeed(RequestRandomness, {
  rng: Effect.map(Random.nextIntBetween(0, 2 ** 31 - 1), makeRng)
})
