"""How a test peer hands its result back: JSON into the file named by DOJO_PEER_RESULT (set by
runPython in test/support/python-env.ts), not stdout, where the SDK's logging thread and btwallet's
"Encrypting..." lines can land in the middle of ours. Without the variable (a manual run) it prints."""
import json
import os


def emit(value, **dumps):
    text = json.dumps(value, **dumps)
    path = os.environ.get("DOJO_PEER_RESULT")
    if path is None:
        print(text)
        return
    with open(path, "w") as f:
        f.write(text)
