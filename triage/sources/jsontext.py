"""Reading JSON text as it arrives: strict JSON, decoded fast, and whether its floats are plain.

One decoder for every source that hands us text (a file's lines, a search server's answers).
msgspec reads the text; whenever it refuses it (NaN, a number out of range, a lone surrogate,
nesting past its limit, an integer of more digits than Python converts, any malformed text),
Python's own decoder reads it again with the rules it always had, so the value, and every
error and its message, are what they were before msgspec (``test_jsontext`` checks both
decoders agree on generated and mangled text).

Alongside the value, ``decode`` says whether every float in it is *plain*: 0, or of a
magnitude between 1e-4 and 1e16, where every encoder writes the same digits the same way.
``triage.store.chain.canonical_plain`` relies on that to encode such a value fast.
"""

from __future__ import annotations

import json
import math
import threading
from typing import Any

import msgspec


class NotJSON(json.JSONDecodeError):
    """A value Python's decoder accepts but JSON (and the log) does not."""


def _no_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; Python's decoder would accept them.
    raise NotJSON(f"{name} is not valid JSON", name, 0)


def _finite(text: str) -> float:
    value = float(text)
    if value in (math.inf, -math.inf):
        raise NotJSON(f"number {text[:40]} is out of range", text, 0)
    return value


strict_loads = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite).decode

_seen = threading.local()  # per thread: whether the text being decoded held a float not plain


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("out of range")  # read again by strict_loads, which says why
    if value and not 1e-4 <= abs(value) < 1e16:
        _seen.odd = True
    return value


_decode = msgspec.json.Decoder(float_hook=_float).decode


def decode(text: str | bytes, *, lenient: bool = False) -> tuple[Any, bool]:
    """The JSON value of ``text`` and whether its floats are all plain. Raises what
    ``strict_loads`` raises (``json.JSONDecodeError``, ``ValueError``, ``RecursionError``);
    ``lenient``: what msgspec refuses is read by ``json.loads`` as it is (NaN and all), as a
    search client reads its answers."""
    _seen.odd = False
    try:
        value = _decode(text)
    except (msgspec.DecodeError, RecursionError, ValueError):
        _seen.last = False
        if lenient:
            return json.loads(text), False
        return strict_loads(text if isinstance(text, str) else text.decode("utf-8")), False
    _seen.last = not _seen.odd
    return value, _seen.last


def last_plain() -> bool:
    """What ``decode`` said last in this thread of the floats of what it decoded."""
    return bool(getattr(_seen, "last", False))
