"""Events about incidents, input, sources, sign-offs and exercises: names, payloads, descriptions."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ConfigDict, field_validator

from triage.domain.events.base import Changes, Payload

INCIDENT_UPDATED = "incident.updated"
INCIDENT_NOTED = "incident.noted"
INPUT_QUARANTINED = "input.quarantined"
SOURCE_POLLED = "source.polled"
EVIDENCE_SIGNED = "evidence.signed"
EXERCISE_RECORDED = "exercise.recorded"
EXERCISE_STARTED = "exercise.started"
EXERCISE_INJECT = "exercise.inject"
EXERCISE_ENDED = "exercise.ended"
SHIFT_HANDOVER = "shift.handover"
NOTIFICATION_SENT = "notification.sent"
NOTIFICATION_KINDS = ("breach", "due_soon", "assigned", "critical", "escalated")

# The incident fields ``incident.updated`` may change, in the order they are applied.
INCIDENT_FIELDS = ("status", "owner", "severity", "title", "description")


class IncidentUpdated(Payload):
    NAME: ClassVar[str] = INCIDENT_UPDATED
    CHANGES: ClassVar[Changes] = Changes.INCIDENT
    TARGET: ClassVar[str] = "incident"

    changes: dict[str, Any]
    reason: str | None = None

    @field_validator("changes")
    @classmethod
    def _known(cls, v: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(str(k) for k in v if k not in INCIDENT_FIELDS)
        if unknown:
            raise ValueError(f"incident.updated changes unknown fields: {', '.join(unknown)}")
        return v

    def _changes(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.changes.items())

    def describe(self) -> str:
        return "incident updated: " + self._changes()

    def minutes(self) -> str:
        return f"updated: {self._changes()}"


class IncidentNoted(Payload):
    """A note on an incident itself (its alerts have notes of their own)."""

    NAME: ClassVar[str] = INCIDENT_NOTED
    CHANGES: ClassVar[Changes] = Changes.INCIDENT
    TARGET: ClassVar[str] = "incident"

    text: str

    def describe(self) -> str:
        return f"note: {self.text}"

    def minutes(self) -> str:
        return f"noted: {self.text}"


class InputQuarantined(Payload):
    """Input that could not be read, mapped or stored, kept with its reason."""

    NAME: ClassVar[str] = INPUT_QUARANTINED
    CHANGES: ClassVar[Changes] = Changes.QUARANTINE
    TARGET: ClassVar[str] = "quarantine"

    origin: str
    location: str
    reason: str
    raw: Any = None
    dedup_key: str

    def describe(self) -> str:
        return f"quarantined {self.origin} {self.location}: {self.reason}"


class SourcePolled(Payload):
    """A poller committed a page. Version 2 counts ``present``, ``updated`` and ``collisions``;
    version 1 payloads (before content digests) counted ``duplicates``, meaning present."""

    NAME: ClassVar[str] = SOURCE_POLLED
    VERSION: ClassVar[int] = 2
    CHANGES: ClassVar[Changes] = Changes.SOURCE
    TARGET: ClassVar[str] = "source"

    cursor_ms: int | None = None
    ingested: int
    present: int
    quarantined: int
    updated: int = 0
    collisions: int = 0

    @classmethod
    def upgrade(cls, payload: dict[str, Any]) -> dict[str, Any]:
        if "present" not in payload and "duplicates" in payload:
            old = dict(payload)
            old["present"] = old.pop("duplicates")
            return old
        return payload


class EvidenceSigned(Payload):
    """Management's sign-off of a month's evidence."""

    NAME: ClassVar[str] = EVIDENCE_SIGNED
    CHANGES: ClassVar[Changes] = Changes.NOTHING
    TARGET: ClassVar[str] = "evidence"

    month: str
    timezone: str
    statement: str


class ExerciseRecorded(Payload):
    """In the production log: a tabletop exercise was held (its minutes' SHA-256 and score)."""

    NAME: ClassVar[str] = EXERCISE_RECORDED
    CHANGES: ClassVar[Changes] = Changes.NOTHING
    TARGET: ClassVar[str] = "exercise"

    exercise_id: str
    title: str
    started_at: str
    ended_at: str
    minutes_sha256: str
    score: float | None = None


class ExerciseStarted(Payload):
    """In an exercise workspace: the scenario as played and how it is played."""

    model_config = ConfigDict(extra="allow")  # settings are the runner's to add to

    NAME: ClassVar[str] = EXERCISE_STARTED
    CHANGES: ClassVar[Changes] = Changes.NOTHING
    TARGET: ClassVar[str] = "exercise"

    scenario: dict[str, Any]
    speed: float = 1.0
    participants: dict[str, str] | None = None
    target: str | None = None
    folder: str | None = None


class ExerciseInject(Payload):
    NAME: ClassVar[str] = EXERCISE_INJECT
    CHANGES: ClassVar[Changes] = Changes.NOTHING
    TARGET: ClassVar[str] = "exercise"

    at: str
    at_s: float
    text: str


class ExerciseEnded(Payload):
    NAME: ClassVar[str] = EXERCISE_ENDED
    CHANGES: ClassVar[Changes] = Changes.NOTHING
    TARGET: ClassVar[str] = "exercise"

    alerts: int
    injects: int
    stopped: bool
    position_s: float


class ShiftHandover(Payload):
    """A shift handover report was written and handed on: its window, its format and the
    SHA-256 of the report's bytes (the report itself stays outside the log), and its counts."""

    NAME: ClassVar[str] = SHIFT_HANDOVER
    CHANGES: ClassVar[Changes] = Changes.NOTHING
    TARGET: ClassVar[str] = "handover"

    since: str
    until: str
    format: str
    sha256: str
    counts: dict[str, int]

    @field_validator("sha256")
    @classmethod
    def _hex(cls, v: str) -> str:
        if len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
            raise ValueError("sha256 must be 64 lowercase hex digits")
        return v

    @field_validator("format")
    @classmethod
    def _format(cls, v: str) -> str:
        if v not in ("markdown", "json"):
            raise ValueError("format must be markdown or json")
        return v

    def describe(self) -> str:
        return f"shift handover {self.since} to {self.until} ({self.format}, SHA-256 {self.sha256[:16]}...)"


class NotificationSent(Payload):
    """The notifier told someone (or kept failing to): which notify target, what about, the
    outcome. ``key`` names the notification within its target, so each is sent once. Never a
    secret: no URL, no credentials; ``recipient`` is an analyst's address for ``assigned``."""

    NAME: ClassVar[str] = NOTIFICATION_SENT
    CHANGES: ClassVar[Changes] = Changes.NOTIFICATION
    TARGET: ClassVar[str] = "notification"  # notification:<notify target name>

    kind: str
    key: str
    alert: int
    outcome: str
    channel: str
    attempts: int
    detail: str | None = None  # the HTTP status or SMTP reply, or why it failed
    recipient: str | None = None
    incident: int | None = None
    seq: int | None = None  # the event it is about (time-driven ones have none)
    due: str | None = None  # a breached or due-soon target's due time

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in NOTIFICATION_KINDS:
            raise ValueError(f"kind must be one of {', '.join(NOTIFICATION_KINDS)}")
        return v

    @field_validator("outcome")
    @classmethod
    def _outcome(cls, v: str) -> str:
        if v not in ("sent", "failed"):
            raise ValueError("outcome must be sent or failed")
        return v

    def describe(self) -> str:
        to = f" to {self.recipient}" if self.recipient else ""
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.kind} notification {self.outcome}{to}{tries}" + (
            f" ({self.detail})" if self.detail else ""
        )


OTHER_EVENTS: tuple[type[Payload], ...] = (
    IncidentUpdated,
    IncidentNoted,
    InputQuarantined,
    SourcePolled,
    EvidenceSigned,
    ExerciseRecorded,
    ExerciseStarted,
    ExerciseInject,
    ExerciseEnded,
    ShiftHandover,
    NotificationSent,
)
