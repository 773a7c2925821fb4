"""``apply`` for many events at once: the same rows as one by one, with fewer statements.

Used where events come in runs (a batch an ingest or a command prepared, the whole log a
rebuild replays). What an event means is still decided only by ``triage.domain.state`` and
``projection.apply``; this module only saves round trips:

- runs of events that add rows (alerts ingested, records quarantined) are written with one
  statement per table;
- runs of an analyst's events on alerts (assign, acknowledge, note, step, severity, close,
  reopen, ...) read each alert's row once, apply every event of the run to its state in
  memory, and write each changed row once at the end of the run.

Any other event ends both runs (their rows are written first) and goes through ``apply``. So
does an alert event with more than a row to change: an escalation, link or unlink (the
incident too), a source's update (the content tracked), a close by a suppression rule (the
rule's count). Every event's row on its own target's timeline is written with one statement
at the end. The log model's rebuild check (``tests/test_model.py``) holds the tables to those
of one-by-one application, the log cut into runs at every boundary.
"""

from __future__ import annotations

from typing import Any

from triage.domain import events as ev
from triage.domain.events import Changes
from triage.domain.state import AlertState
from triage.store import projection as pj
from triage.store.backend import Conn
from triage.store.event import Event
from triage.store.hashes import HASH_INSERT, hash_rows

_OWN_ROW_ONLY = frozenset(
    a
    for a, model in ev.CATALOGUE.items()
    if model.CHANGES is Changes.ALERT
    and a not in (ev.ALERT_INGESTED, ev.ALERT_ESCALATED, ev.ALERT_LINKED, ev.ALERT_UNLINKED, ev.ALERT_UPDATED)
)


class _Alerts:
    """Alert states read once, changed in memory, written once."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self.by_id: dict[int, tuple[dict[str, Any], dict[str, list[Any]], AlertState]] = {}
        self.by_target: dict[str, tuple[dict[str, Any], dict[str, list[Any]], AlertState]] = {}

    def apply(self, event: Event) -> None:
        held = self.by_target.get(event.target)  # the target's text read as an id once per run
        if held is None:
            alert_id = pj._id(event, "alert")  # (``alert:07`` is alert 7 too)
            held = self.by_id.get(alert_id)
            if held is None:
                held = self.by_id[alert_id] = pj.read_alert(self.conn, event)
            self.by_target[event.target] = held
        held[2].apply(event)

    def read(self, run: list[Event]) -> None:
        """The rows of the alerts a run of events is about, not held yet, read together (one
        round trip per 500 on a server, not one per alert). A target that names no alert is
        left to ``apply``, which says so."""
        targets = {event.target for event in run}.difference(self.by_target)
        found = (pj.target_id(target, "alert") for target in targets)
        ids = {alert_id for alert_id in found if alert_id is not None and alert_id not in self.by_id}
        if ids:
            self.by_id.update(pj.read_alerts(self.conn, sorted(ids)))

    def write(self) -> None:
        """Each changed row once; rows whose changes name the same columns in one statement."""
        updates: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for alert_id, (before, was, state) in self.by_id.items():
            changed = pj.changed_columns(before, was, state)
            if changed:
                updates.setdefault(tuple(changed), []).append((*changed.values(), alert_id))
        for columns, rows in updates.items():
            cols = ", ".join(f"{k} = ?" for k in columns)
            self.conn.executemany(f"UPDATE alerts SET {cols} WHERE id = ?", rows)  # noqa: S608
        self.by_id.clear()
        self.by_target.clear()


# Each event's row on its own target's timeline, for a stretch of the log already written: read
# from the log in one statement (no row crosses Python).
_OWN_REFS = (
    "INSERT OR IGNORE INTO timeline (ref, seq) SELECT target, seq FROM events WHERE seq BETWEEN ? AND ?"
)


def apply_many(conn: Conn, events: list[Event]) -> None:
    """``projection.apply`` each event in order: the same rows, fewer statements. The events
    are the log's, from the first's number to the last's (just written, or replayed)."""
    alerts: list[tuple[Any, ...]] = []
    content: list[tuple[Any, ...]] = []
    quarantined: list[tuple[Any, ...]] = []
    hashes: list[tuple[str, int]] = []
    held = _Alerts(conn)

    def flush() -> None:
        held.write()
        tables = (
            (pj._ALERT_INSERT, alerts),
            (pj._CONTENT_INSERT, content),
            (HASH_INSERT, hashes),
            (pj._QUARANTINE_INSERT, quarantined),
        )
        for sql, rows in tables:
            if rows:
                conn.executemany(sql, rows)
                rows.clear()

    ingested, quarantine, closed, row_only = (
        ev.ALERT_INGESTED,
        ev.INPUT_QUARANTINED,
        ev.ALERT_CLOSED,
        _OWN_ROW_ONLY,
    )

    def own_row(event: Event) -> bool:
        """An alert event whose only change is the alert's own row (and the timeline's)."""
        action = event.action
        return action in row_only and (action != closed or event.payload.get("suppression") is None)

    read_to = 0  # the events before it are in runs whose rows were read
    for i, event in enumerate(events):
        action = event.action
        if action == ingested:
            state = pj._ingested_state(event)
            alerts.append(pj.alert_row(state))
            content.append((state.key_alert, state.content_digest, state.id, event.seq))
            hashes.extend(hash_rows(state.id, event.payload["alert"]["raw"], event.body))
        elif action == quarantine:
            quarantined.append(pj._quarantine_row(event))
        elif own_row(event):
            if alerts:
                flush()  # the alert may be one of those just ingested: written before it is read
            if i >= read_to:  # the first of a run: the rows of the whole run read at once
                read_to = i + 1
                while read_to < len(events) and own_row(events[read_to]):
                    read_to += 1
                held.read(events[i:read_to])
            held.apply(event)
        else:
            flush()
            pj.apply(conn, event)  # its timeline rows too (its own target's again below, ignored)
    flush()
    # Every event is on its own target's timeline; no event of the run reads the timeline.
    if events:
        conn.execute(_OWN_REFS, (events[0].seq, events[-1].seq))
