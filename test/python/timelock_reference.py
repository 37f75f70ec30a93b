"""bittensor-drand as the reference for our timelock code. Reads a JSON list of operations on stdin and
prints a JSON list of results:
- {"op": "decrypt", "ciphertext": hex TLECiphertext, "round": n, "signature": hex} -> {"plaintext": hex}
  (decrypt_with_signature takes its own SCALE envelope UserData { encrypted_data: Vec<u8>, reveal_round: u64 },
  built here around our raw ciphertext)
- {"op": "encrypt_at_round", "data": hex, "round": n} -> {"ciphertext": hex TLECiphertext, "round": n}
- {"op": "commit_v2", ...get_encrypted_commit_v2 arguments, "hotkey": hex} -> {"commit": hex, "round": n,
  "before": unix seconds, "after": unix seconds} (the wall clock bracketing the call)
"""
import json
import sys
import time

import bittensor_drand as drand
from peer_result import emit


def compact(n: int) -> bytes:
    if n < 1 << 6:
        return bytes([n << 2])
    if n < 1 << 14:
        return ((n << 2) | 1).to_bytes(2, "little")
    if n < 1 << 30:
        return ((n << 2) | 2).to_bytes(4, "little")
    raise ValueError("too long")


def read_compact(b: bytes) -> tuple[int, int]:
    mode = b[0] & 3
    if mode == 0:
        return b[0] >> 2, 1
    if mode == 1:
        return int.from_bytes(b[:2], "little") >> 2, 2
    if mode == 2:
        return int.from_bytes(b[:4], "little") >> 2, 4
    raise ValueError("big compact")


def unwrap_user_data(b: bytes) -> tuple[bytes, int]:
    n, off = read_compact(b)
    data = b[off : off + n]
    rnd = int.from_bytes(b[off + n : off + n + 8], "little")
    assert off + n + 8 == len(b), "trailing bytes in UserData"
    return data, rnd


out = []
for case in json.load(sys.stdin):
    op = case["op"]
    if op == "decrypt":
        ct = bytes.fromhex(case["ciphertext"])
        envelope = compact(len(ct)) + ct + int(case["round"]).to_bytes(8, "little")
        try:
            out.append({"plaintext": drand.decrypt_with_signature(envelope, case["signature"]).hex()})
        except ValueError as e:
            out.append({"error": str(e)})
    elif op == "encrypt_at_round":
        wrapped, rnd = drand.encrypt_at_round(bytes.fromhex(case["data"]), int(case["round"]))
        ct, inner_round = unwrap_user_data(wrapped)
        assert inner_round == rnd
        out.append({"ciphertext": ct.hex(), "round": rnd})
    elif op == "commit_v2":
        before = time.time()
        commit, rnd = drand.get_encrypted_commit_v2(
            uids=case["uids"],
            weights=case["weights"],
            version_key=case["version_key"],
            last_epoch_block=case["last_epoch_block"],
            pending_epoch_at=case["pending_epoch_at"],
            subnet_epoch_index=case["subnet_epoch_index"],
            tempo=case["tempo"],
            blocks_since_last_step=case["blocks_since_last_step"],
            current_block=case["current_block"],
            subnet_reveal_period_epochs=case["subnet_reveal_period_epochs"],
            block_time=case["block_time"],
            hotkey=bytes.fromhex(case["hotkey"]),
        )
        after = time.time()
        out.append({"commit": commit.hex(), "round": rnd, "before": before, "after": after})
    else:
        raise ValueError(f"unknown op {op}")
emit(out)
