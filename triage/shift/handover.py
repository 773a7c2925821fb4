"""The handover report's content: what happened in a window (alerts opened and closed,
incidents touched, notes) and what the next shift inherits (alerts still open with their
owners, targets breached or falling due within the next shift of the same length).

Read only. Targets are the fold's (``running_due``, ``tables.DUE_AT`` in SQL); times are the
log's UTC text, so string order is time order.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from triage.clock import format_ts, parse_time
from triage.domain import events as ev
from triage.domain.state import running_due
from triage.store.tables import SEVERITY_RANK
from triage.store.workspace import Workspace

# Extra sections other parts of triage add to a handover (suppressions): name -> builder.
SectionBuilder = Callable[[Workspace, str, str, str], list[dict[str, Any]]]


@dataclass
class Handover:
    """One handover: the window ``[since, until)`` and each section's rows."""

    workspace: str
    written_by: str
    since: str
    until: str
    next_until: str  # the end of the next shift (as long as this one)
    opened: list[dict[str, Any]] = field(default_factory=list)
    closed: list[dict[str, Any]] = field(default_factory=list)
    still_open: list[dict[str, Any]] = field(default_factory=list)
    breached: list[dict[str, Any]] = field(default_factory=list)
    due_next_shift: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    suppressed: int = 0  # closes by suppression rules in the shift (counted, not listed)

    def counts(self) -> dict[str, int]:
        out = {
            "opened": len(self.opened),
            "closed": len(self.closed),
            "still_open": len(self.still_open),
            "breached": len(self.breached),
            "due_next_shift": len(self.due_next_shift),
            "incidents": len(self.incidents),
            "notes": len(self.notes),
            "suppressed": self.suppressed,
        }
        out.update({name: len(rows) for name, rows in self.extra.items()})
        return out

    def open_by_owner(self) -> list[dict[str, Any]]:
        """Per owner (unassigned last): the alerts still open, how many breached, the most severe."""
        rank = {"critical": 4, "high": 3, "medium": 2, "low": 1}
        breached = {a["id"] for a in self.breached}
        owners: dict[str | None, dict[str, Any]] = {}
        for a in self.still_open:
            o = owners.setdefault(a["owner"], {"owner": a["owner"], "open": 0, "breached": 0, "worst": None})
            o["open"] += 1
            o["breached"] += a["id"] in breached
            if o["worst"] is None or rank.get(a["severity"], 0) > rank.get(o["worst"], 0):
                o["worst"] = a["severity"]
        return sorted(owners.values(), key=lambda o: (o["owner"] is None, o["owner"] or ""))

    def as_dict(self) -> dict[str, Any]:
        return {
            "workspace": self.workspace,
            "written_by": self.written_by,
            "since": self.since,
            "until": self.until,
            "next_shift_until": self.next_until,
            "counts": self.counts(),
            "opened": self.opened,
            "closed": self.closed,
            "still_open": self.still_open,
            "open_by_owner": self.open_by_owner(),
            "breached": self.breached,
            "due_next_shift": self.due_next_shift,
            "incidents": self.incidents,
            "notes": self.notes,
            **self.extra,
        }


_ALERT = "id, severity, status, assignee, title, rule_name, host, ack_due, close_due, first_closed_at"
_ORDER = f"ORDER BY {SEVERITY_RANK} DESC, id"


def _alert_rows(ws: Workspace, where: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
    cur = ws.conn.execute(f"SELECT {_ALERT} FROM alerts WHERE {where} {_ORDER}", args)  # noqa: S608
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur]


def _target(row: dict[str, Any]) -> tuple[str | None, str | None]:
    """(which target runs now, its due time) by the fold's rule."""
    due = running_due(row["status"], row["ack_due"], row["close_due"], row["first_closed_at"])
    if due is None:
        return None, None
    acknowledging = row["status"] == "new" and row["first_closed_at"] is None  # the rule of running_due
    return ("acknowledge" if acknowledging else "close"), due


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "severity": row["severity"],
        "status": row["status"],
        "owner": row["assignee"],
        "title": row["title"],
        "host": row["host"],
    }


def build_handover(
    ws: Workspace,
    *,
    until: datetime,
    length: timedelta,
    written_by: str,
    sections: dict[str, SectionBuilder] | None = None,
) -> Handover:
    """The handover for the shift of ``length`` ending at ``until``."""
    since_ts, until_ts = format_ts(until - length), format_ts(until)
    next_ts = format_ts(until + length)
    h = Handover(ws.id, written_by, since_ts, until_ts, next_ts)
    conn = ws.conn

    # Alerts a suppression rule closed are counted (their closes in the shift), not listed: they are
    # the noise the rules exist to keep out of the next shift's way (the rules have their section).
    window = "ingested_at >= ? AND ingested_at < ?"
    h.opened = [
        _summary(r)
        for r in _alert_rows(
            ws, f"{window} AND coalesce(disposition, '') != 'suppressed'", (since_ts, until_ts)
        )
    ]

    for target, ts, body in conn.execute(
        "SELECT target, ts, body FROM events WHERE action = ? AND ts >= ? AND ts < ? ORDER BY seq",
        (ev.ALERT_CLOSED, since_ts, until_ts),
    ):
        d = json.loads(body)
        actor, p = d["actor"], d["payload"]
        if p.get("suppression") is not None:
            h.suppressed += 1
            continue
        alert_id = int(target.partition(":")[2])
        found = _alert_rows(ws, "id = ?", (alert_id,))
        row = found[0] if found else None
        h.closed.append(
            {
                "id": alert_id,
                "severity": row["severity"] if row else None,
                "title": row["title"] if row else None,
                "closed_at": ts,
                "closed_by": actor,
                "disposition": p.get("disposition"),
                "reason": p.get("reason"),
                "status_now": row["status"] if row else None,
            }
        )

    for row in _alert_rows(ws, "status != 'closed'", ()):
        which, due = _target(row)
        item = {**_summary(row), "target": which, "due": due}
        h.still_open.append(item)
        if due is None:
            continue
        if due < until_ts:
            over = (until - parse_time(due)).total_seconds()
            h.breached.append({**item, "over_s": int(over)})
        elif due < next_ts:
            h.due_next_shift.append(item)

    touched: dict[int, int] = {}
    for (ref,) in conn.execute(
        "SELECT t.ref FROM timeline t JOIN events e ON e.seq = t.seq"
        " WHERE t.ref >= 'incident:' AND t.ref < 'incident;' AND e.ts >= ? AND e.ts < ?",
        (since_ts, until_ts),
    ):
        incident_id = int(ref.partition(":")[2])
        touched[incident_id] = touched.get(incident_id, 0) + 1
    for incident_id in sorted(touched):
        inc = conn.execute(
            "SELECT title, severity, status, owner FROM incidents WHERE id = ?", (incident_id,)
        ).fetchone()
        if inc is None:
            continue
        h.incidents.append(
            {
                "id": incident_id,
                "title": inc[0],
                "severity": inc[1],
                "status": inc[2],
                "owner": inc[3],
                "events_in_shift": touched[incident_id],
            }
        )

    for target, ts, action, body in conn.execute(
        "SELECT target, ts, action, body FROM events"
        " WHERE action IN (?, ?) AND ts >= ? AND ts < ? ORDER BY seq",
        (ev.ALERT_NOTED, ev.ALERT_STEP_COMPLETED, since_ts, until_ts),
    ):
        d = json.loads(body)
        actor, p = d["actor"], d["payload"]
        text = p.get("text") if action == ev.ALERT_NOTED else p.get("note")
        if not text:
            continue
        entry = {"alert": int(target.partition(":")[2]), "at": ts, "by": actor, "text": text}
        if action == ev.ALERT_STEP_COMPLETED:
            entry["step"] = p.get("step")
        h.notes.append(entry)

    for name, builder in {**DEFAULT_SECTIONS, **(sections or {})}.items():
        h.extra[name] = builder(ws, since_ts, until_ts, next_ts)
    return h


def suppressions(ws: Workspace, since: str, until: str, next_until: str) -> list[dict[str, Any]]:
    """Suppression rules created in the shift, and those in force that expire before the next
    shift ends (the next shift decides whether to renew them)."""
    cur = ws.conn.execute(
        "SELECT id, owner, query, reason, created_at, expires_at, ended_at, alerts_closed FROM suppressions"
        " WHERE (created_at >= ? AND created_at < ?)"
        " OR (ended_at IS NULL AND expires_at > ? AND expires_at <= ?) ORDER BY id",
        (since, until, since, next_until),
    )
    cols = [d[0] for d in cur.description]
    out = []
    for row in cur:
        r = dict(zip(cols, row, strict=True))
        created = since <= r["created_at"] < until
        expiring = r["ended_at"] is None and r["expires_at"] <= next_until
        r["why"] = "created, expiring" if created and expiring else "created" if created else "expiring"
        out.append(r)
    return out


DEFAULT_SECTIONS: dict[str, SectionBuilder] = {"suppressions": suppressions}


def handover_file(folder: Path, until: datetime) -> Path:
    """Where a handover written at ``until`` goes in ``folder`` (never an existing file)."""
    stamp = format_ts(until).replace(":", "").replace("-", "")[:15] + "Z"
    path = folder / f"handover-{stamp}.md"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"handover-{stamp}-{n}.md"
    return path
