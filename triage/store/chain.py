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


_sorted = msgspec.json.Encoder(order="sorted").encode
_SCALARS = frozenset({str, int, bool, type(None)})
_SPLICE = msgspec.Raw(b"\x00")  # msgspec escapes NUL in strings: this byte is only ever the splice


def plain(obj: Any) -> bool:
    """Whether ``obj`` holds only JSON's own types (dicts with text keys, lists, tuples, text,
    ints, booleans, None) and only plain floats: 0, or of a magnitude in [1e-4, 1e16), which
    msgspec and the standard encoder write alike (not so 1e-05 and 1e+16, nor NaN)."""
    t = type(obj)
    if t is dict:
        for k, v in obj.items():
            if type(k) is not str or (type(v) not in _SCALARS and not plain(v)):
                return False
        return True
    if t is list or t is tuple:
        for v in obj:  # noqa: SIM110 - no generator frame per list on the hot path
            if type(v) not in _SCALARS and not plain(v):
                return False
        return True
    if t is float:
        return bool(obj == 0 or 1e-4 <= abs(obj) < 1e16)
    return t in _SCALARS


def _ascii(out: bytes) -> str | None:
    """msgspec's text when it is what the standard encoder writes for a plain value: ASCII
    without DEL (msgspec writes DEL and non-ASCII characters as they are; we escape them)."""
    return out.decode("ascii") if out.isascii() and b"\x7f" not in out else None


def canonical(obj: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, ASCII only, no NaN.

    The standard library's encoder defines the text. msgspec writes sorted JSON four times
    faster and gives the same text for a plain value when its text is ASCII without DEL, so
    it answers then (``test_jsontext`` holds the two to the same text)."""
    if plain(obj):
        try:
            text = _ascii(_sorted(obj))
        except (TypeError, ValueError, OverflowError):  # a lone surrogate: escaped by _encode
            text = None
        if text is not None:
            return text
    return _encode(obj)


def canonical_plain(obj: Any) -> str:
    """``canonical(obj)`` for a value decoded from JSON whose floats ``sources.jsontext``
    found plain: the same text, without looking through the value again."""
    try:
        text = _ascii(_sorted(obj))
    except (TypeError, ValueError, OverflowError):
        text = None  # canonical raises, or encodes it its own way
    return _encode(obj) if text is None else text


def canonical_with(obj: dict[str, Any], key: str, text: str, *, known_plain: bool = False) -> str:
    """``canonical({**obj, key: <the JSON value text>})`` with ``text`` embedded as it is.

    ``text`` must be one valid JSON value; ``obj`` must not hold ``key``. The result is the
    same as ``canonical`` would give when ``text`` is itself canonical. ``known_plain``: the
    caller made ``obj`` of text, ints and None only (an event's envelope), so ``plain`` holds.
    """
    if known_plain or plain(obj):
        try:
            out = _ascii(_sorted({**obj, key: _SPLICE}))
        except (TypeError, ValueError, OverflowError):
            out = None
        if out is not None:
            before, after = out.split("\x00")
            return before + text + after
    before_ = {k: v for k, v in obj.items() if k < key}
    after_ = {k: v for k, v in obj.items() if k > key}
    parts = []
    if before_:
        parts.append(_encode(before_)[1:-1])
    parts.append(_encode(key) + ":" + text)
    if after_:
        parts.append(_encode(after_)[1:-1])
    return "{" + ",".join(parts) + "}"


class _Event(msgspec.Struct):
    """An event's envelope and payload, its fields in sorted order: encoded as the sorted dict of
    them is, without making the dict."""

    action: Any
    actor: Any
    exercise: Any
    payload: Any
    seq: Any
    target: Any
    ts: Any
    v: Any


def event_text(
    seq: int,
    ts: str,
    actor: str,
    action: str,
    target: str,
    exercise: str | None,
    payload: dict[str, Any],
    payload_json: str | None = None,
) -> str:
    """An event's body: the canonical text of its envelope (``v``, ``seq``, ``ts``, ``actor``,
    ``action``, ``target``, ``exercise``) with ``payload`` under ``payload``, embedded as
    ``payload_json`` when that is given (``canonical_with``). A plain payload given without its
    text is encoded with the envelope in one pass: the same text, which msgspec writes whole
    when it is ASCII without DEL."""
    if payload_json is None and plain(payload):
        try:
            text = _ascii(_sorted(_Event(action, actor, exercise, payload, seq, target, ts, 1)))
        except (TypeError, ValueError, OverflowError):
            text = None
        if text is not None:
            return text
    # text, ints and None, as made here: plain without looking
    envelope = {
        "v": 1,
        "seq": seq,
        "ts": ts,
        "actor": actor,
        "action": action,
        "target": target,
        "exercise": exercise,
    }
    return canonical_with(envelope, "payload", payload_json or canonical(payload), known_plain=True)


def hashed_bytes(prev_hash: str, body: str) -> bytes:
    """What an event's hash covers: the previous hash and the body, as strict UTF-8. The one
    encoding the writer and every verifier use; a body that cannot be encoded so (a lone
    surrogate) raises UnicodeEncodeError and is never written, and fails verification."""
    return (prev_hash + body).encode("utf-8")


def chain_hash(prev_hash: str, body: str) -> str:
    """SHA-256 over the previous hash and the event body's stored bytes (UTF-8)."""
    return hashlib.sha256(hashed_bytes(prev_hash, body)).hexdigest()
