import { describe, expect, test } from "bun:test"
import { Either, Schema } from "effect"
import { RankingRequest } from "../../../src/domain/wire/protocol.ts"
import { testRankingRequest } from "../../support/fixtures.ts"

const decode = Schema.decodeUnknownEither(RankingRequest)
// The required fields only, as a peer may send them; decoding fills in the rest.
const { ranks: _r, scoring_method: _s, model_config: _m, mturk_hit_id: _h, modality: _mo, ...base } = testRankingRequest()

describe("RankingRequest", () => {
  test("defaults fill the optional fields", () => {
    const r = Either.getOrThrow(decode(base))
    expect(r.ranks).toEqual([])
    expect(r.modality).toBe("text")
    expect(r.model_config).toBeNull()
  })

  test("model_config_ (Python 9.x key) is accepted and written back as model_config", () => {
    const r = Either.getOrThrow(decode({ ...base, model_config_: { model_name: "m" } }))
    expect(r.model_config).toEqual({ provider: null, model_name: "m" })
    const encoded = Schema.encodeSync(RankingRequest)(r) as Record<string, unknown>
    expect(encoded.model_config).toEqual({ provider: null, model_name: "m" })
    expect("model_config_" in encoded).toBe(false)
  })

  test("inconsistent counts and stray ranks are refused with a message naming the problem", () => {
    expect(String(Either.flip(decode({ ...base, n_completions: 3 })).pipe(Either.getOrThrow))).toContain("n_completions is 3")
    const stray = decode({ ...base, ranks: [{ cid: "zz", score: 1 }] })
    expect(Either.isLeft(stray) && String(stray.left)).toContain('"zz" is not one of the completions')
  })

  test("a bad field is named in the error", () => {
    const bad = decode({ ...base, completions: [{ cid: "a", text: 3 }, { cid: "b", text: "y" }] })
    expect(Either.isLeft(bad) && String(bad.left)).toContain("text")
  })
})
