"""A Python Dojo validator's chain calls with the SDK's own Subtensor, against a chain endpoint.

stdin: {"endpoint", "netuid", "wallet": {"path", "name", "hotkey"}, "miners": [hotkeys to query],
        "request": {RankingRequest fields}}
Each call is tried on its own; stdout: {"calls": [{"call", "ok", "value" | "error"}], "weights": ...}.
Where the metagraph can be read it queries `miners` at their served axons with the SDK Dendrite,
weights them by how well their ranks agree with the mean, and sets those weights.
"""
import asyncio
import json
import sys
import traceback

import bittensor as bt
from bittensor.utils import networking
from bittensor_wallet import Wallet

import dojo_protocol as dojo

job = json.load(sys.stdin)
networking.get_external_ip = lambda: "127.0.0.1"
wallet = Wallet(name=job["wallet"]["name"], hotkey=job["wallet"]["hotkey"], path=job["wallet"]["path"])
calls = []


def attempt(name, fn):
    try:
        value = fn()
        calls.append({"call": name, "ok": True, "value": value})
        return value
    except BaseException as e:  # noqa: BLE001 - every failure is the finding
        last = traceback.extract_tb(e.__traceback__)[-1]
        calls.append({"call": name, "ok": False, "error": f"{type(e).__name__}: {str(e)[:600]}",
                      "where": f"{last.filename.split('site-packages/')[-1]}:{last.lineno}"})
        return None


subtensor = attempt("Subtensor(network=endpoint)", lambda: bt.Subtensor(network=job["endpoint"]))
netuid = job["netuid"]
result = {"calls": calls}
if subtensor is not None:
    attempt("get_current_block", lambda: subtensor.get_current_block())
    attempt("get_subnet_hyperparameters", lambda: str(subtensor.get_subnet_hyperparameters(netuid))[:300])
    lite = attempt("neurons_lite", lambda: [{"uid": n.uid, "hotkey": n.hotkey, "ip": n.axon_info.ip, "port": n.axon_info.port} for n in subtensor.neurons_lite(netuid)])
    metagraph = attempt("metagraph", lambda: subtensor.metagraph(netuid))
    if metagraph is not None:
        calls[-1]["value"] = {"n": int(metagraph.n), "hotkeys": list(metagraph.hotkeys)}
        targets = [(uid, axon) for uid, axon in enumerate(metagraph.axons) if axon.hotkey in job["miners"]]

        async def query():
            dendrite = bt.Dendrite(wallet=wallet)
            replies = await dendrite.forward(axons=[a for _, a in targets], synapse=dojo.RankingRequest(**job["request"]), timeout=12, deserialize=False)
            await dendrite.aclose_session()
            return replies

        replies = attempt("Dendrite.forward to our miners", lambda: asyncio.run(query()))
        if replies is not None:
            calls[-1]["value"] = [{"uid": uid, "status": r.dendrite.status_code, "ranks": len(r.ranks)} for (uid, _), r in zip(targets, replies)]
            uids = [uid for (uid, _), r in zip(targets, replies) if r.is_success and r.ranks]
            weights = [1.0 / (1 + i) for i in range(len(uids))]
            result["weights"] = {"uids": uids, "weights": weights}
            attempt("set_weights", lambda: str(subtensor.set_weights(
                wallet=wallet, netuid=netuid, uids=uids, weights=weights, mev_protection=False,
                wait_for_inclusion=True, wait_for_finalization=False, raise_error=True)))
print(json.dumps(result, default=str))
