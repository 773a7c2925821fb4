"""Projections: alert, incident and quarantine state derived from the log alone.

``apply`` is the only code that writes projection tables. Commands reach it
through ``Writer.append`` (so no state changes without an event) and
``rebuild`` replays the whole log through it (so state can always be recreated).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from triage.clock import format_ts, parse_time
from triage.store.identity import content_digest, source_document

if TYPE_CHECKING:
    from triage.store.workspace import Event

Handler = Callable[[sqlite3.Connection, "Event"], None]
_HANDLERS: dict[str, Handler] = {}


def handles(action: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        _HANDLERS[action] = fn
        return fn

    return deco


def known_actions() -> frozenset[str]:
    return frozenset(_HANDLERS)


def apply(conn: sqlite3.Connection, event: Event) -> None:
    handler = _HANDLERS.get(event.action)
    if handler is None:
        raise ValueError(f"event {event.seq}: unknown action {event.action!r}")
    handler(conn, event)


def _ref(conn: sqlite3.Connection, ref: str, seq: int) -> None:
    conn.execute("INSERT OR IGNORE INTO timeline (ref, seq) VALUES (?, ?)", (ref, seq))


def _alert_id(event: Event) -> int:
    kind, _, ident = event.target.partition(":")
    if kind != "alert":
        raise ValueError(f"event {event.seq}: target {event.target!r} is not an alert")
    return int(ident)


def _due(base: str, seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return format_ts(parse_time(base) + timedelta(seconds=seconds))


def _touch(conn: sqlite3.Connection, event: Event, alert_id: int, **fields: Any) -> None:
    fields["last_seq"] = event.seq
    fields["updated_at"] = event.ts
    cols = ", ".join(f"{k} = ?" for k in fields)
    cur = conn.execute(f"UPDATE alerts SET {cols} WHERE id = ?", (*fields.values(), alert_id))  # noqa: S608
    if cur.rowcount != 1:
        raise ValueError(f"event {event.seq}: alert {alert_id} does not exist")
    _ref(conn, f"alert:{alert_id}", event.seq)


def _alert(conn: sqlite3.Connection, alert_id: int) -> sqlite3.Row | tuple[Any, ...]:
    row = conn.execute(
        "SELECT steps_done, notes, reopened, acknowledged_at, assignee FROM alerts WHERE id = ?",
        (alert_id,),
    ).fetchone()
    if row is None:
        raise ValueError(f"alert {alert_id} does not exist")
    return row  # type: ignore[no-any-return]


@handles("alert.ingested")
def _ingested(conn: sqlite3.Connection, event: Event) -> None:
    p = event.payload
    a = p["alert"]
    pb = p.get("playbook") or {}
    alert_id = _alert_id(event)
    conn.execute(
        """INSERT INTO alerts (
            id, dedup_key, source, profile, index_name, doc_id, rule_name, rule_id, title,
            severity, original_severity, risk_score, fired_at, ingested_at, host, user_name,
            src_ip, dst_ip, tactics, techniques, tags, playbook_id, playbook_version,
            playbook_steps, required_steps, steps_done, ack_due, close_due, status, assignee,
            acknowledged_at, acknowledged_by, closed_at, closed_by, disposition, close_reason,
            close_override, incident_id, notes, reopened, ingest_seq, last_seq, updated_at
        ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                  '[]', ?, ?, 'new', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                  0, 0, ?, ?, ?)""",
        (
            alert_id,
            p["dedup_key"],
            a["source"],
            a["profile"],
            a.get("index"),
            a.get("doc_id"),
            a.get("rule_name"),
            a.get("rule_id"),
            a["title"],
            a["severity"],
            a["severity"],
            a.get("risk_score"),
            a["fired_at"],
            event.ts,
            a.get("host"),
            a.get("user"),
            a.get("src_ip"),
            a.get("dst_ip"),
            json.dumps(a.get("tactics", [])),
            json.dumps(a.get("techniques", [])),
            json.dumps(a.get("tags", [])),
            pb.get("id"),
            pb.get("version"),
            json.dumps(pb.get("steps", [])),
            json.dumps(pb.get("required", [])),
            _due(event.ts, pb.get("ack_within")),
            _due(event.ts, pb.get("close_within")),
            event.seq,
            event.seq,
            event.ts,
        ),
    )
    digest = p.get("digest") or content_digest(source_document(a["raw"]))
    conn.execute(
        "UPDATE alerts SET content_digest = ?, content_seq = ?, collision_of = ? WHERE id = ?",
        (digest, event.seq, p.get("collision_of"), alert_id),
    )
    _content(conn, p.get("key") or p["dedup_key"], digest, alert_id, event.seq)
    _ref(conn, event.target, event.seq)


def _content(conn: sqlite3.Connection, key: str, digest: str, alert_id: int, seq: int) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO alert_content (dedup_key, digest, alert_id, seq) VALUES (?, ?, ?, ?)",
        (key, digest, alert_id, seq),
    )


@handles("alert.updated")
def _updated(conn: sqlite3.Connection, event: Event) -> None:
    """The source sent a new version of an alert it updates in place (Elastic Security)."""
    alert_id = _alert_id(event)
    row = conn.execute("SELECT dedup_key, source_updates FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    if row is None:
        raise ValueError(f"event {event.seq}: alert {alert_id} does not exist")
    digest = event.payload["digest"]
    _touch(conn, event, alert_id, content_digest=digest, content_seq=event.seq, source_updates=row[1] + 1)
    _content(conn, row[0], digest, alert_id, event.seq)


@handles("alert.assigned")
def _assigned(conn: sqlite3.Connection, event: Event) -> None:
    _touch(conn, event, _alert_id(event), assignee=event.payload["assignee"])


@handles("alert.acknowledged")
def _acknowledged(conn: sqlite3.Connection, event: Event) -> None:
    alert_id = _alert_id(event)
    row = _alert(conn, alert_id)
    fields: dict[str, Any] = {"status": "acknowledged"}
    if row[3] is None:  # the first acknowledgement is the one that counts for metrics
        fields["acknowledged_at"] = event.ts
        fields["acknowledged_by"] = event.actor
    if event.payload.get("assignee"):
        fields["assignee"] = event.payload["assignee"]
    _touch(conn, event, alert_id, **fields)


@handles("alert.noted")
def _noted(conn: sqlite3.Connection, event: Event) -> None:
    alert_id = _alert_id(event)
    _touch(conn, event, alert_id, notes=_alert(conn, alert_id)[1] + 1)


@handles("alert.step_completed")
def _step(conn: sqlite3.Connection, event: Event) -> None:
    alert_id = _alert_id(event)
    done = json.loads(_alert(conn, alert_id)[0])
    done.append(event.payload["step"])
    _touch(conn, event, alert_id, steps_done=json.dumps(done))


@handles("alert.severity_changed")
def _severity(conn: sqlite3.Connection, event: Event) -> None:
    p = event.payload
    alert_id = _alert_id(event)
    ingested = conn.execute("SELECT ingested_at FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    fields: dict[str, Any] = {"severity": p["to"]}
    if ingested is not None and "ack_within" in p:
        fields["ack_due"] = _due(ingested[0], p["ack_within"])
        fields["close_due"] = _due(ingested[0], p["close_within"])
    _touch(conn, event, alert_id, **fields)


def _create_incident(conn: sqlite3.Connection, event: Event, incident_id: int, spec: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO incidents (id, title, severity, status, owner, created_at, created_by,"
        " closed_at, last_seq, updated_at) VALUES (?, ?, ?, 'open', ?, ?, ?, NULL, ?, ?)",
        (
            incident_id,
            spec["title"],
            spec["severity"],
            spec.get("owner"),
            event.ts,
            event.actor,
            event.seq,
            event.ts,
        ),
    )


def _touch_incident(conn: sqlite3.Connection, event: Event, incident_id: int, **fields: Any) -> None:
    fields["last_seq"] = event.seq
    fields["updated_at"] = event.ts
    cols = ", ".join(f"{k} = ?" for k in fields)
    cur = conn.execute(f"UPDATE incidents SET {cols} WHERE id = ?", (*fields.values(), incident_id))  # noqa: S608
    if cur.rowcount != 1:
        raise ValueError(f"event {event.seq}: incident {incident_id} does not exist")
    _ref(conn, f"incident:{incident_id}", event.seq)


@handles("alert.escalated")
def _escalated(conn: sqlite3.Connection, event: Event) -> None:
    p = event.payload
    incident_id = p["incident"]
    if p.get("new_incident"):
        _create_incident(conn, event, incident_id, p["new_incident"])
    _touch_incident(conn, event, incident_id)
    _touch(conn, event, _alert_id(event), incident_id=incident_id)


@handles("alert.linked")
def _linked(conn: sqlite3.Connection, event: Event) -> None:
    incident_id = event.payload["incident"]
    _touch_incident(conn, event, incident_id)
    _touch(conn, event, _alert_id(event), incident_id=incident_id)


@handles("alert.unlinked")
def _unlinked(conn: sqlite3.Connection, event: Event) -> None:
    _touch_incident(conn, event, event.payload["incident"])
    _touch(conn, event, _alert_id(event), incident_id=None)


@handles("alert.closed")
def _closed(conn: sqlite3.Connection, event: Event) -> None:
    p = event.payload
    override = p.get("override")
    _touch(
        conn,
        event,
        _alert_id(event),
        status="closed",
        closed_at=event.ts,
        closed_by=event.actor,
        disposition=p["disposition"],
        close_reason=p["reason"],
        close_override=override["justification"] if override else None,
    )


@handles("alert.reopened")
def _reopened(conn: sqlite3.Connection, event: Event) -> None:
    alert_id = _alert_id(event)
    row = _alert(conn, alert_id)
    _touch(
        conn,
        event,
        alert_id,
        status="acknowledged" if row[3] is not None else "new",
        closed_at=None,
        closed_by=None,
        disposition=None,
        close_reason=None,
        close_override=None,
        reopened=row[2] + 1,
    )


INCIDENT_FIELDS = ("status", "owner", "severity", "title")


@handles("incident.updated")
def _incident_updated(conn: sqlite3.Connection, event: Event) -> None:
    kind, _, ident = event.target.partition(":")
    if kind != "incident":
        raise ValueError(f"event {event.seq}: target {event.target!r} is not an incident")
    # Column names come from this list, never from the payload: a crafted log replayed by
    # ``rebuild`` must not be able to put its keys into SQL.
    given = event.payload["changes"]
    unknown = sorted(str(k) for k in given if k not in INCIDENT_FIELDS)
    if unknown:
        raise ValueError(f"event {event.seq}: incident.updated changes unknown fields: {', '.join(unknown)}")
    changes = {k: given[k] for k in INCIDENT_FIELDS if k in given}
    if "status" in changes:
        changes["closed_at"] = event.ts if changes["status"] == "closed" else None
    _touch_incident(conn, event, int(ident), **changes)


@handles("input.quarantined")
def _quarantined(conn: sqlite3.Connection, event: Event) -> None:
    p = event.payload
    ident = event.target.partition(":")[2]
    conn.execute(
        "INSERT INTO quarantine (id, dedup_key, origin, location, reason, seq, ts)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (int(ident), p["dedup_key"], p["origin"], p["location"], p["reason"], event.seq, event.ts),
    )
    _ref(conn, event.target, event.seq)


@handles("source.polled")
def _polled(conn: sqlite3.Connection, event: Event) -> None:
    """A poller committed a page: the alerts it ingested precede this event in the same
    transaction, and the cursor moves to the newest timestamp it covered."""
    p = event.payload
    name = event.target.partition(":")[2]
    conn.execute(
        """INSERT INTO source_cursors
               (name, cursor_ms, pages, ingested, duplicates, quarantined, last_seq, updated_at,
                updated, collisions)
           VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET
               cursor_ms = excluded.cursor_ms,
               pages = pages + 1,
               ingested = ingested + excluded.ingested,
               duplicates = duplicates + excluded.duplicates,
               quarantined = quarantined + excluded.quarantined,
               last_seq = excluded.last_seq,
               updated_at = excluded.updated_at,
               updated = updated + excluded.updated,
               collisions = collisions + excluded.collisions""",
        (
            name,
            p.get("cursor_ms"),
            p["ingested"],
            # "duplicates" in pages logged before content digests: the same meaning, already present
            p["present"] if "present" in p else p["duplicates"],
            p["quarantined"],
            event.seq,
            event.ts,
            p.get("updated", 0),
            p.get("collisions", 0),
        ),
    )
    _ref(conn, event.target, event.seq)


@handles("alert.source_updated")
def _source_updated(conn: sqlite3.Connection, event: Event) -> None:
    """triage wrote the alert's workflow status back to the source it came from."""
    _touch(conn, event, _alert_id(event), source_status=event.payload["status"])


@handles("evidence.signed")
@handles("exercise.recorded")
@handles("exercise.started")
@handles("exercise.inject")
@handles("exercise.ended")
def _recorded_only(conn: sqlite3.Connection, event: Event) -> None:
    """Sign-offs, exercise records and an exercise's own start, injects and end change no
    alert or incident; they are only indexed by their target (``evidence:2026-10``,
    ``exercise:<id>``) so they can be found again."""
    _ref(conn, event.target, event.seq)


# -- rebuild and comparison -------------------------------------------------------------


def rebuild(conn: sqlite3.Connection) -> int:
    """Drop every projection and replay the whole log; returns the number of events replayed.

    Runs inside the caller's transaction."""
    from sqlite_utils import Database

    from triage.store.schema import PROJECTION_TABLES, recreate_projections
    from triage.store.workspace import Event

    for table in PROJECTION_TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    recreate_projections(Database(conn, execute_plugins=False))
    n = 0
    for row in conn.execute("SELECT seq, body, prev_hash, hash FROM events ORDER BY seq").fetchall():
        apply(conn, Event.from_row(*row))
        n += 1
    return n


def digest(conn: sqlite3.Connection) -> str:
    """A SHA-256 over every projection row in primary-key order: equal digests, equal state."""
    from triage.store.schema import PROJECTION_ORDER, PROJECTION_TABLES

    h = hashlib.sha256()
    for table in PROJECTION_TABLES:
        order = PROJECTION_ORDER.get(table, "id")
        h.update(f"\x00{table}\x00".encode())
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY {order}"):  # noqa: S608
            h.update(repr(row).encode())
    return h.hexdigest()
