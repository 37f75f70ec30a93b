import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { Either, Schema } from "effect"
import type { Metagraph, Neuron } from "../../../src/domain/chain/metagraph.ts"
import { isValidator, selectMiners } from "../../../src/domain/scoring/miner-selection.ts"
import { makeRng } from "../../../src/domain/prng.ts"
import { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { buildRequest } from "../../../src/domain/scoring/request-builder.ts"
import { testNeuron } from "../../support/fixtures.ts"
import { Netuid } from "../../../src/domain/chain/ids.ts"

const neuron = (uid: number, over: Partial<Neuron> = {}): Neuron =>
  testNeuron(uid, { axon: { ip: `127.0.0.${uid + 2}`, port: 9000 + uid, ipType: 4, protocol: 4, version: 1, block: 1 }, ...over })

describe("selectMiners", () => {
  const metagraph: Metagraph = {
    netuid: Netuid.make(1),
    block: 10,
    neurons: [
      neuron(0, { stake: 5000 }), // validator
      neuron(1),
      neuron(2, { axon: { ip: "0.0.0.0", port: 0, ipType: 0, protocol: 0, version: 0, block: 0 } }), // not serving
      neuron(3),
      neuron(4, { stake: 10 }), // permit but low stake: a miner (small subnets give everyone a permit)
      neuron(5)
    ]
  }

  test("serving non-validators other than self, at most sampleSize", () => {
    const picked = selectMiners(metagraph, { self: "hk5", sampleSize: 10, vpermitTaoLimit: 1000 }, makeRng(1))
    expect(picked.map((n): number => n.uid).sort()).toEqual([1, 3, 4])
    expect(selectMiners(metagraph, { self: "hk5", sampleSize: 2, vpermitTaoLimit: 1000 }, makeRng(1))).toHaveLength(2)
    expect(isValidator(metagraph.neurons[0]!, 1000)).toBe(true)
  })

  test("the sample is a uniform-ish random subset, reproducible from the seed", () => {
    const seen = new Map<number, number>()
    for (let s = 0; s < 600; s++)
      for (const n of selectMiners(metagraph, { self: "hk5", sampleSize: 1, vpermitTaoLimit: 1000 }, makeRng(s)))
        seen.set(n.uid, (seen.get(n.uid) ?? 0) + 1)
    for (const uid of [1, 3, 4]) expect(seen.get(uid)!).toBeGreaterThan(120)
    const a = selectMiners(metagraph, { self: "", sampleSize: 3, vpermitTaoLimit: 1000 }, makeRng("x"))
    const b = selectMiners(metagraph, { self: "", sampleSize: 3, vpermitTaoLimit: 1000 }, makeRng("x"))
    expect(a).toEqual(b)
  })
})

describe("buildRequest", () => {
  const item = { source: "t", prompt: "Which is kinder?", completions: ["kind words", "rude words"], preference: { chosen: 0, rejected: 1 } }

  test("a valid RankingRequest whose evaluation cids point at the right texts", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const built = buildRequest(item, { requestId: "r", epochTimestamp: 1.5, evaluate: true }, makeRng(seed))
        expect(Either.isRight(Schema.decodeUnknownEither(RankingRequest)(Schema.encodeSync(RankingRequest)(built.request)))).toBe(true)
        const text = (cid: string) => built.request.completions.find((c) => c.cid === cid)!.text
        expect(text(built.evaluation!.chosenCid)).toBe("kind words")
        expect(text(built.evaluation!.rejectedCid)).toBe("rude words")
      })
    )
  })

  test("the chosen completion is shown first about half the time, so position tells nothing", () => {
    let first = 0
    for (let s = 0; s < 1000; s++) {
      const built = buildRequest(item, { requestId: "r", epochTimestamp: 1, evaluate: true }, makeRng(s))
      if (built.request.completions[0]!.cid === built.evaluation!.chosenCid) first++
    }
    expect(first).toBeGreaterThan(420)
    expect(first).toBeLessThan(580)
  })

  test("seed requests keep no answer", () => {
    expect(buildRequest(item, { requestId: "r", epochTimestamp: 1, evaluate: false }, makeRng(1)).evaluation).toBeNull()
  })
})
