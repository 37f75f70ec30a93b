"""The Python SDK's own timelocked-commit path (bittensor 10.x `commit_timelocked_weights_extrinsic`) run
against a recording stand-in for the chain connection: reads one JSON case on stdin and prints the call
it composes (`call_module`, `call_function`, `call_params`), the arguments it gave bittensor-drand's
`get_encrypted_commit_v2` (with the wall clock before and after), and the SCALE encoding of the
`WeightsTlockPayload` of those arguments by scalecodec (the SDK's own SCALE library)."""
import json
import sys
import time
from types import SimpleNamespace

import bittensor.core.extrinsics.weights as weights_ext
from bittensor.core.types import EpochScheduleState, ExtrinsicResponse
from bittensor_wallet import Keypair

case = json.load(sys.stdin)
recorded = {}
real_commit_v2 = weights_ext.get_encrypted_commit_v2


def recording_commit_v2(**kwargs):
    recorded["before"] = time.time()
    out = real_commit_v2(**kwargs)
    recorded["after"] = time.time()
    recorded["args"] = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in kwargs.items()}
    return out


weights_ext.get_encrypted_commit_v2 = recording_commit_v2
s = case["schedule"]


class RecordingSubtensor:
    def get_current_block(self):
        return s["current_block"]

    def get_subnet_hyperparameters(self, netuid, block=None):
        return SimpleNamespace(commit_reveal_period=case["reveal_period"])

    def get_epoch_schedule_state(self, netuid, block=None):
        return EpochScheduleState(**s)

    def compose_call(self, call_module, call_function, call_params):
        recorded["call"] = {
            "call_module": call_module,
            "call_function": call_function,
            "call_params": {k: (v.hex() if isinstance(v, bytes) else v) for k, v in call_params.items()},
        }
        return recorded["call"]

    def sign_and_send_extrinsic(self, **kwargs):
        recorded["signed_with"] = kwargs.get("sign_with")
        return ExtrinsicResponse(True, "recorded")


hotkey = Keypair.create_from_uri(case["hotkey_uri"])
wallet = SimpleNamespace(hotkey=hotkey, unlock_hotkey=lambda: None, unlock_coldkey=lambda: None)
response = weights_ext.commit_timelocked_weights_extrinsic(
    subtensor=RecordingSubtensor(),
    wallet=wallet,
    netuid=case["netuid"],
    mechid=case["mechid"],
    uids=case["uids"],
    weights=case["weights"],
    block_time=case["block_time"],
    commit_reveal_version=case["commit_reveal_version"],
    version_key=case["version_key"],
    mev_protection=False,
    raise_error=True,
)
assert response.success, response.message

from scalecodec.base import RuntimeConfiguration, ScaleBytes
from scalecodec.type_registry import load_type_registry_preset
from peer_result import emit

rc = RuntimeConfiguration()
rc.update_type_registry(load_type_registry_preset("legacy"))
rc.update_type_registry({"types": {"WeightsTlockPayload": {"type": "struct", "type_mapping": [
    ["hotkey", "Vec<u8>"], ["uids", "Vec<u16>"], ["values", "Vec<u16>"], ["version_key", "u64"]]}}})
a = recorded["args"]
payload = rc.create_scale_object("WeightsTlockPayload")
encoded = payload.encode({"hotkey": "0x" + a["hotkey"], "uids": a["uids"], "values": a["weights"], "version_key": a["version_key"]})
recorded["scale_payload"] = encoded.data.hex()
recorded["hotkey_public_key"] = hotkey.public_key.hex()
emit(recorded)
