"""Read-side queries over the projections (no writes here).

Alert lists are read through the one read model, ``triage.queue.QueueView``; this module
gives the CLI's vocabulary for it (``STATUS_FILTERS``, repeatable severities) and whole
records, and reads single alerts, incidents, the quarantine and the sources' health.
"""

from __future__ import annotations

import json
from typing import Any

from triage.domain import events
from triage.errors import CommandRejected, NotFound
from triage.queue import LISTING_SORT, QueueView
from triage.store.tables import STORE_COLUMNS
from triage.store.workspace import Event, Workspace

_JSON_COLUMNS = ("tactics", "techniques", "tags", "playbook_steps", "required_steps", "steps_done")
STATUS_FILTERS = ("new", "acknowledged", "closed", "open", "all")


def _rows(
    ws: Workspace, sql: str, args: list[Any] | tuple[Any, ...] = (), *, hidden: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """The rows as records by column name, without the ``hidden`` columns."""
    cur = ws.conn.execute(sql, args)
    cols = [d[0] for d in cur.description]
    shown = [i for i, c in enumerate(cols) if c not in hidden]  # the query's columns, once
    names = [cols[i] for i in shown]
    lists = [c for c in _JSON_COLUMNS if c in names]
    out = []
    for row in cur:
        d = dict(zip(names, [row[i] for i in shown], strict=True))
        for c in lists:
            if isinstance(d[c], str):
                d[c] = json.loads(d[c])
        out.append(d)
    return out


def listing_view(
    status: str,
    severities: list[str] | None,
    assignee: str | None,
    unassigned: bool,
    incident: int | None,
    query: str = "",
) -> QueueView:
    """The read model's view of the listing's filters (a status of ``STATUS_FILTERS``) and of a
    query (``triage.query``)."""
    if status not in STATUS_FILTERS:
        raise CommandRejected(f"unknown status {status!r} (use {', '.join(STATUS_FILTERS)})")
    return QueueView(
        status=status,
        severity=tuple(severities or ()),
        assignee=assignee,
        unassigned=unassigned,
        incident=incident,
        text=query,
        sort=LISTING_SORT,
    )


def list_alerts(
    ws: Workspace,
    *,
    status: str = "open",
    severities: list[str] | None = None,
    assignee: str | None = None,
    unassigned: bool = False,
    incident: int | None = None,
    query: str = "",
    sort: str = LISTING_SORT,
    descending: bool = True,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Whole alert records of the view the filters and the query make, most severe and newest
    fired first unless ``sort`` names a column of the queue (``triage.queue.SORT_KEYS``)."""
    view = listing_view(status, severities, assignee, unassigned, incident, query)
    view = view.with_(sort=sort, descending=descending)
    sql, args = view.select("*", limit=limit)
    return _rows(ws, sql, args, hidden=STORE_COLUMNS)


def get_alert(ws: Workspace, alert_id: int) -> dict[str, Any]:
    rows = _rows(ws, "SELECT * FROM alerts WHERE id = ?", (alert_id,), hidden=STORE_COLUMNS)
    if not rows:
        raise NotFound(f"no alert {alert_id}")
    return rows[0]


def duplicates_of(ws: Workspace, alert_id: int) -> list[int]:
    """The alerts closed as duplicates of this one (on the duplicate_of index)."""
    rows = ws.conn.execute("SELECT id FROM alerts WHERE duplicate_of = ? ORDER BY id", (alert_id,))
    return [int(r[0]) for r in rows]


def alert_hashes(ws: Workspace, alert_id: int) -> list[str]:
    """The hashes the alert's current document holds (the index of the query's ``hash:``)."""
    rows = ws.conn.execute("SELECT hash FROM alert_hashes WHERE alert_id = ? ORDER BY hash", (alert_id,))
    return [str(r[0]) for r in rows]


def alert_raw(ws: Workspace, alert: dict[str, Any]) -> Any:
    """The alert's document as its source last sent it (its latest update, else as ingested)."""
    event = ws.event(alert.get("content_seq") or alert["ingest_seq"])
    if event is None:
        return None
    return event.payload["raw"] if event.action == events.ALERT_UPDATED else event.payload["alert"]["raw"]


def list_incidents(ws: Workspace, *, status: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT i.*, (SELECT count(*) FROM alerts a WHERE a.incident_id = i.id) AS alerts FROM incidents i"
    args: list[Any] = []
    if status and status != "all":
        sql += " WHERE i.status = ?"
        args.append(status)
    return _rows(ws, sql + " ORDER BY i.id", args)


def get_incident(ws: Workspace, incident_id: int) -> dict[str, Any]:
    rows = _rows(ws, "SELECT * FROM incidents WHERE id = ?", (incident_id,))
    if not rows:
        raise NotFound(f"no incident {incident_id}")
    return rows[0]


def list_quarantine(ws: Workspace) -> list[dict[str, Any]]:
    return _rows(ws, "SELECT * FROM quarantine ORDER BY id")


def status_counts(
    ws: Workspace,
    *,
    severities: list[str] | None = None,
    assignee: str | None = None,
    unassigned: bool = False,
    incident: int | None = None,
    query: str = "",
) -> dict[str, int]:
    """Alerts per status among those the filters of ``list_alerts`` select (every status: the
    status is what is counted); no filters count every alert."""
    where, args = listing_view("all", severities, assignee, unassigned, incident, query).where()
    sql = "SELECT status, count(*) FROM alerts"
    sql += where + " GROUP BY status"
    return dict(ws.conn.execute(sql, args).fetchall())


def describe_event(e: Event) -> str:
    """One line on what an event did, for timelines (not yet made printable)."""
    return events.describe(e.action, e.payload)


def source_health(ws: Workspace) -> dict[str, dict[str, Any]]:
    """Per polled source: its cursor and counts (from the log) and the poller's health."""
    out: dict[str, dict[str, Any]] = {}
    for r in _rows(ws, "SELECT * FROM source_cursors"):
        out.setdefault(r["name"], {}).update(r)
    for r in _rows(ws, "SELECT * FROM poll_status"):
        out.setdefault(r["name"], {}).update(r)
    return out
