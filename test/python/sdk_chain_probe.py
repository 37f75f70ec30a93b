"""A Python Dojo validator's chain calls with the SDK's own Subtensor, against a chain endpoint.

stdin: {"endpoint", "netuid", "wallet": {"path", "name", "hotkey"}, "miners": [hotkeys to query],
        "uids": [their uids, read by us], "request": {RankingRequest fields}, "axon": {"ip", "port"}}
Each call is tried on its own (20 s each; set_weights does not wait for inclusion: the caller checks the chain); stdout: {"calls": [{"call", "ok", "value" | "error", "where"}]}.
Where the metagraph (or else neurons_lite) can be read it queries `miners` at their served axons with
the SDK Dendrite and weights those that answered; where neither can, set_weights is tried on `uids`. serve_axon is tried
too (what a Python miner needs).
"""
import asyncio
import inspect
import json
import signal
import sys
import traceback

import bittensor as bt
from bittensor.utils import networking
from bittensor_wallet import Wallet

import dojo_protocol as dojo
from peer_result import emit

job = json.load(sys.stdin)
networking.get_external_ip = lambda: "127.0.0.1"
wallet = Wallet(name=job["wallet"]["name"], hotkey=job["wallet"]["hotkey"], path=job["wallet"]["path"])
calls = []


class OutOfTime(BaseException):
    """Not an Exception: the SDK's retry loops catch those and would keep going."""


def out_of_time(*_):
    raise OutOfTime("no answer within 20 s")


signal.signal(signal.SIGALRM, out_of_time)


def attempt(name, fn):
    print(f"probe: {name}", file=sys.stderr, flush=True)
    signal.alarm(20)
    try:
        value = fn()
        calls.append({"call": name, "ok": True, "value": value})
        return value
    except BaseException as e:  # noqa: BLE001 - every failure is the finding
        frames = [f for f in traceback.extract_tb(e.__traceback__) if "site-packages/" in f.filename][-3:]
        calls.append({"call": name, "ok": False, "error": f"{type(e).__name__}: {str(e)[:600]}",
                      "where": " < ".join(f"{f.filename.split('site-packages/')[-1]}:{f.lineno} {f.name}" for f in reversed(frames))})
        return None
    finally:
        signal.alarm(0)


def supported(fn, **kwargs):
    """Calls `fn` with the keyword arguments its SDK version has (9.x and 10.x differ)."""
    params = inspect.signature(fn).parameters
    return fn(**{k: v for k, v in kwargs.items() if k in params})


subtensor = attempt("Subtensor(network=endpoint)", lambda: bt.Subtensor(network=job["endpoint"]))
netuid = job["netuid"]
result = {"calls": calls}
if subtensor is not None:
    attempt("get_current_block", lambda: subtensor.get_current_block())
    attempt("get_subnet_hyperparameters", lambda: str(subtensor.get_subnet_hyperparameters(netuid))[:300])
    lite = attempt("neurons_lite", lambda: subtensor.neurons_lite(netuid))
    if lite is not None:
        calls[-1]["value"] = [{"uid": n.uid, "hotkey": n.hotkey} for n in lite]
    metagraph = attempt("metagraph", lambda: subtensor.metagraph(netuid))
    if metagraph is not None:
        calls[-1]["value"] = {"n": int(metagraph.n)}
    # A validator needs its miners' axons: from the metagraph, else from neurons_lite.
    axons = (list(enumerate(metagraph.axons)) if metagraph is not None
             else [(n.uid, n.axon_info) for n in lite] if lite is not None else [])
    targets = [(uid, axon) for uid, axon in axons if axon.hotkey in job["miners"]]
    uids = job["uids"]
    if targets:
        async def query():
            dendrite = bt.Dendrite(wallet=wallet)
            replies = await dendrite.forward(axons=[a for _, a in targets], synapse=dojo.RankingRequest(**job["request"]), timeout=12, deserialize=False)
            await dendrite.aclose_session()
            return replies

        replies = attempt("Dendrite.forward to our miners", lambda: asyncio.run(query()))
        if replies is not None:
            calls[-1]["value"] = [{"uid": uid, "status": r.dendrite.status_code, "ranks": len(r.ranks),
                                   "message": (r.dendrite.status_message or "")[:300], "axon": f"{a.ip}:{a.port}"}
                                  for (uid, a), r in zip(targets, replies)]
            uids = [uid for (uid, _), r in zip(targets, replies) if r.is_success and r.ranks]
    weights = [1.0 / (1 + i) for i in range(len(uids))]
    result["weights"] = {"uids": uids, "weights": weights}
    attempt("set_weights", lambda: str(supported(
        subtensor.set_weights, wallet=wallet, netuid=netuid, uids=uids, weights=weights, mev_protection=False,
        wait_for_inclusion=False, wait_for_finalization=False, raise_error=True)))
    axon = bt.Axon(wallet=wallet, ip=job["axon"]["ip"], port=job["axon"]["port"], external_ip=job["axon"]["ip"], external_port=job["axon"]["port"])
    attempt("serve_axon", lambda: str(supported(
        subtensor.serve_axon, netuid=netuid, axon=axon, mev_protection=False, wait_for_inclusion=True,
        wait_for_finalization=False, raise_error=True)))
emit(result, default=str)
