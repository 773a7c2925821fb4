"""From a value of an alert (a field of its raw document or of the overview) to the query that
finds every alert with it: ``host:"web-01"``, ``user:"bob"``, ``src_ip:"203.0.113.9"``; a hash
of the alert's document (``triage.domain.hashes``: what the index of ``hash:`` holds) as
``hash:<hex>``; another hash-like value, which no field holds, as a quoted phrase (looked for in
titles and rule names).

Values are quoted with ``triage.query.quote``: whatever the alert says, the query has one term.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Any

from triage.domain.hashes import normal_hash
from triage.query import quote

NORMALISED = (("host", "host"), ("user", "user_name"), ("src_ip", "src_ip"), ("dst_ip", "dst_ip"))
HASH_KEYS = frozenset({"md5", "sha1", "sha256", "sha384", "sha512", "hash", "imphash", "ssdeep", "tlsh"})
HEX_DIGEST = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128}")
HOST_KEYS = frozenset({"host", "hostname", "host_name", "computer", "computer_name", "computername"})
USER_KEYS = frozenset(
    {"user", "username", "user_name", "account_name", "targetusername", "subjectusername", "srcuser"}
)
SOURCE_KEYS = frozenset({"source", "src", "src_ip", "srcip", "client", "source_ip", "sourceip"})
DEST_KEYS = frozenset({"destination", "dst", "dest", "dst_ip", "dstip", "dest_ip", "server", "destinationip"})
MAX_LENGTH = 1000


def value_text(value: Any) -> str:
    """A value as it is copied: text as it is, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def pivot_query(
    path: tuple[str, ...], value: Any, alert: Mapping[str, Any], hashes: frozenset[str] = frozenset()
) -> str | None:
    """The query for the value at ``path`` of the alert's raw document (None: not a host, user,
    address or hash). A value equal to one of the alert's normalised fields is that field; one
    of ``hashes`` (the document's, ``triage.domain.hashes.document_hashes``) is ``hash:``."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value)
    if not text or len(text) > MAX_LENGTH:
        return None
    for name, column in NORMALISED:
        if alert.get(column) == text:
            return f"{name}:{quote(text)}"
    digest = normal_hash(text)
    if digest is not None and digest in hashes:
        return f"hash:{digest}"
    keys = [k.lower() for k in path if not k.startswith("[")]
    last = keys[-1] if keys else ""
    if last in HASH_KEYS or "hash" in keys or "hashes" in keys or HEX_DIGEST.fullmatch(text):
        return quote(text)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        if SOURCE_KEYS & set(keys):
            return f"src_ip:{quote(text)}"
        if DEST_KEYS & set(keys):
            return f"dst_ip:{quote(text)}"
        return f"(src_ip:{quote(text)} OR dst_ip:{quote(text)})"
    if last in HOST_KEYS or keys[-2:] == ["host", "name"]:
        return f"host:{quote(text)}"
    if last in USER_KEYS or keys[-2:] == ["user", "name"]:
        return f"user:{quote(text)}"
    return None


def overview_pivots(alert: Mapping[str, Any], hashes: list[str] | None = None) -> list[tuple[str, str, str]]:
    """The alert's own host, user and addresses, then its document's hashes: (label, value,
    query) for each it has."""
    out = []
    for name, column in NORMALISED:
        value = alert.get(column)
        if isinstance(value, str) and value:
            out.append((name, value, f"{name}:{quote(value)}"))
    out.extend(("hash", h, f"hash:{h}") for h in hashes or [])
    return out
