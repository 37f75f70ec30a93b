"""Reads [{"name": class, "fields": {...}}] on stdin; prints the SDK's body_hash and input_obj headers for each."""
import json
import sys

import dojo_protocol as dojo
from peer_result import emit

out = []
for case in json.load(sys.stdin):
    synapse = getattr(dojo, case["name"])(**case["fields"])
    headers = synapse.to_headers()
    out.append({
        "body_hash": synapse.body_hash,
        "computed_body_hash": headers["computed_body_hash"],
        "input_obj": {k: v for k, v in headers.items() if k.startswith("bt_header_input_obj_")},
    })
emit(out)
