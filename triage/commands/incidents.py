"""Changes to an incident itself (status, owner, severity, title, description) and its notes."""

from __future__ import annotations

from typing import Any

from triage.commands.base import MAX_NAME, CommandBase, _text
from triage.domain import events as ev
from triage.domain.alert import Severity
from triage.errors import CommandRejected, NotFound
from triage.store.workspace import Event

MAX_DESCRIPTION = 20000


class IncidentCommands(CommandBase):
    """Updates of an incident."""

    def update_incident(
        self,
        incident_id: int,
        *,
        status: str | None = None,
        owner: str | None = None,
        severity: str | None = None,
        title: str | None = None,
        description: str | None = None,
        reason: str | None = None,
    ) -> Event:
        changes: dict[str, Any] = {}
        if status is not None:
            if status not in ("open", "closed"):
                raise CommandRejected(f"unknown incident status {status!r} (use open or closed)")
            changes["status"] = status
        if owner is not None:
            changes["owner"] = _text(owner, "owner", limit=MAX_NAME)
        if severity is not None:
            try:
                changes["severity"] = Severity.parse(severity).value
            except ValueError as exc:
                raise CommandRejected(str(exc)) from None
        if title is not None:
            changes["title"] = _text(title, "title", limit=512)
        if description is not None:
            changes["description"] = _text(description, "description", limit=MAX_DESCRIPTION)
        if not changes:
            raise CommandRejected("nothing to change")
        with self.ws.write() as w:
            if not self._incident_exists(incident_id):
                raise NotFound(f"no incident {incident_id}")
            payload: dict[str, Any] = {"changes": changes}
            if reason:
                payload["reason"] = _text(reason, "reason")
            return w.append(self.actor, ev.INCIDENT_UPDATED, f"incident:{incident_id}", payload)

    def note_incident(self, incident_id: int, text: str) -> Event:
        """A note on the incident itself (several lines allowed)."""
        text = _text(text, "note", limit=MAX_DESCRIPTION)
        with self.ws.write() as w:
            if not self._incident_exists(incident_id):
                raise NotFound(f"no incident {incident_id}")
            return w.append(self.actor, ev.INCIDENT_NOTED, f"incident:{incident_id}", {"text": text})
