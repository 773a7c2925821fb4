"""The canonical encoding of an event and the hash that chains it to the one before."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def canonical(obj: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, ASCII only, no NaN."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def chain_hash(prev_hash: str, body: str) -> str:
    """SHA-256 over the previous hash and the event's canonical bytes."""
    return hashlib.sha256((prev_hash + body).encode("ascii")).hexdigest()
