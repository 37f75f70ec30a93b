"""Python Dojo neurons on the SDK's own Axon (FastAPI/uvicorn), as a Python operator writes them.

Config (JSON file named by argv[1]):
  {"record": "<jsonl path: every synapse a forward saw>",
   "axons": [{"name", "wallet": {"path", "name", "hotkey"}, "ip", "port", "behaviour",
              "allow": [hotkeys] | null (null: anyone), "priority": {hotkey: float},
              "sleep": seconds (slow), "hit_id": "..." (mturk), "results": serve RankingResult}]}
Wallets are created with bittensor-wallet if missing (no password). Prints
`READY [{"name", "hotkey", "coldkey", "ip", "port"}]` once every axon serves, then runs until killed.

Behaviours of the RankingRequest miner (each is real SDK code paths, nothing emulated):
  score        ranks every completion with a word-count scorer (the Python Dojo miner's shape)
  contrarian   the same scorer, inverted
  slow         sleeps `sleep` seconds before answering (the caller times out: 408)
  raise        forward raises (the axon answers 500)
  blacklist    the blacklist refuses everyone (403)
  strict       an older/newer class with a required field we never send (from_headers fails: 400)
  skewed       replies ranks as {cid: score} (another protocol version: the caller cannot parse it)
  mturk        answers with scoring_method aws_mturk and HIT `hit_id` + the request id's first 27 hex digits
Every axon also serves MTurkResponse (the validator side of human feedback); with "results" it serves
RankingResult as the Python Dojo miner did (no blacklist). Both are recorded.
"""
import json
import math
import signal
import sys
import threading
import time
from inspect import Parameter, Signature
from typing import Any, Dict, List, Tuple

import bittensor as bt
from bittensor_wallet import Wallet

import dojo_protocol as dojo

config = json.load(open(sys.argv[1]))
record_lock = threading.Lock()

GOOD = {"first", "then", "step", "example", "because", "specifically", "check", "carefully", "recommend", "glad",
        "happy", "please", "hope", "certainly", "next", "finally", "explain", "tip", "thanks", "clear", "simple"}
BAD = {"stupid", "whatever", "dunno", "obviously", "somehow", "lazy", "stuff", "ridiculous", "guess", "dumb",
       "google", "idk", "meh", "nah", "ugh", "useless", "nonsense", "pointless", "duh", "boring", "random"}


def word_score(text: str) -> float:
    words = [w.strip(".,!?;:").lower() for w in text.split()]
    quality = sum(w in GOOD for w in words) - sum(w in BAD for w in words)
    return 1 / (1 + math.exp(-quality / 2))


def record(entry: Dict[str, Any]) -> None:
    if config.get("record"):
        with record_lock, open(config["record"], "a") as f:
            f.write(json.dumps(entry) + "\n")


class StrictRankingRequest(dojo.RankingRequest):
    """A class with a required field Dojo's protocol does not have: its axon cannot build the synapse."""
    task_type: str


StrictRankingRequest.__name__ = "RankingRequest"


class SkewedRankingRequest(dojo.RankingRequest):
    """A protocol version whose ranks map cid to score instead of listing {cid, score}."""
    ranks: Any = []


SkewedRankingRequest.__name__ = "RankingRequest"


def typed(fn, cls, returns):
    # Axon.attach checks the exact signature `(synapse: <Class>) -> <returns>`.
    fn.__signature__ = Signature([Parameter("synapse", Parameter.POSITIONAL_OR_KEYWORD, annotation=cls)], return_annotation=returns)
    return fn


def make_axon(spec: Dict[str, Any]) -> Tuple[bt.Axon, Wallet]:
    w = spec["wallet"]
    wallet = Wallet(name=w["name"], hotkey=w["hotkey"], path=w["path"])
    wallet.create_if_non_existent(coldkey_use_password=False, hotkey_use_password=False, suppress=True)
    behaviour = spec["behaviour"]
    allow = spec.get("allow")
    priorities = spec.get("priority") or {}
    name = spec["name"]
    cls = {"strict": StrictRankingRequest, "skewed": SkewedRankingRequest}.get(behaviour, dojo.RankingRequest)

    async def forward(synapse):
        record({"axon": name, "synapse": "RankingRequest", "dendrite": synapse.dendrite.hotkey,
                "body": synapse.model_dump(by_alias=True, exclude={"dendrite", "axon"})})
        if behaviour == "raise":
            raise RuntimeError("the scorer crashed")
        if behaviour == "slow":
            import asyncio
            await asyncio.sleep(float(spec.get("sleep", 5)))
        if behaviour == "skewed":
            synapse.ranks = {c.cid: word_score(c.text) for c in synapse.completions}
            synapse.scoring_method = "hf_model"
            return synapse
        if behaviour == "mturk":
            synapse.scoring_method = "aws_mturk"
            # One HIT per request, named after it (the test creates it in the MTurk stub).
            synapse.mturk_hit_id = spec["hit_id"] + synapse.request_id.replace("-", "")[:27]
            return synapse
        flip = behaviour == "contrarian"
        synapse.ranks = [dojo.Rank(cid=c.cid, score=(1 - word_score(c.text)) if flip else word_score(c.text)) for c in synapse.completions]
        synapse.scoring_method = "hf_model"
        synapse.model_config_ = dojo.ModelConfig(model_name=f"word-count-{behaviour}")
        return synapse

    def blacklist(synapse):
        if behaviour == "blacklist":
            return True, "this Python miner serves no one"
        if allow is not None and synapse.dendrite.hotkey not in allow:
            return True, f"hotkey {synapse.dendrite.hotkey} is not a known validator"
        return False, "allowed"

    def priority(synapse):
        return float(priorities.get(synapse.dendrite.hotkey, 0.0))

    def mturk_forward(synapse):
        record({"axon": name, "synapse": "MTurkResponse", "dendrite": synapse.dendrite.hotkey,
                "body": synapse.model_dump(by_alias=True, exclude={"dendrite", "axon"})})
        return synapse

    def mturk_blacklist(synapse):
        if allow is not None and synapse.dendrite.hotkey not in allow:
            return True, f"hotkey {synapse.dendrite.hotkey} is not a registered miner"
        return False, "allowed"

    def result_forward(synapse):
        # As the Python Dojo miner's forward_result: log (here: record) the validator's result, no blacklist.
        record({"axon": name, "synapse": "RankingResult", "dendrite": synapse.dendrite.hotkey,
                "body": synapse.model_dump(by_alias=True, exclude={"dendrite", "axon"})})
        return synapse

    forward.__annotations__ = {"synapse": cls, "return": cls}
    result_forward.__annotations__ = {"synapse": dojo.RankingResult, "return": dojo.RankingResult}
    mturk_forward.__annotations__ = {"synapse": dojo.MTurkResponse, "return": dojo.MTurkResponse}
    axon = bt.Axon(wallet=wallet, ip=spec["ip"], port=int(spec["port"]), external_ip=spec["ip"], external_port=int(spec["port"]))
    axon.attach(forward_fn=forward, blacklist_fn=typed(blacklist, cls, Tuple[bool, str]), priority_fn=typed(priority, cls, float))
    axon.attach(forward_fn=mturk_forward, blacklist_fn=typed(mturk_blacklist, dojo.MTurkResponse, Tuple[bool, str]))
    if spec.get("results", False):
        axon.attach(forward_fn=result_forward)
    return axon, wallet


axons = [make_axon(spec) for spec in config["axons"]]
for axon, _ in axons:
    axon.start()


def serving(ip: str, port: int) -> bool:
    import socket
    try:
        with socket.create_connection((ip, port), timeout=0.5):
            return True
    except OSError:
        return False


deadline = time.time() + 30
while not all(serving(spec["ip"], int(spec["port"])) for spec in config["axons"]):
    if time.time() > deadline:
        sys.exit("axons did not start listening within 30 s")
    time.sleep(0.1)

ready = [{"name": spec["name"], "hotkey": wallet.hotkey.ss58_address, "coldkey": wallet.coldkeypub.ss58_address,
          "ip": spec["ip"], "port": int(spec["port"])} for spec, (_, wallet) in zip(config["axons"], axons)]
print("READY " + json.dumps(ready), flush=True)

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
stop.wait()
for axon, _ in axons:
    axon.stop()
