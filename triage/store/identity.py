"""When two received documents are the same alert, and when they are the same content.

An alert's *key* says which alert a document is about (its index and id where the source has
them). Its *digest* says what the document holds. "Already present" means the same key with
the same digest: a key alone never makes a document a duplicate, because real sources reuse
ids (Wazuh ids are unique per manager only) and some update alerts in place (Elastic Security
rewrites an alert's workflow status and last-detected time).
"""

from __future__ import annotations

import hashlib
from typing import Any

from triage.store.chain import canonical, canonical_plain

DIGEST_PREFIX = "sha256:"


def source_document(raw: Any) -> Any:
    """The alert document inside what was kept: a search hit's ``_source``, else ``raw`` itself.
    The same rule as reading a hit (``sources.base.unwrap_hit``)."""
    if isinstance(raw, dict):
        source = raw.get("_source")
        if isinstance(source, dict) and ("_index" in raw or "_id" in raw):
            return source
    return raw


def content_digest(doc: Any, *, plain: bool = False) -> str:
    """SHA-256 of the document's canonical JSON: the same for any whitespace, key order or
    escaping of the same document, different for any other value. ``plain``: its floats are
    plain (see ``chain.canonical_plain``), the same digest computed faster."""
    text = canonical_plain(doc) if plain else canonical(doc)
    return DIGEST_PREFIX + hashlib.sha256(text.encode("ascii")).hexdigest()


def key_hash(key: str) -> int:
    """An alert's key as a number, the alert row's ``key_hash``: the first 8 bytes of the
    SHA-256 of its UTF-8 text, signed. Keys are looked up by it, through an index a small part
    of the size of one on the keys' text; keys that share a number are told apart by the keys
    themselves."""
    return int.from_bytes(
        hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()[:8], "big", signed=True
    )


# ``key_hash`` of a text column in PostgreSQL's SQL (a test holds the two to the same numbers).
KEY_HASH_SQL_PG = "('x' || substr(encode(sha256(convert_to({}, 'UTF8')), 'hex'), 1, 16))::bit(64)::bigint"


def without_field(doc: dict[str, Any], path: str) -> dict[str, Any]:
    """A copy of ``doc`` without the field at ``path``, written as a dotted key or nested."""
    if path in doc:
        return {k: v for k, v in doc.items() if k != path}
    head, dot, rest = path.partition(".")
    if not dot:
        return doc
    for key, value in doc.items():
        if not isinstance(value, dict):
            continue
        if key == head:
            inner = rest
        elif path.startswith(key + "."):
            inner = path[len(key) + 1 :]
        else:
            continue
        trimmed = without_field(value, inner)
        if trimmed is not value:
            return {**doc, key: trimmed}
    return doc


def changed_fields(old: Any, new: Any, *, limit: int = 20) -> list[str]:
    """The top-level fields whose values differ between two documents (sorted, at most
    ``limit``), for a one-line description of an update."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return ["(document)"]
    keys = sorted(
        (str(k) for k in set(old) | set(new) if canonical(old.get(k)) != canonical(new.get(k))),
    )
    return keys[:limit] + ([f"(+{len(keys) - limit} more)"] if len(keys) > limit else [])
