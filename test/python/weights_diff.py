"""The SDK's own weight utilities on a batch of cases, for the differential test against ours.

Reads on stdin [{"uids": [int], "weights": [str], "num_neurons": int, "min_allowed_weights": int,
"max_weights_limit_u16": int, "exclude_quantile": int}] (weights as JS number strings: "NaN",
"Infinity", "1.5e-7", cast to float32 as a validator's array is). For each case runs
`process_weights_for_netuid` (through a stand-in subtensor/metagraph answering the hyperparameters the
way the SDK's Subtensor does: `u16_normalized_float(MaxWeightsLimit)`, `int(MinAllowedWeights)`), then
`convert_weights_and_uids_for_emit` on its output. Prints one JSON list: per case the processed uids,
weights (as JS number strings, exact), dtype and the u16 emit, or "<Type>: <message>" where one raises,
into the file named by the first argument.
"""
import json
import math
import sys

import numpy as np
from bittensor.utils import u16_normalized_float
from peer_result import emit
from bittensor.utils.weight_utils import convert_weights_and_uids_for_emit, process_weights_for_netuid


def js(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return repr(x)


class Chain:
    """Answers as bittensor's Subtensor does for these two hyperparameters."""

    def __init__(self, case):
        self.case = case

    def min_allowed_weights(self, netuid):
        return int(self.case["min_allowed_weights"])

    def max_weight_limit(self, netuid):
        return u16_normalized_float(int(self.case["max_weights_limit_u16"]))


class Metagraph:
    def __init__(self, n):
        self.n = n


def error(e: Exception) -> str:
    return f"{type(e).__name__}: {e}"


out = []
for case in json.load(sys.stdin):
    uids = np.array(case["uids"], dtype=np.int64)
    weights = np.array([float(w) for w in case["weights"]], dtype=np.float32)
    result = {}
    try:
        p_uids, p_weights = process_weights_for_netuid(
            uids, weights, netuid=1, subtensor=Chain(case), metagraph=Metagraph(case["num_neurons"]), exclude_quantile=case["exclude_quantile"]
        )
    except Exception as e:
        out.append({"process_error": error(e)})
        continue
    result["uids"] = [int(u) for u in p_uids]
    result["weights"] = [js(float(w)) for w in p_weights]
    result["dtype"] = str(p_weights.dtype)
    try:
        e_uids, e_weights = convert_weights_and_uids_for_emit(p_uids, p_weights)
        result["emit"] = {"uids": e_uids, "weights": e_weights}
    except Exception as e:
        result["emit_error"] = error(e)
    out.append(result)
emit(out)
