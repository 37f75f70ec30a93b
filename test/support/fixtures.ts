/**
 * Fixtures several suites share: the Python SDK tests' TextSynapse, a neuron with neutral figures, and a
 * RankingRequest with neutral fields.
 */
import { Schema } from "effect"
import { Hotkey, Uid } from "../../src/domain/chain/ids.ts"
import { unservedAxon, type Neuron } from "../../src/domain/chain/metagraph.ts"
import type { Completion, RankingRequest } from "../../src/domain/wire/protocol.ts"
import { Py, type PyFields } from "../../src/domain/wire/python-str.ts"
import type { SynapseDefinition } from "../../src/domain/wire/synapse.ts"

const TextBody = Schema.Struct({ text: Schema.optionalWith(Schema.String, { default: () => "" }) })

/** The SDK tests' TextSynapse: `text: str = ""`, `required_hash_fields = ("text",)`. */
export const TextSynapse: SynapseDefinition<typeof TextBody.Type, typeof TextBody.Encoded> = {
  name: "TextSynapse",
  bodySchema: TextBody,
  fields: { text: Py.str },
  requiredHashFields: ["text"],
  requiredFields: [],
  immutableFields: [],
  defaultTimeout: 12
}

/** The fields of the SDK vectors' MixedSynapse, as its Python source declares them. */
export const mixedSynapseFields: PyFields = {
  an_int: Py.int,
  a_float: Py.float,
  small_float: Py.float,
  big_float: Py.float,
  flag: Py.bool,
  nothing: Py.optional(Py.str),
  scores: Py.list(Py.float),
  nested: Py.dict(Py.any),
  quoted: Py.str
}

/** A registered neuron with zero figures and no axon; override what a test cares about. */
export const testNeuron = (
  uid: number,
  { hotkey, ...overrides }: Partial<Omit<Neuron, "uid" | "hotkey">> & { readonly hotkey?: string } = {}
): Neuron => ({
  uid: Uid.make(uid),
  hotkey: Hotkey.make(hotkey ?? `hk${uid}`),
  coldkey: `ck${uid}`,
  stake: 0,
  validatorPermit: true,
  trust: 0,
  consensus: 0,
  incentive: 0,
  dividends: 0,
  validatorTrust: 0,
  emission: 0,
  lastUpdate: 0,
  active: true,
  axon: unservedAxon,
  ...overrides
})

/** Completions for `texts`, their cids `c0`, `c1`, ... unless `cidOf` names them otherwise. */
export const testCompletions = (texts: ReadonlyArray<string>, cidOf: (i: number) => string = (i) => `c${i}`): Array<Completion> =>
  texts.map((text, i) => ({ cid: cidOf(i), text }))

/**
 * A RankingRequest as a validator sends it (no ranks, no method), two completions `a` and `b`;
 * override what a test cares about. `n_completions` follows `completions` unless overridden too.
 */
export const testRankingRequest = (overrides: Partial<RankingRequest> = {}): RankingRequest => {
  const completions = overrides.completions ?? [
    { cid: "a", text: "x" },
    { cid: "b", text: "y" }
  ]
  return {
    epoch_timestamp: 1_718_000_000.5,
    request_id: "req-1",
    prompt: "p",
    n_completions: completions.length,
    completions,
    ranks: [],
    scoring_method: null,
    model_config: null,
    mturk_hit_id: null,
    modality: "text",
    ...overrides
  }
}
