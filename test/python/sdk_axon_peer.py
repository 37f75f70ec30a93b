"""A Python miner on the SDK's own Axon (FastAPI/uvicorn) serving Dojo's RankingRequest, as the Python
Dojo miner attaches it (forward, blacklist, priority), for the side-by-side axon benchmark.

Usage: sdk_axon_peer.py <wallet dir> <port> [hotkey uri, default //Bob]
Prints `READY {"port", "pid", "hotkey"}` once it serves; runs until killed.
"""
import logging
import os
import sys
import time
from typing import Tuple

import bittensor as bt
from bittensor_wallet import Wallet

import dojo_protocol as dojo

wallet_dir, port = sys.argv[1], int(sys.argv[2])
uri = sys.argv[3] if len(sys.argv) > 3 else "//Bob"
wallet = Wallet(name="peer", hotkey="miner", path=wallet_dir)
wallet.create_coldkey_from_uri(uri, use_password=False, overwrite=True, suppress=True)
wallet.create_hotkey_from_uri(uri, use_password=False, overwrite=True, suppress=True)


async def forward(synapse: dojo.RankingRequest) -> dojo.RankingRequest:
    # The handler the benchmark gives both axons: a rank per completion, nothing else.
    synapse.ranks = [dojo.Rank(cid=c.cid, score=float(i)) for i, c in enumerate(synapse.completions)]
    synapse.scoring_method = "hf_model"
    return synapse


async def blacklist(synapse: dojo.RankingRequest) -> Tuple[bool, str]:
    return False, "admitted"


async def priority(synapse: dojo.RankingRequest) -> float:
    return 0.0


# uvicorn's per-request access log would dominate the Python side's cost; a production miner turns it off too.
logging.getLogger("uvicorn.access").disabled = True
axon = bt.Axon(wallet=wallet, port=port, ip="127.0.0.2", external_ip="127.0.0.2")
axon.attach(forward_fn=forward, blacklist_fn=blacklist, priority_fn=priority)
axon.start()
time.sleep(0.5)
print("READY " + __import__("json").dumps({"port": port, "pid": os.getpid(), "hotkey": wallet.hotkey.ss58_address}), flush=True)
while True:
    time.sleep(3600)
