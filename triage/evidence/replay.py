"""State of one alert or incident as it stood at a given point of the log.

Figures "as of month end" must not come from today's projections: an alert closed in
November was open on 31 October. So each alert is replayed from its own events up to
the month's last sequence number, with the same rules as ``triage.store.projection``.
One alert at a time: memory does not grow with the month.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from triage.clock import format_ts, parse_time


def is_exercise(body: dict[str, Any]) -> bool:
    """An event made in (or marked as part of) a tabletop exercise."""
    payload = body.get("payload")
    return bool(body.get("exercise")) or (isinstance(payload, dict) and bool(payload.get("exercise")))


@dataclass
class AlertAsOf:
    id: int
    seq: int  # of its ingest event
    source: str = ""
    index: str | None = None
    doc_id: str | None = None
    rule_name: str | None = None
    rule_id: str | None = None
    title: str = ""
    severity: str = ""
    original_severity: str = ""
    fired_at: datetime | None = None
    ingested_at: datetime | None = None
    playbook: str | None = None
    required: list[str] = field(default_factory=list)
    steps_done: list[str] = field(default_factory=list)
    ack_within: int | None = None
    close_within: int | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    assignees: list[str] = field(default_factory=list)
    status: str = "new"
    closed_at: datetime | None = None
    first_closed_at: datetime | None = None
    closed_by: str | None = None
    disposition: str | None = None
    close_reason: str | None = None
    override: str | None = None
    incident: int | None = None
    reopened: int = 0
    exercise: bool = False
    last_seq: int = 0

    @property
    def rule(self) -> str:
        return self.rule_name or self.rule_id or "(no rule)"

    @property
    def assignee(self) -> str | None:
        return self.assignees[-1] if self.assignees else None

    @property
    def ack_due(self) -> datetime | None:
        if self.ack_within is None or self.ingested_at is None:
            return None
        return self.ingested_at + timedelta(seconds=self.ack_within)

    @property
    def close_due(self) -> datetime | None:
        if self.close_within is None or self.ingested_at is None:
            return None
        return self.ingested_at + timedelta(seconds=self.close_within)

    @property
    def responded_at(self) -> datetime | None:
        """When the alert was first acknowledged, or first closed if it was closed without
        an acknowledgement: what the acknowledge target measures."""
        times = [t for t in (self.acknowledged_at, self.first_closed_at) if t is not None]
        return min(times) if times else None

    @property
    def required_done(self) -> int:
        done = set(self.steps_done)
        return sum(1 for s in self.required if s in done)

    def _assign(self, who: str | None) -> None:
        if who and (not self.assignees or self.assignees[-1] != who):
            self.assignees.append(who)

    def apply(self, seq: int, body: dict[str, Any]) -> None:
        action, p, ts = body["action"], body["payload"], body["ts"]
        if action == "alert.ingested":
            a, pb = p["alert"], p.get("playbook") or {}
            self.exercise = is_exercise(body)
            self.source, self.index, self.doc_id = a["source"], a.get("index"), a.get("doc_id")
            self.rule_name, self.rule_id, self.title = a.get("rule_name"), a.get("rule_id"), a["title"]
            self.severity = self.original_severity = a["severity"]
            self.fired_at, self.ingested_at = parse_time(a["fired_at"]), parse_time(ts)
            self.playbook = pb.get("id")
            self.required = list(pb.get("required", []))
            self.ack_within, self.close_within = pb.get("ack_within"), pb.get("close_within")
        elif is_exercise(body):
            return  # an exercise action on a production alert never counts
        elif action == "alert.assigned":
            self._assign(p["assignee"])
        elif action == "alert.acknowledged":
            self.status = "acknowledged"
            if self.acknowledged_at is None:  # the first acknowledgement counts, as in the projection
                self.acknowledged_at, self.acknowledged_by = parse_time(ts), body["actor"]
            self._assign(p.get("assignee"))
        elif action == "alert.step_completed":
            self.steps_done.append(p["step"])
        elif action == "alert.severity_changed":
            self.severity = p["to"]
            if "ack_within" in p:
                self.ack_within, self.close_within = p["ack_within"], p["close_within"]
        elif action in ("alert.escalated", "alert.linked"):
            self.incident = p["incident"]
        elif action == "alert.unlinked":
            self.incident = None
        elif action == "alert.closed":
            override = p.get("override")
            self.status = "closed"
            self.closed_at, self.closed_by = parse_time(ts), body["actor"]
            if self.first_closed_at is None:
                self.first_closed_at = self.closed_at
            self.disposition, self.close_reason = p["disposition"], p["reason"]
            self.override = override["justification"] if override else None
        elif action == "alert.reopened":
            self.status = "acknowledged" if self.acknowledged_at is not None else "new"
            self.closed_at = self.closed_by = self.disposition = self.close_reason = self.override = None
            self.reopened += 1
        self.last_seq = seq


def alert_as_of(conn: sqlite3.Connection, alert_id: int, end_seq: int) -> AlertAsOf | None:
    """Replay one alert's events up to and including ``end_seq``; None if not yet ingested."""
    state: AlertAsOf | None = None
    for seq, body in conn.execute(
        "SELECT seq, body FROM events WHERE target = ? AND seq <= ? ORDER BY seq",
        (f"alert:{alert_id}", end_seq),
    ):
        d = json.loads(body)
        if state is None:
            if d["action"] != "alert.ingested":
                return None
            state = AlertAsOf(alert_id, seq)
        state.apply(seq, d)
    return state


_ALERT_FIELDS = ("source", "index", "doc_id", "rule_name", "rule_id", "title", "severity", "fired_at")


def compact_ingest(payload: dict[str, Any]) -> str:
    """What the replay needs from an ingest event, without the raw document."""
    alert = payload["alert"]
    small: dict[str, Any] = {
        "alert": {k: alert.get(k) for k in _ALERT_FIELDS},
        "playbook": payload.get("playbook"),
    }
    if payload.get("exercise"):
        small["exercise"] = payload["exercise"]
    return json.dumps(small, separators=(",", ":"))


def month_alerts(scratch: sqlite3.Connection) -> Iterator[AlertAsOf]:
    """Replay the alerts that reached the queue in the month from the compact copies of
    their events: every event of such an alert up to month end is in the month. One
    sorted pass, one alert in memory at a time. Alerts ingested before the month are
    skipped here (their history starts earlier)."""
    state: AlertAsOf | None = None
    current = None
    rows = scratch.execute(
        "SELECT alert, seq, action, actor, ts, exercise, payload FROM month_events ORDER BY alert, seq"
    )
    for alert_id, seq, action, actor, ts, exercise, payload in rows:
        if alert_id != current:
            if state is not None:
                yield state
            current = alert_id
            state = AlertAsOf(alert_id, seq) if action == "alert.ingested" else None
        if state is not None:
            body = {
                "action": action,
                "actor": actor,
                "ts": ts,
                "exercise": exercise,
                "payload": json.loads(payload),
            }
            state.apply(seq, body)
    if state is not None:
        yield state


@dataclass
class IncidentAsOf:
    id: int
    title: str = ""
    severity: str = ""
    status: str = "open"
    owner: str | None = None
    created_at: str = ""
    created_by: str = ""
    closed_at: str | None = None
    alerts: list[int] = field(default_factory=list)
    events: int = 0
    last_seq: int = 0


def incident_as_of(conn: sqlite3.Connection, incident_id: int, end_seq: int) -> IncidentAsOf | None:
    """Replay one incident from its timeline up to ``end_seq``; None if it did not exist yet."""
    inc: IncidentAsOf | None = None
    for seq, body in conn.execute(
        "SELECT e.seq, e.body FROM timeline t JOIN events e ON e.seq = t.seq"
        " WHERE t.ref = ? AND t.seq <= ? ORDER BY t.seq",
        (f"incident:{incident_id}", end_seq),
    ):
        d = json.loads(body)
        if is_exercise(d):
            continue
        p, action = d["payload"], d["action"]
        if inc is None:
            spec = p.get("new_incident") if action == "alert.escalated" else None
            if not spec:
                return None
            inc = IncidentAsOf(
                incident_id,
                title=spec["title"],
                severity=spec["severity"],
                owner=spec.get("owner"),
                created_at=d["ts"],
                created_by=d["actor"],
            )
        alert_id = int(d["target"].partition(":")[2]) if d["target"].startswith("alert:") else None
        if action in ("alert.escalated", "alert.linked") and alert_id is not None:
            if alert_id not in inc.alerts:
                inc.alerts.append(alert_id)
        elif action == "alert.unlinked" and alert_id in inc.alerts:
            inc.alerts.remove(alert_id)
        elif action == "incident.updated":
            changes = p["changes"]
            for key in ("title", "severity", "owner"):
                if key in changes:
                    setattr(inc, key, changes[key])
            if "status" in changes:
                inc.status = changes["status"]
                inc.closed_at = d["ts"] if changes["status"] == "closed" else None
        inc.events += 1
        inc.last_seq = seq
    return inc


def fmt(dt: datetime | None) -> str:
    return format_ts(dt) if dt is not None else ""
