"""The state of an incident, folded from the events on its timeline (see ``triage.domain.state``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from triage.domain import events as ev
from triage.domain.logged import Logged, RowLike, is_exercise


@dataclass
class IncidentState:
    """One incident, folded from the events on its timeline."""

    id: int
    title: str
    severity: str
    owner: str | None
    created_at: str
    created_by: str
    status: str = "open"
    closed_at: str | None = None
    alerts: list[int] = field(default_factory=list)
    events: int = 0
    last_seq: int = 0
    updated_at: str = ""
    description: str | None = None
    notes: int = 0

    ROW_COLUMNS = (
        "id", "title", "severity", "status", "owner", "created_at", "created_by", "closed_at",
        "last_seq", "updated_at", "description", "notes",
    )  # fmt: skip

    @classmethod
    def created(cls, e: Logged) -> IncidentState | None:
        """The incident an escalation creates (None if the event creates none)."""
        spec = e.payload.get("new_incident") if e.action == ev.ALERT_ESCALATED else None
        if not spec:
            return None
        inc = cls(e.payload["incident"], spec["title"], spec["severity"], spec.get("owner"), e.ts, e.actor)
        inc.apply(e)
        return inc

    @classmethod
    def fold(cls, events: Iterable[Logged], *, figures: bool = False) -> IncidentState | None:
        inc: IncidentState | None = None
        for e in events:
            if figures and is_exercise(e):
                continue
            if inc is None:
                inc = cls.created(e)
                if inc is None:
                    return None
            else:
                inc.apply(e)
        return inc

    @classmethod
    def from_row(cls, row: RowLike) -> IncidentState:
        return cls(**{k: row[k] for k in cls.ROW_COLUMNS})

    def row(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.ROW_COLUMNS}

    def apply(self, e: Logged) -> None:
        p, action = e.payload, e.action
        alert_id = int(e.target.partition(":")[2]) if e.target.startswith("alert:") else None
        if action == ev.ALERT_ESCALATED and p["incident"] != self.id:
            # the alert was escalated from this incident to another one: it leaves this one
            if alert_id in self.alerts:
                self.alerts.remove(alert_id)
        elif action in (ev.ALERT_ESCALATED, ev.ALERT_LINKED):
            if alert_id is not None and alert_id not in self.alerts:
                self.alerts.append(alert_id)
        elif action == ev.ALERT_UNLINKED:
            if alert_id in self.alerts:
                self.alerts.remove(alert_id)
        elif action == ev.INCIDENT_UPDATED:
            changes = p["changes"]
            unknown = sorted(str(k) for k in changes if k not in ev.INCIDENT_FIELDS)
            if unknown:
                raise ValueError(
                    f"event {e.seq}: incident.updated changes unknown fields: {', '.join(unknown)}"
                )
            for key in ("title", "severity", "owner", "description"):
                if key in changes:
                    setattr(self, key, changes[key])
            if "status" in changes:
                self.status = changes["status"]
                self.closed_at = e.ts if changes["status"] == "closed" else None
        elif action == ev.INCIDENT_NOTED:
            self.notes += 1
        else:
            raise ValueError(f"event {e.seq}: {action} is not an event of an incident")
        self.events += 1
        self.last_seq, self.updated_at = e.seq, e.ts
