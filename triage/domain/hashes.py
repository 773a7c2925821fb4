"""The file and process hashes an alert's document holds: what the query's ``hash:`` finds.

A hash is a hex digest (an MD5, SHA-1, SHA-256, SHA-384 or SHA-512: 32, 40, 64, 96 or 128 hex
digits), kept in lower case, found in the source's document

- under a key named ``md5``, ``sha1``, ``sha256``, ``sha384``, ``sha512``, ``imphash`` or
  ``hash`` (the last part of a dotted key counts): ECS ``file.hash.*``, ``process.hash.*``,
  ``process.parent.hash.*``, ``dll.hash.*``, ``threat.indicator.file.hash.*``, Suricata
  ``fileinfo.md5``/``sha1``/``sha256``, an Elastic alert's flattened ``file.hash.sha256``;
- under ``md5_after``, ``sha1_after``, ``sha256_after`` (Wazuh's ``syscheck``: the file as it is
  now, not as it was);
- in a ``hashes`` value: Sysmon's ``SHA256=...,MD5=...`` text (Wazuh ``data.win.eventdata.hashes``,
  ``winlog.event_data.Hashes``), or a list of hashes;
- in ``ioc_value`` where ``ioc_type`` says ``hashes`` (OpenSearch threat intelligence).

Any depth of the document up to ``MAX_DEPTH``, lists included. Values of any other shape are
not hashes (``"fake md5"`` is not one), so a query never needs to say which kind it means.
"""

from __future__ import annotations

import re
from typing import Any

LENGTHS = frozenset({32, 40, 64, 96, 128})
HASH_KEYS = frozenset(
    {
        "md5",
        "sha1",
        "sha256",
        "sha384",
        "sha512",
        "imphash",
        "hash",
        "md5_after",
        "sha1_after",
        "sha256_after",
    }
)
LIST_KEY = "hashes"
IOC_TYPES = frozenset({"hashes", "hash", "file_hash"})
MAX_DEPTH = 32
# Per document, the first in sorted order (so the same whatever the order of its keys, which
# the log's canonical JSON sorts): a list of thousands is not an alert's evidence to index.
MAX_HASHES = 64
_HEX = re.compile(r"[0-9a-f]+")
_SYSMON = re.compile(r"[A-Za-z0-9]+=([0-9A-Fa-f]+)")


def normal_hash(value: object) -> str | None:
    """``value`` as a hash (hex digits of a digest's length, lower case), or None."""
    if not isinstance(value, str) or len(value) not in LENGTHS:
        return None
    text = value.lower()
    return text if _HEX.fullmatch(text) else None


def _key(key: object) -> str:
    return str(key).rpartition(".")[2].lower()


def _listed(value: str) -> list[str]:
    """The hashes of a ``hashes`` text: ``SHA256=...,MD5=...`` (Sysmon), or one hash."""
    one = normal_hash(value)
    if one is not None:
        return [one]
    found = (normal_hash(m) for m in _SYSMON.findall(value))
    return [h for h in found if h is not None]


# A hash is found only under a key (or, for an indicator, beside a value) whose lower-case
# text ends with one of these, so that the JSON text of a document holding one holds one of
# them, lower-cased, right before a closing quote; unless the text spells letters with \u
# escapes. (An event's digest, "sha256:...", is followed by a colon, not a quote.)
_MARKS = ('hash"', 'hashes"', 'md5"', 'sha1"', 'sha256"', 'sha384"', 'sha512"', '_after"')


def may_hold_hashes(text: str) -> bool:
    """False only when JSON ``text`` (a document, or an event's body around one) cannot
    contain a document with a hash: what lets ingest skip the walk over most documents."""
    if "\\u" in text:
        return True
    low = text.lower()
    return any(mark in low for mark in _MARKS)


def document_hashes(doc: Any, text: str | None = None) -> list[str]:
    """Every hash ``doc`` holds (see the module), each once, sorted. ``text``: JSON text that
    holds ``doc`` (an event's body), to skip the walk when it can hold none."""
    if text is not None and not may_hold_hashes(text):
        return []
    found: set[str] = set()
    stack: list[tuple[Any, object, int]] = [(doc, "", 0)]
    pop, push = stack.pop, stack.append
    while stack:  # the hot path of an ingest with hashes: type checks, no calls per plain value
        node, key, depth = pop()
        if type(node) is dict:
            if "ioc_type" in node and str(node["ioc_type"]).lower() in IOC_TYPES:
                _add(found, normal_hash(node.get("ioc_value")))
            for k, v in node.items():
                kind = type(v)
                if kind is str:
                    n = len(v)
                    if n in LENGTHS and _key(k) in HASH_KEYS:
                        _add(found, normal_hash(v))
                    elif n > 32 and str(k)[-6:].lower() == LIST_KEY and _key(k) == LIST_KEY:
                        found.update(_listed(v))
                elif (kind is dict or kind is list) and depth < MAX_DEPTH:
                    push((v, k, depth + 1))
        elif type(node) is list:
            name = _key(key)
            for v in node:
                kind = type(v)
                if kind is str and name == LIST_KEY:
                    found.update(_listed(v))
                elif kind is str and name in HASH_KEYS:
                    _add(found, normal_hash(v))
                elif (kind is dict or kind is list) and depth < MAX_DEPTH:
                    push((v, key, depth + 1))
    return sorted(found)[:MAX_HASHES]


def _add(found: set[str], value: str | None) -> None:
    if value is not None:
        found.add(value)
