"""The SDK's own Dendrite fanning one Dojo RankingRequest out to many axons (`forward` over all of them),
for the side-by-side fan-out benchmark.

Reads {"targets": [{"ip", "port", "hotkey"}], "rounds": int, "pause_s": float} on stdin. Prints one
JSON object: per round its start (epoch ms), wall time (ms), status-code counts and up to three distinct non-200 messages.
"""
import asyncio
import json
import sys
import time

from bittensor.utils import networking

# The Dendrite asks public services for its external IP when built; the benchmark is loopback-only.
networking.get_external_ip = lambda: "127.0.0.1"

import bittensor as bt  # noqa: E402
from bittensor_wallet import Keypair  # noqa: E402

import dojo_protocol as dojo  # noqa: E402
from peer_result import emit

job = json.load(sys.stdin)
axons = [bt.AxonInfo(version=0, ip=t["ip"], port=t["port"], ip_type=4, hotkey=t["hotkey"], coldkey=t["hotkey"]) for t in job["targets"]]


def request() -> dojo.RankingRequest:
    return dojo.RankingRequest(
        prompt="Write a haiku about consensus.",
        n_completions=4,
        completions=[dojo.Completion(cid=c, text=f"Completion {c}: " + "lorem ipsum dolor sit amet " * 8) for c in "abcd"],
    )


async def main():
    dendrite = bt.Dendrite(wallet=Keypair.create_from_uri("//Alice"))
    rounds = []
    for _ in range(job["rounds"]):
        start = time.time() * 1000
        responses = await dendrite.forward(axons=axons, synapse=request(), timeout=30, deserialize=False)
        wall = time.time() * 1000 - start
        statuses, messages = {}, set()
        for r in responses:
            statuses[str(r.dendrite.status_code)] = statuses.get(str(r.dendrite.status_code), 0) + 1
            if str(r.dendrite.status_code) != "200":
                messages.add(f"{r.dendrite.status_code} {r.dendrite.status_message}"[:200])
        rounds.append({"start": start, "wall": wall, "statuses": statuses, "errors": sorted(messages)[:3]})
        await asyncio.sleep(job["pause_s"])
    await dendrite.aclose_session()
    emit({"rounds": rounds})


asyncio.run(main())
