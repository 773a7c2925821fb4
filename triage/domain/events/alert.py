"""Events about one alert (target ``alert:<id>``): their names, payloads and descriptions."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from triage.domain.events.base import Changes, Payload

ALERT_INGESTED = "alert.ingested"
ALERT_UPDATED = "alert.updated"
ALERT_ASSIGNED = "alert.assigned"
ALERT_ACKNOWLEDGED = "alert.acknowledged"
ALERT_NOTED = "alert.noted"
ALERT_STEP_COMPLETED = "alert.step_completed"
ALERT_SEVERITY_CHANGED = "alert.severity_changed"
ALERT_ESCALATED = "alert.escalated"
ALERT_LINKED = "alert.linked"
ALERT_UNLINKED = "alert.unlinked"
ALERT_CLOSED = "alert.closed"
ALERT_REOPENED = "alert.reopened"
ALERT_SOURCE_UPDATED = "alert.source_updated"


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlaybookSnapshot(_Part):
    """The playbook as it stood when the alert arrived: its steps and time targets."""

    id: str
    version: int
    steps: list[str] = Field(default_factory=list)
    required: list[str] = Field(default_factory=list)
    ack_within: int | None = None
    close_within: int | None = None


class NewIncident(_Part):
    title: str
    severity: str
    owner: str | None = None


class Override(_Part):
    justification: str
    open_steps: list[str]


class _AlertEvent(Payload):
    CHANGES: ClassVar[Changes] = Changes.ALERT
    TARGET: ClassVar[str] = "alert"


class AlertIngested(_AlertEvent):
    """An alert reached the queue. Version 2 added ``digest``; version 1 payloads have none
    (the projection computes it from the document)."""

    NAME: ClassVar[str] = ALERT_INGESTED
    VERSION: ClassVar[int] = 2

    dedup_key: str
    # The normalised alert with the source's document in ``raw``: not validated field by field
    # here (``triage.domain.alert.Alert`` did that when it was mapped), it is the hot path.
    alert: dict[str, Any]
    playbook: PlaybookSnapshot | None = None
    digest: str | None = None
    key: str | None = None  # the source's key when a collision stored it under another
    collision_of: int | None = None

    def describe(self) -> str:
        text = f"ingested from {self.alert['source']} ({self.alert['profile']})"
        if self.collision_of:
            text += f"; key collision: alert {self.collision_of} has the same key with other content"
        return text


class AlertUpdated(_AlertEvent):
    """The source sent a new version of an alert it updates in place (Elastic Security)."""

    NAME: ClassVar[str] = ALERT_UPDATED

    digest: str
    changed: list[str] | None = None
    status: str | None = None
    raw: Any = None

    def describe(self) -> str:
        return (
            "updated in its source: "
            + (", ".join(self.changed or []) or "new version")
            + (f" (status {self.status})" if self.status else "")
        )


class AlertAssigned(_AlertEvent):
    NAME: ClassVar[str] = ALERT_ASSIGNED

    assignee: str
    previous: str | None = None

    def describe(self) -> str:
        return f"assigned to {self.assignee}"

    def minutes(self) -> str:
        return self.describe()


class AlertAcknowledged(_AlertEvent):
    NAME: ClassVar[str] = ALERT_ACKNOWLEDGED

    assignee: str | None = None  # who acknowledged an unowned alert and now owns it

    def describe(self) -> str:
        return "acknowledged" + (f", now owned by {self.assignee}" if self.assignee else "")

    def minutes(self) -> str:
        return "acknowledged"


class AlertNoted(_AlertEvent):
    NAME: ClassVar[str] = ALERT_NOTED

    text: str

    def describe(self) -> str:
        return f"note: {self.text}"

    def minutes(self) -> str:
        return self.describe()


class AlertStepCompleted(_AlertEvent):
    NAME: ClassVar[str] = ALERT_STEP_COMPLETED

    step: str
    playbook: str | None = None
    note: str | None = None

    def describe(self) -> str:
        return f"completed step {self.step}" + (f": {self.note}" if self.note else "")

    def minutes(self) -> str:
        return f"step {self.step} done" + (f" ({self.note})" if self.note else "")


class AlertSeverityChanged(_AlertEvent):
    """The severity changed; with a playbook, its time targets for the new severity."""

    NAME: ClassVar[str] = ALERT_SEVERITY_CHANGED

    from_: str = Field(alias="from")
    to: str
    reason: str
    ack_within: int | None = None
    close_within: int | None = None

    def describe(self) -> str:
        return f"severity {self.from_} -> {self.to}: {self.reason}"

    def minutes(self) -> str:
        return self.describe()


class AlertEscalated(_AlertEvent):
    """Escalated to an incident; ``new_incident`` when the escalation created it."""

    NAME: ClassVar[str] = ALERT_ESCALATED

    incident: int
    previous: int | None = None
    new_incident: NewIncident | None = None

    def describe(self) -> str:
        return f"escalated to incident {self.incident}" + (" (new)" if self.new_incident else "")

    def minutes(self) -> str:
        if self.new_incident:
            return f"escalated to new incident {self.incident}: {self.new_incident.title}"
        return f"escalated to incident {self.incident}"


class AlertLinked(_AlertEvent):
    NAME: ClassVar[str] = ALERT_LINKED

    incident: int

    def describe(self) -> str:
        return f"linked to incident {self.incident}"

    def minutes(self) -> str:
        return self.describe()


class AlertUnlinked(_AlertEvent):
    NAME: ClassVar[str] = ALERT_UNLINKED

    incident: int

    def describe(self) -> str:
        return f"unlinked from incident {self.incident}"

    def minutes(self) -> str:
        return self.describe()


class AlertClosed(_AlertEvent):
    """Closed with a disposition; ``override`` when required steps were still open;
    ``duplicate_of`` the alert a duplicate repeats (its steps are done there)."""

    NAME: ClassVar[str] = ALERT_CLOSED

    disposition: str
    reason: str
    override: Override | None = None
    suppression: int | None = None  # the suppression rule that closed it (disposition suppressed)
    duplicate_of: int | None = None

    def _closed_as(self) -> str:
        of = f" of #{self.duplicate_of}" if self.duplicate_of is not None else ""
        return f"closed as {self.disposition}{of}: {self.reason}"

    def describe(self) -> str:
        text = self._closed_as()
        if self.override:
            o = self.override
            text += f" [OVERRIDE, open steps {', '.join(o.open_steps)}: {o.justification}]"
        return text

    def minutes(self) -> str:
        text = self._closed_as()
        if self.override:
            o = self.override
            text += f"; steps overridden: {', '.join(o.open_steps)} ({o.justification})"
        return text


class AlertReopened(_AlertEvent):
    NAME: ClassVar[str] = ALERT_REOPENED

    reason: str
    previous_disposition: str | None = None

    def describe(self) -> str:
        return f"reopened: {self.reason}"

    def minutes(self) -> str:
        return self.describe()


class AlertSourceUpdated(_AlertEvent):
    """triage wrote the alert's workflow status back to the source it came from."""

    NAME: ClassVar[str] = ALERT_SOURCE_UPDATED

    status: str


ALERT_EVENTS: tuple[type[Payload], ...] = (
    AlertIngested,
    AlertUpdated,
    AlertAssigned,
    AlertAcknowledged,
    AlertNoted,
    AlertStepCompleted,
    AlertSeverityChanged,
    AlertEscalated,
    AlertLinked,
    AlertUnlinked,
    AlertClosed,
    AlertReopened,
    AlertSourceUpdated,
)
