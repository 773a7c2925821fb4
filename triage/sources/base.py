"""What every source yields: records that are either a document or a reason it is not one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class RawRecord:
    origin: str  # the file or source it came from
    location: str  # where in it: "line 12", "item 3", "hit abc"
    doc: dict[str, Any] | None  # the alert document, when one could be read
    raw: Any  # what is kept whole: the object as given, or the text that failed to parse
    index: str | None = None
    doc_id: str | None = None
    error: str | None = None  # why no document could be read
    text: str | None = None  # the exact JSON text of ``raw``, when it arrived as one piece
    plain: bool = False  # every float in it is plain (``sources.jsontext``): fast to encode


class Source(Protocol):
    """A plugin that yields raw records (files, Elasticsearch, OpenSearch, replays)."""

    name: str

    def records(self) -> Iterator[RawRecord]: ...


def unwrap_hit(
    origin: str, location: str, obj: Any, text: str | None = None, *, plain: bool = False
) -> RawRecord:
    """A search hit (``_index``/``_id``/``_source``) gives its source document and metadata;
    anything else is taken as the document itself. The whole object is kept as raw, and
    ``text``, when given, is its exact JSON text; ``plain``: ``jsontext.decode`` found its
    floats plain."""
    if not isinstance(obj, dict):
        return RawRecord(origin, location, None, obj, error=f"expected a JSON object, got {_kind(obj)}")
    source = obj.get("_source")
    if isinstance(source, dict) and ("_index" in obj or "_id" in obj):
        index = obj.get("_index")
        doc_id = obj.get("_id")
        return RawRecord(
            origin,
            location,
            source,
            obj,
            index=str(index) if index is not None else None,
            doc_id=str(doc_id) if doc_id is not None else None,
            text=text,
            plain=plain,
        )
    return RawRecord(origin, location, obj, obj, text=text, plain=plain)


def _kind(obj: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(obj), "a number"
    )
