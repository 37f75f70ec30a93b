"""A Python Dojo caller on the SDK's own Dendrite (aiohttp), with a wallet bittensor-wallet created.

stdin: {"wallet": {"path", "name", "hotkey"},
        "calls": [{"synapse": "RankingRequest" | "RankingResult" | "MTurkResponse", "fields": {...},
                   "hash_fields": [names] (optional: a class that declares these required_hash_fields),
                   "target": {"ip", "port", "hotkey"}, "timeout": seconds}]}
stdout: {"hotkey", "results": [{"is_success", "status_code", "status_message", "body"}]} in call order.
With "create_only": true it creates the wallet (if missing) and prints its addresses only.
"""
import asyncio
import json
import sys

import bittensor as bt
from bittensor_wallet import Wallet

import dojo_protocol as dojo
from bittensor.utils import networking
from peer_result import emit

# The SDK's Dendrite asks public services for its external IP when built; these tests are loopback only.
networking.get_external_ip = lambda: job.get("external_ip", "127.0.0.1")

job = json.load(sys.stdin)
w = job["wallet"]
wallet = Wallet(name=w["name"], hotkey=w["hotkey"], path=w["path"])
wallet.create_if_non_existent(coldkey_use_password=False, hotkey_use_password=False, suppress=True)


def synapse_class(name, hash_fields):
    base = getattr(dojo, name)
    if not hash_fields:
        return base
    # The same class, as an operator who lists the immutable fields in `required_hash_fields` declares it.
    return type(name, (base,), {"required_hash_fields": tuple(hash_fields), "__module__": base.__module__})


async def main():
    dendrite = bt.Dendrite(wallet=wallet)
    results = []
    for call in job.get("calls", []):
        t = call["target"]
        axon = bt.AxonInfo(version=0, ip=t["ip"], port=int(t["port"]), ip_type=4, hotkey=t["hotkey"], coldkey=t.get("coldkey", ""))
        synapse = synapse_class(call["synapse"], call.get("hash_fields"))(**call["fields"])
        reply = await dendrite.call(axon, synapse, timeout=float(call.get("timeout", 12)), deserialize=False)
        results.append({
            "is_success": reply.is_success,
            "status_code": reply.dendrite.status_code,
            "status_message": reply.dendrite.status_message,
            "body_hash": synapse.body_hash,
            "body": reply.model_dump(by_alias=True, exclude={"dendrite", "axon"}),
        })
        # A fresh connection per call: the SDK axon's uvicorn drops idle connections after 5 s, and a
        # pooled one reused just then comes back as the client's own 503 "Service disconnected" (seen
        # on a loaded machine after a 408 wait), which would stand in for the axon's real answer.
        await dendrite.aclose_session()
    return results


results = [] if job.get("create_only") else asyncio.run(main())
emit({"hotkey": wallet.hotkey.ss58_address, "coldkey": wallet.coldkeypub.ss58_address, "results": results})
