"""The real bittensor-wallet (btwallet) as a test peer for Dojo's wallet command.

Reads a JSON list of steps on stdin and prints one JSON result per step (a list). Steps:
  {"op": "create", "path", "name", "coldkey_password", "hotkeys": [{"name", "password" (null: plaintext)}]}
      a new coldkey (+ coldkeypub.txt) and hotkeys from fresh mnemonics, as `btcli wallet create` does;
      returns their addresses and, for each encrypted keyfile, the BT_PW_ variable btwallet reads and
      the value it stores there (its own `save_password_to_env` encoding).
  {"op": "env", "keyfile", "password"}: btwallet's BT_PW_ variable name and value for a keyfile path.
  {"op": "sign", "path", "name", "hotkey", "role": "coldkey"|"hotkey"|"coldkeypub", "message"}
      loads the key the way a neuron does (`wallet.coldkey`, password from btwallet's BT_PW_ variable),
      returns its address and a signature of the message (none for coldkeypub), or the error.
  {"op": "verify", "ss58", "message", "signature"}: btwallet's Keypair.verify.
Paths are used exactly as given (relative ones against the working directory), as btwallet does.
"""
import json
import os
import sys

from bittensor_wallet import Keyfile, Keypair, Wallet
from peer_result import emit


def keyfile_of(wallet: Wallet, role: str) -> Keyfile:
    return {"coldkey": wallet.coldkey_file, "hotkey": wallet.hotkey_file, "coldkeypub": wallet.coldkeypub_file}[role]


def create(step):
    wallet = Wallet(name=step["name"], path=step["path"])
    cold = wallet.create_new_coldkey(n_words=12, use_password=True, overwrite=False, suppress=True, coldkey_password=step["coldkey_password"])
    # Returns the value it puts in the (Rust-side) environment: base64 of the password XOR the name.
    env = {wallet.coldkey_file.env_var_name(): wallet.coldkey_file.save_password_to_env(step["coldkey_password"])}
    hotkeys = {}
    for hot in step["hotkeys"]:
        w = Wallet(name=step["name"], hotkey=hot["name"], path=step["path"])
        pw = hot.get("password")
        w.create_new_hotkey(n_words=12, use_password=pw is not None, overwrite=False, suppress=True, hotkey_password=pw)
        hotkeys[hot["name"]] = w.hotkeypub.ss58_address
        if pw is not None:
            env[w.hotkey_file.env_var_name()] = w.hotkey_file.save_password_to_env(pw)
    return {"coldkey": cold.coldkeypub.ss58_address, "hotkeys": hotkeys, "env": env}


def env_var(step):
    keyfile = Keyfile(path=step["keyfile"])
    return {"name": keyfile.env_var_name(), "value": keyfile.save_password_to_env(step["password"])}


def sign(step):
    wallet = Wallet(name=step["name"], hotkey=step["hotkey"], path=step["path"])
    keyfile = keyfile_of(wallet, step["role"])
    if keyfile.is_encrypted() and os.environ.get(keyfile.env_var_name()) is None:
        # btwallet would prompt on the terminal here; a test has none.
        return {"error": f"no {keyfile.env_var_name()} in the environment"}
    try:
        keypair = {"coldkey": lambda: wallet.coldkey, "hotkey": lambda: wallet.hotkey, "coldkeypub": lambda: wallet.coldkeypub}[step["role"]]()
    except Exception as e:  # btwallet raises KeyFileError / PasswordError subclasses
        return {"error": f"{type(e).__name__}: {e}"}
    out = {"ss58": keypair.ss58_address, "public_key": "0x" + keypair.public_key.hex()}
    if step["role"] != "coldkeypub":
        out["signature"] = "0x" + keypair.sign(step["message"].encode()).hex()
    return out


def verify(step):
    return {"valid": Keypair(ss58_address=step["ss58"]).verify(step["message"].encode(), bytes.fromhex(step["signature"].removeprefix("0x")))}


OPS = {"create": create, "env": env_var, "sign": sign, "verify": verify}
emit([OPS[step["op"]](step) for step in json.load(sys.stdin)])
