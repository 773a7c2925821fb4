"""What a mapping profile is: how to recognise one format and read an alert's fields from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    detect: Callable[[dict[str, Any]], bool]
    fields: Callable[[dict[str, Any]], dict[str, Any]]
    # Whether the source rewrites an alert in place (a new version under the same key is an
    # update), for every document or by document, and the field triage itself writes back
    # there (a change of it alone is ours).
    updates_in_place: bool | Callable[[dict[str, Any]], bool] = False
    status_field: str | None = None
    # What else, besides its id, tells one document's origin from another's (a Wazuh id is
    # unique per manager only): part of the alert's key when no search index gives one.
    scope: Callable[[dict[str, Any]], str | None] | None = None

    def rewrites(self, doc: Any) -> bool:
        """Whether the source updates this document in place."""
        if callable(self.updates_in_place):
            return isinstance(doc, dict) and self.updates_in_place(doc)
        return self.updates_in_place
