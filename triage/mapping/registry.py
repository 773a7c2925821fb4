"""The mapping registry: every format's profile in detection order, and the one entry point.

A profile is chosen per document (``detect``, the first whose test matches, in the order of
``PROFILES``) or by name. ``map_document`` never raises anything but ``MappingError``, whose
message becomes the quarantine reason.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from triage.domain.alert import Alert
from triage.errors import MappingError
from triage.mapping import ecs, elastic, elastic_legacy, opensearch, suricata, wazuh
from triage.mapping.coerce import text
from triage.mapping.lookup import first
from triage.mapping.profile import Profile

# Detection order matters: the first profile whose test matches a document maps it.
PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        elastic.PROFILE,
        elastic_legacy.PROFILE,
        wazuh.PROFILE,
        suricata.PROFILE,
        opensearch.PROFILE,
        ecs.PROFILE,
    )
}


def detect(doc: dict[str, Any]) -> Profile:
    for profile in PROFILES.values():
        if profile.detect(doc):
            return profile
    keys = ", ".join(sorted(str(k) for k in doc)[:8])
    raise MappingError(f"unknown alert format (no profile recognises a document with keys: {keys})")


def profile_named(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise MappingError(
            f"unknown mapping profile {name!r} (known: {', '.join(PROFILES)}, or auto)"
        ) from None


def map_document(
    doc: Any,
    *,
    source: str,
    raw: dict[str, Any] | None = None,
    index: str | None = None,
    doc_id: str | None = None,
    profile: str | None = None,
) -> Alert:
    """Map one document to an alert. ``raw`` is what is kept (the whole search hit, say);
    ``doc`` is the alert document inside it."""
    if not isinstance(doc, dict):
        raise MappingError(f"expected a JSON object, got {type(doc).__name__}")
    prof = detect(doc) if profile in (None, "auto") else profile_named(profile)
    try:
        fields = prof.fields(doc)
    except MappingError:
        raise
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
        raise MappingError(f"{prof.name}: unexpected document shape ({exc})") from None
    mapped_id = fields.pop("doc_id", None)
    if not fields.get("title"):
        raise MappingError(f"{prof.name}: no rule name or title in the document")
    fields.setdefault("host", text(first(doc, "host.name", "host.hostname")))
    fields.setdefault("user", text(first(doc, "user.name", "user.email")))
    fields.setdefault("src_ip", text(first(doc, "source.ip", "client.ip")))
    fields.setdefault("dst_ip", text(first(doc, "destination.ip", "server.ip")))
    fields.setdefault("tactics", [])
    fields.setdefault("techniques", [])
    fields.setdefault("tags", [])
    try:
        return Alert(
            source=source,
            profile=prof.name,
            index=index,
            doc_id=doc_id or mapped_id,
            raw=raw if raw is not None else doc,
            **fields,
        )
    except ValidationError as exc:
        first_err = exc.errors()[0]
        loc = ".".join(str(p) for p in first_err["loc"])
        raise MappingError(f"{prof.name}: field {loc}: {first_err['msg']}") from None
