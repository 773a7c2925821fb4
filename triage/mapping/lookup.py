"""Field lookup in documents that mix dotted keys and nested objects.

``{"kibana.alert.rule.name": x}``, ``{"kibana": {"alert": {"rule": {"name": x}}}}`` and
``{"kibana.alert": {"rule.name": x}}`` all answer ``get(doc, "kibana.alert.rule.name")``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

_MISSING = object()


def _get(obj: Any, parts: list[str], start: int) -> Any:
    if start == len(parts):
        return obj
    if not isinstance(obj, dict):
        return _MISSING
    # Longest dotted key first, then shorter prefixes, each recursing into the rest.
    for end in range(len(parts), start, -1):
        key = parts[start] if end == start + 1 else ".".join(parts[start:end])
        if key in obj:
            found = _get(obj[key], parts, end)
            if found is not _MISSING:
                return found
    return _MISSING


@lru_cache(maxsize=1024)
def _split(path: str) -> list[str]:
    return path.split(".")


def get(doc: Any, path: str, default: Any = None) -> Any:
    if not isinstance(doc, dict):
        return default
    if path in doc:
        return doc[path]
    parts = _split(path)
    # Fast path: plain nesting all the way down (the common case).
    obj: Any = doc
    for part in parts:
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        else:
            break
    else:
        return obj
    found = _get(doc, parts, 0)
    return default if found is _MISSING else found


def first(doc: Any, *paths: str) -> Any:
    """The first path that has a value other than None, '' or []."""
    for path in paths:
        value = get(doc, path)
        if value not in (None, "", [], {}):
            return value
    return None


def has_prefix(doc: Any, prefix: str) -> bool:
    """Whether the document has any field under ``prefix`` (dotted or nested)."""
    if not isinstance(doc, dict):
        return False
    if prefix in doc:
        return True
    head, _, rest = prefix.partition(".")
    if rest and isinstance(doc.get(head), dict) and has_prefix(doc[head], rest):
        return True  # plain nesting (the common case): no walk over the keys
    dotted = prefix + "."
    n = len(prefix)
    for key, value in doc.items():
        if key.startswith(dotted):
            return True
        # a key that is the prefix's first parts (``kibana.alert`` of ``kibana.alert.rule``)
        k = len(key)
        if k < n and prefix[k] == "." and prefix.startswith(key) and has_prefix(value, prefix[k + 1 :]):
            return True
    return False
