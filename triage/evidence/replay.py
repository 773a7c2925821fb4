"""State of one alert or incident as it stood at a given point of the log.

Figures "as of month end" must not come from today's projections: an alert closed in
November was open on 31 October. So each alert is replayed from its own events up to
the month's last sequence number, through the same fold the projection derives its rows
from (``triage.domain.state``), leaving out events marked as part of an exercise.
One alert at a time: memory does not grow with the month.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from triage.clock import format_ts, parse_time
from triage.domain import events as ev
from triage.domain.state import AlertState, Fact, IncidentState, marked_exercise
from triage.store.backend import Conn


def is_exercise(body: dict[str, Any]) -> bool:
    """An event body made in (or marked as part of) a tabletop exercise."""
    return marked_exercise(body.get("exercise"), body.get("payload"))


def alert_as_of(conn: Conn, alert_id: int, end_seq: int) -> AlertState | None:
    """Replay one alert's events up to and including ``end_seq``; None if not yet ingested."""
    target = f"alert:{alert_id}"
    rows = conn.execute(
        "SELECT e.seq, e.body FROM timeline t JOIN events e ON e.seq = t.seq"
        " WHERE t.ref = ? AND t.seq <= ? AND e.target = ? ORDER BY t.seq",
        (target, end_seq, target),
    )
    return AlertState.fold((Fact.from_body(seq, json.loads(body)) for seq, body in rows), figures=True)


# What the replay needs from an ingest event, without the raw document.
_ALERT_FIELDS = (
    "source",
    "profile",
    "index",
    "doc_id",
    "rule_name",
    "rule_id",
    "title",
    "severity",
    "fired_at",
)


def compact_ingest(payload: dict[str, Any]) -> str:
    """What the replay needs from an ingest event, without the raw document."""
    alert = payload["alert"]
    small: dict[str, Any] = {
        "dedup_key": payload["dedup_key"],
        "alert": {k: alert.get(k) for k in _ALERT_FIELDS},
        "playbook": payload.get("playbook"),
    }
    if payload.get("exercise"):
        small["exercise"] = payload["exercise"]
    return json.dumps(small, separators=(",", ":"))


def month_alerts(scratch: sqlite3.Connection) -> Iterator[AlertState]:
    """Replay the alerts that reached the queue in the month from the compact copies of
    their events: every event of such an alert up to month end is in the month. One
    sorted pass, one alert in memory at a time. Alerts ingested before the month are
    skipped here (their history starts earlier)."""
    state: AlertState | None = None
    current = None
    rows = scratch.execute(
        "SELECT alert, seq, action, actor, ts, exercise, payload FROM month_events ORDER BY alert, seq"
    )
    for alert_id, seq, action, actor, ts, exercise, payload in rows:
        fact = Fact(seq, ts, actor, action, f"alert:{alert_id}", exercise, json.loads(payload))
        if alert_id != current:
            if state is not None:
                yield state
            current = alert_id
            state = AlertState.ingested(fact) if action == ev.ALERT_INGESTED else None
        elif state is not None:
            state.apply(fact, figures=True)
    if state is not None:
        yield state


def incident_as_of(conn: Conn, incident_id: int, end_seq: int) -> IncidentState | None:
    """Replay one incident from its timeline up to ``end_seq``; None if it did not exist yet."""
    rows = conn.execute(
        "SELECT e.seq, e.body FROM timeline t JOIN events e ON e.seq = t.seq"
        " WHERE t.ref = ? AND t.seq <= ? ORDER BY t.seq",
        (f"incident:{incident_id}", end_seq),
    )
    return IncidentState.fold((Fact.from_body(seq, json.loads(body)) for seq, body in rows), figures=True)


def at(ts: str | None) -> datetime | None:
    """A time of the state as a datetime (None stays None)."""
    return parse_time(ts) if ts is not None else None


def fmt(ts: str | datetime | None) -> str:
    """A time as the pack writes it: the log's UTC form, '' for none."""
    if ts is None or ts == "":
        return ""
    return format_ts(ts if isinstance(ts, datetime) else parse_time(ts))
