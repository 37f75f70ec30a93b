"""The SDK's own Dendrite holding one aiohttp session across several queries to one axon, as a Python
validator does between epochs, with blocking work in between (scoring: the event loop does not run).

Reads {"axon": {"ip", "port", "hotkey"}, "steps": [{"op": "query", "prompt", "timeout"} |
{"op": "block", "seconds"}]} on stdin; prints a JSON list: per query its status code, message and ranks.
"""
import asyncio
import json
import sys
import time

from bittensor.utils import networking

# The Dendrite asks public services for its external IP when built; the tests are loopback-only.
networking.get_external_ip = lambda: "127.0.0.1"

import bittensor as bt  # noqa: E402
from bittensor_wallet import Keypair  # noqa: E402

import dojo_protocol as dojo  # noqa: E402
from peer_result import emit

job = json.load(sys.stdin)
a = job["axon"]
axon = bt.AxonInfo(version=0, ip=a["ip"], port=a["port"], ip_type=4, hotkey=a["hotkey"], coldkey=a["hotkey"])


async def main():
    dendrite = bt.Dendrite(wallet=Keypair.create_from_uri("//Alice"))
    out = []
    for step in job["steps"]:
        if step["op"] == "block":
            time.sleep(step["seconds"])  # blocking on purpose: the loop cannot see the server close
            continue
        synapse = dojo.RankingRequest(prompt=step["prompt"], n_completions=1, completions=[dojo.Completion(cid="c0", text="t")])
        [r] = await dendrite.forward(axons=[axon], synapse=synapse, timeout=step["timeout"], deserialize=False)
        out.append({"status": r.dendrite.status_code, "message": r.dendrite.status_message, "ranks": [x.model_dump() for x in r.ranks]})
    await dendrite.aclose_session()
    emit(out)


asyncio.run(main())
