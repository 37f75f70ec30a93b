/**
 * Dojo's three synapses on the wire: routes, declared Python types (for hashing and JSON), hashed,
 * required and immutable fields, and the timeouts callers use.
 *
 * The Python Dojo classes declare no `required_hash_fields`, so every Python peer hashes nothing
 * (sha3-256 of ""): that is what we send and always accept. An axon of ours also accepts the hash of
 * the immutable fields (`alsoAcceptedHashFields`, in field order so 6.x and 7.2+ peers agree), for a
 * Python operator who adds `required_hash_fields` to the classes; it never replaces the empty hash.
 */
import { MTurkResponse, RankingRequest, RankingResult } from "./protocol.ts"
import { Py } from "./python-str.ts"
import type { SynapseDefinition } from "./synapse-definition.ts"

const scores = Py.dict(Py.float)

/** A validator's request to score completions; the miner answers in `ranks`. */
export const RankingRequestSynapse: SynapseDefinition<RankingRequest, typeof RankingRequest.Encoded> = {
  name: "RankingRequest",
  bodySchema: RankingRequest,
  fields: {
    epoch_timestamp: Py.float,
    request_id: Py.str,
    prompt: Py.str,
    n_completions: Py.int,
    completions: Py.list(Py.model({ cid: Py.str, text: Py.str })),
    ranks: Py.list(Py.model({ cid: Py.str, score: Py.float })),
    scoring_method: Py.optional(Py.str),
    model_config: Py.optional(Py.model({ provider: Py.optional(Py.str), model_name: Py.str })),
    mturk_hit_id: Py.optional(Py.str),
    modality: Py.str
  },
  requiredHashFields: [],
  alsoAcceptedHashFields: [["epoch_timestamp", "request_id", "prompt", "n_completions", "completions"]],
  requiredFields: ["prompt", "n_completions", "completions"],
  immutableFields: ["epoch_timestamp", "request_id", "prompt", "n_completions", "completions"],
  defaultTimeout: 30
}

/** The consensus a validator reached on one request, sent to every participant. */
export const RankingResultSynapse: SynapseDefinition<RankingResult, typeof RankingResult.Encoded> = {
  name: "RankingResult",
  bodySchema: RankingResult,
  fields: { request_id: Py.str, cid_to_consensus: scores, hotkey_to_score: scores },
  requiredHashFields: [],
  alsoAcceptedHashFields: [["request_id", "cid_to_consensus", "hotkey_to_score"]],
  requiredFields: ["request_id", "cid_to_consensus", "hotkey_to_score"],
  immutableFields: ["request_id", "cid_to_consensus", "hotkey_to_score"],
  defaultTimeout: 12
}

/** A miner's human-feedback result, sent to the validator that asked. Credentials hash as plain strings. */
export const MTurkResponseSynapse: SynapseDefinition<MTurkResponse, typeof MTurkResponse.Encoded> = {
  name: "MTurkResponse",
  bodySchema: MTurkResponse,
  fields: {
    mturk_hit_id: Py.str,
    aws_credentials: Py.optional(
      Py.model({
        access_key_id: Py.str,
        secret_access_key: Py.str,
        session_token: Py.str,
        access_expiration: Py.str,
        environment: Py.str
      })
    ),
    completion_id_to_score: scores,
    request_id: Py.optional(Py.str)
  },
  requiredHashFields: [],
  alsoAcceptedHashFields: [
    ["mturk_hit_id", "aws_credentials", "completion_id_to_score"],
    ["mturk_hit_id", "aws_credentials", "completion_id_to_score", "request_id"]
  ],
  requiredFields: ["mturk_hit_id", "completion_id_to_score"],
  immutableFields: ["mturk_hit_id", "aws_credentials", "completion_id_to_score", "request_id"],
  defaultTimeout: 60
}

/** All of Dojo's synapses. */
export const dojoSynapses = [RankingRequestSynapse, RankingResultSynapse, MTurkResponseSynapse] as const
