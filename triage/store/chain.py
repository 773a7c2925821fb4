"""The encoding of an event and the hash that chains it to the one before.

An event body is canonical JSON (sorted keys, no spaces, ASCII escapes, no NaN) with one
exception: a source document that arrived as one piece of JSON text (a line of NDJSON, a
search hit) is embedded as that exact text, so the log keeps the bytes the source sent and
ingest does not re-serialise them. The hash is SHA-256 over the previous hash and the body's
UTF-8 bytes exactly as stored; verification never re-serialises anything.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import msgspec

GENESIS = "0" * 64

_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode


def canonical(obj: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, ASCII only, no NaN."""
    return _encode(obj)


_sorted = msgspec.json.Encoder(order="sorted").encode


def canonical_plain(obj: Any) -> str:
    """``canonical(obj)``, fast, for a value decoded from JSON whose floats are all plain
    (finite, and 0 or of a magnitude in [1e-4, 1e16): ``sources.jsontext.decode`` says so).
    For such a value msgspec's sorted encoding is the same text whenever it is ASCII without
    DEL, which it writes as they are where ``canonical`` escapes them; then ``canonical``
    answers itself. msgspec is used because it writes sorted JSON four times faster than the
    standard encoder (``test_jsontext`` holds the two to the same text)."""
    try:
        out = _sorted(obj)
    except (TypeError, ValueError, OverflowError):
        return canonical(obj)  # canonical raises, or encodes it its own way
    if out.isascii() and b"\x7f" not in out:
        return out.decode("ascii")
    return canonical(obj)


def canonical_with(obj: dict[str, Any], key: str, text: str) -> str:
    """``canonical({**obj, key: <the JSON value text>})`` with ``text`` embedded as it is.

    ``text`` must be one valid JSON value; ``obj`` must not hold ``key``. The result is the
    same as ``canonical`` would give when ``text`` is itself canonical.
    """
    before = {k: v for k, v in obj.items() if k < key}
    after = {k: v for k, v in obj.items() if k > key}
    parts = []
    if before:
        parts.append(_encode(before)[1:-1])
    parts.append(_encode(key) + ":" + text)
    if after:
        parts.append(_encode(after)[1:-1])
    return "{" + ",".join(parts) + "}"


def hashed_bytes(prev_hash: str, body: str) -> bytes:
    """What an event's hash covers: the previous hash and the body, as strict UTF-8. The one
    encoding the writer and every verifier use; a body that cannot be encoded so (a lone
    surrogate) raises UnicodeEncodeError and is never written, and fails verification."""
    return (prev_hash + body).encode("utf-8")


def chain_hash(prev_hash: str, body: str) -> str:
    """SHA-256 over the previous hash and the event body's stored bytes (UTF-8)."""
    return hashlib.sha256(hashed_bytes(prev_hash, body)).hexdigest()
