"""The state of an alert or an incident, folded from its events: the one model of the log.

Pure (no I/O): ``AlertState`` and ``IncidentState`` start from the event that creates them
and ``apply`` one event at a time, one rule per event type. The SQL projection derives its
rows from these states, the evidence pack replays them as of month end, the exercise minutes
and the terminal app read their targets and checklists from them. The rules live here once:

- time targets count from when the alert reached the queue; the acknowledge target is met or
  breached by the first acknowledgement, or by the first close if it was closed without one;
  the close target by the close in force;
- required playbook steps still open: required and not completed;
- the first acknowledgement is the one that counts (later ones change the status only);
- in production figures (``figures=True``) an event marked as part of a tabletop exercise
  never counts.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from json.encoder import encode_basestring_ascii
from typing import Any

from triage.clock import format_ts, parse_time
from triage.domain import events as ev
from triage.domain.incident_state import IncidentState
from triage.domain.logged import Fact, Logged, RowLike, is_exercise, marked_exercise

__all__ = [
    "ALERT_COLUMNS",
    "LIST_COLUMNS",
    "AlertState",
    "Fact",
    "IncidentState",
    "Logged",
    "RowLike",
    "TargetState",
    "is_exercise",
    "marked_exercise",
    "open_steps",
    "target_state",
]


class TargetState(StrEnum):
    MET = "met"
    BREACHED = "breached"
    PENDING = "pending"


def target_state(due: datetime | None, done: datetime | None, now: datetime) -> TargetState | None:
    """met / breached / pending (not due yet at ``now``, not done); None without a target."""
    if due is None:
        return None
    if done is not None:
        return TargetState.MET if done <= due else TargetState.BREACHED
    return TargetState.BREACHED if due < now else TargetState.PENDING


def open_steps(required: Iterable[str], done: Iterable[str]) -> list[str]:
    """Required playbook steps not completed, in the playbook's order."""
    finished = set(done)
    return [s for s in required if s not in finished]


def _log_time(ts: str) -> datetime:
    """A time the log wrote (``format_ts``): the fast ISO parser first, the general one else."""
    try:
        dt = datetime.fromisoformat(ts)
    except ValueError:
        return parse_time(ts)
    return dt if dt.tzinfo is not None else parse_time(ts)


def _due(base: str, seconds: int | None) -> str | None:
    return None if seconds is None else format_ts(_log_time(base) + timedelta(seconds=seconds))


def list_text(v: list[str]) -> str:
    """``json.dumps(v)``: a list column's text (for a list of text, built from the same C
    escaping function the encoder uses, without its machinery)."""
    if not v:
        return "[]"
    if all(type(x) is str for x in v):
        return "[" + ", ".join(map(encode_basestring_ascii, v)) + "]"
    return json.dumps(v)


def running_due(
    status: str, ack_due: str | None, close_due: str | None, first_closed_at: str | None
) -> str | None:
    """The due time of the target that runs now: the acknowledge target while the alert is new
    and was never closed (its first close meets that target too), then the close target until
    it is closed. ``triage.store.tables.DUE_AT`` is this rule in SQL."""
    if status == "new" and first_closed_at is None:
        return ack_due
    if status in ("new", "acknowledged"):
        return close_due
    return None


def _dt(ts: str | None) -> datetime | None:
    return parse_time(ts) if ts is not None else None


# The projection's ``alerts`` columns the state holds (every one but the content tracking the
# projection keeps itself); lists are stored as JSON text.
ALERT_COLUMNS = (
    "id", "dedup_key", "source", "profile", "index_name", "doc_id", "rule_name", "rule_id", "title",
    "severity", "original_severity", "risk_score", "fired_at", "ingested_at", "host", "user_name",
    "src_ip", "dst_ip", "tactics", "techniques", "tags", "playbook_id", "playbook_version",
    "playbook_steps", "required_steps", "steps_done", "ack_due", "close_due", "status", "assignee",
    "acknowledged_at", "acknowledged_by", "closed_at", "closed_by", "disposition", "close_reason",
    "close_override", "incident_id", "notes", "reopened", "ingest_seq", "last_seq", "updated_at",
    "content_digest", "content_seq", "source_updates", "collision_of", "source_status",
    "first_closed_at", "duplicate_of",
)  # fmt: skip
LIST_COLUMNS = frozenset({"tactics", "techniques", "tags", "playbook_steps", "required_steps", "steps_done"})
_LIST_PLACES = tuple(i for i, k in enumerate(ALERT_COLUMNS) if k in LIST_COLUMNS)
_ROW_VALUES = operator.attrgetter(*ALERT_COLUMNS)


@dataclass
class AlertState:
    """One alert, as its events up to some point make it. Times are the log's UTC text."""

    id: int
    ingest_seq: int
    dedup_key: str = ""
    source: str = ""
    profile: str = ""
    index_name: str | None = None
    doc_id: str | None = None
    rule_name: str | None = None
    rule_id: str | None = None
    title: str = ""
    severity: str = ""
    original_severity: str = ""
    risk_score: float | None = None
    fired_at: str = ""
    ingested_at: str = ""
    host: str | None = None
    user_name: str | None = None
    src_ip: str | None = None
    dst_ip: str | None = None
    tactics: list[str] = field(default_factory=list)
    techniques: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    playbook_id: str | None = None
    playbook_version: int | None = None
    playbook_steps: list[str] = field(default_factory=list)
    required_steps: list[str] = field(default_factory=list)
    steps_done: list[str] = field(default_factory=list)
    ack_due: str | None = None
    close_due: str | None = None
    status: str = "new"
    assignee: str | None = None
    acknowledged_at: str | None = None
    acknowledged_by: str | None = None
    closed_at: str | None = None
    closed_by: str | None = None
    disposition: str | None = None
    close_reason: str | None = None
    close_override: str | None = None
    incident_id: int | None = None
    notes: int = 0
    reopened: int = 0
    last_seq: int = 0
    updated_at: str = ""
    content_digest: str | None = None
    content_seq: int | None = None
    source_updates: int = 0
    collision_of: int | None = None
    source_status: str | None = None
    first_closed_at: str | None = None
    duplicate_of: int | None = None  # closed as a duplicate of this alert
    # history no projection column keeps (``from_row`` cannot restore it)
    exercise: bool = False
    assignees: list[str] = field(default_factory=list)
    first_incident_at: str | None = None
    overridden_steps: list[str] = field(default_factory=list)  # of the latest close with an override
    override_reason: str | None = None

    # -- creating ----------------------------------------------------------------------

    @classmethod
    def ingested(cls, e: Logged) -> AlertState:
        """The alert as its ``alert.ingested`` event creates it."""
        p = e.payload
        a, pb = p["alert"], p.get("playbook") or {}
        ts = e.ts
        return cls(
            id=int(e.target.partition(":")[2]), ingest_seq=e.seq, dedup_key=p["dedup_key"],
            source=a["source"], profile=a["profile"], index_name=a.get("index"), doc_id=a.get("doc_id"),
            rule_name=a.get("rule_name"), rule_id=a.get("rule_id"), title=a["title"],
            severity=a["severity"], original_severity=a["severity"], risk_score=a.get("risk_score"),
            fired_at=a["fired_at"], ingested_at=ts, host=a.get("host"), user_name=a.get("user"),
            src_ip=a.get("src_ip"), dst_ip=a.get("dst_ip"), tactics=list(a.get("tactics", [])),
            techniques=list(a.get("techniques", [])), tags=list(a.get("tags", [])),
            playbook_id=pb.get("id"), playbook_version=pb.get("version"),
            playbook_steps=list(pb.get("steps", [])), required_steps=list(pb.get("required", [])),
            ack_due=_due(ts, pb.get("ack_within")), close_due=_due(ts, pb.get("close_within")),
            last_seq=e.seq, updated_at=ts, content_digest=p.get("digest"), content_seq=e.seq,
            collision_of=p.get("collision_of"), exercise=is_exercise(e),
        )  # fmt: skip

    @classmethod
    def fold(cls, events: Iterable[Logged], *, figures: bool = False) -> AlertState | None:
        """The alert its events make (in log order, the first its ingest); None without one.
        Events on its timeline that change no alert (the notifications sent about it) are
        passed over."""
        state: AlertState | None = None
        for e in events:
            model = ev.CATALOGUE.get(e.action)
            if model is not None and model.CHANGES is not ev.Changes.ALERT:
                continue
            if state is None:
                if e.action != ev.ALERT_INGESTED:
                    return None
                state = cls.ingested(e)
            else:
                state.apply(e, figures=figures)
        return state

    @classmethod
    def from_row(cls, row: RowLike) -> AlertState:
        """The state a projection row holds (lists as JSON text or decoded): enough to apply the
        next event to; the history no column keeps is empty."""
        present = set(row.keys())
        values = {k: row[k] for k in ALERT_COLUMNS if k in present}
        for k in LIST_COLUMNS:
            if isinstance(values.get(k), str):
                values[k] = json.loads(values[k])
        return cls(**values)

    @property
    def key_alert(self) -> int:
        """The alert holding the key this alert's documents came under, by which the content
        received is tracked: itself, or for a collision the alert whose key it collided with."""
        return self.id if self.collision_of is None else self.collision_of

    def row(self) -> dict[str, Any]:
        """The projection's ``alerts`` row."""
        return dict(zip(ALERT_COLUMNS, self.row_values(), strict=True))

    def row_values(self) -> tuple[Any, ...]:
        """The row's values in ``ALERT_COLUMNS`` order (what an INSERT binds)."""
        values = list(_ROW_VALUES(self))
        for i in _LIST_PLACES:
            values[i] = list_text(values[i])
        return tuple(values)

    # -- the rules ---------------------------------------------------------------------

    def apply(self, e: Logged, *, figures: bool = False) -> None:
        """One event of this alert. ``figures``: leave out exercise events (production figures)."""
        if figures and is_exercise(e):
            return  # an exercise action on a production alert never counts
        p, ts, action = e.payload, e.ts, e.action
        if action == ev.ALERT_ASSIGNED:
            self._assign(p["assignee"])
        elif action == ev.ALERT_ACKNOWLEDGED:
            self.status = "acknowledged"
            if self.acknowledged_at is None:  # the first acknowledgement is the one that counts
                self.acknowledged_at, self.acknowledged_by = ts, e.actor
            if p.get("assignee"):
                self._assign(p["assignee"])
        elif action == ev.ALERT_NOTED:
            self.notes += 1
        elif action == ev.ALERT_STEP_COMPLETED:
            self.steps_done.append(p["step"])
        elif action == ev.ALERT_SEVERITY_CHANGED:
            self.severity = p["to"]
            if "ack_within" in p:  # the playbook's targets for the new severity
                self.ack_due = _due(self.ingested_at, p["ack_within"])
                self.close_due = _due(self.ingested_at, p["close_within"])
        elif action in (ev.ALERT_ESCALATED, ev.ALERT_LINKED):
            self.incident_id = p["incident"]
            self.first_incident_at = self.first_incident_at or ts
        elif action == ev.ALERT_UNLINKED:
            self.incident_id = None
        elif action == ev.ALERT_CLOSED:
            override = p.get("override")
            self.status, self.closed_at, self.closed_by = "closed", ts, e.actor
            self.first_closed_at = self.first_closed_at or ts
            self.disposition, self.close_reason = p["disposition"], p["reason"]
            self.duplicate_of = p.get("duplicate_of")
            self.close_override = override["justification"] if override else None
            if override:
                self.overridden_steps = list(override["open_steps"])
                self.override_reason = override["justification"]
        elif action == ev.ALERT_REOPENED:
            self.status = "acknowledged" if self.acknowledged_at is not None else "new"
            self.closed_at = self.closed_by = self.disposition = self.close_reason = None
            self.close_override = self.duplicate_of = None
            self.reopened += 1
        elif action == ev.ALERT_UPDATED:
            self.content_digest, self.content_seq = p["digest"], e.seq
            self.source_updates += 1
        elif action == ev.ALERT_SOURCE_UPDATED:
            self.source_status = p["status"]
        elif action == ev.ALERT_INGESTED:
            raise ValueError(f"event {e.seq}: alert {self.id} is already in the log")
        else:
            raise ValueError(f"event {e.seq}: {action} is not an event of an alert")
        self.last_seq, self.updated_at = e.seq, ts

    def _assign(self, who: str) -> None:
        self.assignee = who
        if not self.assignees or self.assignees[-1] != who:
            self.assignees.append(who)

    # -- what follows from the state ----------------------------------------------------

    @property
    def rule(self) -> str:
        return self.rule_name or self.rule_id or "(no rule)"

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"

    @property
    def open_steps(self) -> list[str]:
        """Required playbook steps still open: a close needs them done or an override."""
        return open_steps(self.required_steps, self.steps_done)

    @property
    def required_done(self) -> int:
        return len(self.required_steps) - len(self.open_steps)

    @property
    def responded_at(self) -> str | None:
        """What meets the acknowledge target: the first acknowledgement, or the first close if
        the alert was closed without one."""
        times = [t for t in (self.acknowledged_at, self.first_closed_at) if t is not None]
        return min(times, key=parse_time) if times else None

    @property
    def resolved_at(self) -> str | None:
        """What meets the close target: the close in force."""
        return self.closed_at if self.is_closed else None

    @property
    def running_due(self) -> str | None:
        return running_due(self.status, self.ack_due, self.close_due, self.first_closed_at)

    def ack_target(self, now: datetime) -> TargetState | None:
        return target_state(_dt(self.ack_due), _dt(self.responded_at), now)

    def close_target(self, now: datetime) -> TargetState | None:
        return target_state(_dt(self.close_due), _dt(self.resolved_at), now)
