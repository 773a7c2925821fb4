"""The search clients' answers read by ``jsontext.decode``: faster, and with word of their floats.

Both clients decode every answer with the standard library by default. These serializers decode
with msgspec instead, falling back to ``json.loads`` itself for anything msgspec refuses, so a
client reads exactly what it read before. What ``decode`` found of the floats (``last_plain``)
is read by the backend in the same thread right after its search, for the page's records.
Requests are still encoded by the clients' own serializers.
"""

from __future__ import annotations

from typing import Any

from triage.sources.jsontext import decode


def elastic_serializer() -> Any:
    from elastic_transport import SerializationError
    from elasticsearch.serializer import JsonSerializer

    class Serializer(JsonSerializer):
        def loads(self, data: bytes) -> Any:
            if data == b"":
                return None  # as the client's own: an empty answer with a JSON content type
            try:
                return decode(data, lenient=True)[0]
            except (ValueError, TypeError, RecursionError) as exc:
                raise SerializationError(
                    message=f"Unable to deserialize as JSON: {data!r}", errors=(exc,)
                ) from None

    return Serializer()


def opensearch_serializer() -> Any:
    from opensearchpy.exceptions import SerializationError
    from opensearchpy.serializer import JSONSerializer

    class Serializer(JSONSerializer):
        def loads(self, s: str) -> Any:
            try:
                return decode(s, lenient=True)[0]
            except (ValueError, TypeError, RecursionError) as exc:
                raise SerializationError(s, exc) from None

    return Serializer()
