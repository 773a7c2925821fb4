"""Which notifications a notify target wants, from the log's events (``critical``,
``assigned``, ``escalated``) and from the fold's targets at a given time (``breach``,
``due_soon``: nothing happens in the log when a target is missed, so they are derived from
the alerts' running targets with the injected clock).

Each notification has a key that names it within its target: the same notification is
always derived with the same key, and a key is sent once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from triage.clock import format_duration, format_ts, parse_time
from triage.config import NotifyTarget
from triage.domain import events as ev
from triage.domain.logged import Logged, is_exercise
from triage.domain.state import running_due
from triage.text import printable

SEVERE = "critical"
SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class Notice:
    kind: str
    key: str
    alert: int
    text: str
    subject: str
    recipient_analyst: str | None = None  # ``assigned``: the analyst told
    incident: int | None = None
    seq: int | None = None
    due: str | None = None


def _line(value: object, limit: int = 200) -> str:
    return printable(value if value is not None else "-", single_line=True, limit=limit)


def _about(row: dict[str, Any]) -> str:
    host = f" on {_line(row.get('host'), 80)}" if row.get("host") else ""
    return f"{_line(row.get('title'))}{host}"


def from_event(target: NotifyTarget, e: Logged, row: dict[str, Any] | None) -> list[Notice]:
    """The notifications one event calls for at ``target`` (``row``: its alert as it is now)."""
    wanted = set(target.events)
    if is_exercise(e) or not e.target.startswith("alert:") or row is None:
        return []
    alert_id = int(e.target.partition(":")[2])
    p, sev = e.payload, row.get("severity")
    out: list[Notice] = []
    suppressed = row.get("disposition") == SUPPRESSED  # a rule closed it: nobody is to be woken
    if (
        "critical" in wanted
        and not suppressed
        and (
            (e.action == ev.ALERT_INGESTED and p["alert"].get("severity") == SEVERE)
            or (e.action == ev.ALERT_SEVERITY_CHANGED and p.get("to") == SEVERE)
        )
    ):
        text = f"CRITICAL alert {alert_id}: {_about(row)} (rule {_line(row.get('rule_name'), 80)})"
        out.append(Notice("critical", f"critical:{alert_id}", alert_id, text, text, seq=e.seq))
    if "assigned" in wanted and e.action in (ev.ALERT_ASSIGNED, ev.ALERT_ACKNOWLEDGED):
        who = p.get("assignee")
        if who and who != e.actor:  # taking an alert yourself tells nobody anything
            by = _line(e.actor, 80)
            text = f"Alert {alert_id} ({sev}) assigned to {_line(who, 80)} by {by}: {_about(row)}"
            out.append(
                Notice("assigned", f"assigned:{alert_id}:{e.seq}", alert_id, text, text, who, seq=e.seq)
            )
    if "escalated" in wanted and e.action == ev.ALERT_ESCALATED:
        incident = int(p["incident"])
        new = " (new incident)" if p.get("new_incident") else ""
        text = (
            f"Alert {alert_id} ({sev}) escalated to incident {incident}{new} by {_line(e.actor, 80)}:"
            f" {_about(row)}"
        )
        key = f"escalated:{alert_id}:{e.seq}"
        out.append(Notice("escalated", key, alert_id, text, text, incident=incident, seq=e.seq))
    if "breach" in wanted and e.action in (ev.ALERT_ACKNOWLEDGED, ev.ALERT_CLOSED) and not suppressed:
        out.extend(_met_late(e, alert_id, row))
    return out


def _met_late(e: Logged, alert_id: int, row: dict[str, Any]) -> list[Notice]:
    """A target met only after its due time (by an acknowledgement or a close the notifier had
    not seen breached while it ran): the same notification, by the same key, as the breach."""
    out: list[Notice] = []
    responded = min((t for t in (row.get("acknowledged_at"), row.get("first_closed_at")) if t), default=None)
    checks = [("acknowledge", row.get("ack_due"), responded == e.ts)]
    if e.action == ev.ALERT_CLOSED:
        checks.append(("close", row.get("close_due"), True))
    for which, due, counts in checks:
        if due is None or not counts or e.ts <= due:
            continue
        late = format_duration(timedelta(seconds=int((parse_time(e.ts) - parse_time(due)).total_seconds())))
        done = "acknowledged" if e.action == ev.ALERT_ACKNOWLEDGED else "closed"
        text = (
            f"BREACH: alert {alert_id} ({row.get('severity')}) missed its {which} target (due {due});"
            f" {done} {late} late by {_line(e.actor, 80)}: {_about(row)}"
        )
        out.append(
            Notice("breach", f"breach:{alert_id}:{which}:{due}", alert_id, text, text, seq=e.seq, due=due)
        )
    return out


def which_target(row: dict[str, Any]) -> tuple[str, str] | None:
    """(acknowledge or close, its due time) of the target that runs now, by the fold's rule."""
    due = running_due(row["status"], row["ack_due"], row["close_due"], row["first_closed_at"])
    if due is None:
        return None
    acknowledging = row["status"] == "new" and row["first_closed_at"] is None
    return ("acknowledge" if acknowledging else "close"), due


def from_targets(
    target: NotifyTarget, rows: list[dict[str, Any]], now: datetime, since: str | None = None
) -> list[Notice]:
    """Breached and due-soon targets among open alerts at ``now``: one notification per alert,
    target and due time (a new due time, after a severity change, is a new notification).
    ``since``: when the notify target began; a target that fell due before then is old news (the
    handover lists it), not a flood of notifications on the first run over a backlog."""
    wanted = set(target.events)
    soon = now + timedelta(minutes=target.due_soon_minutes)
    out: list[Notice] = []
    for row in rows:
        running = which_target(row)
        if running is None:
            continue
        which, due = running
        due_dt = parse_time(due)
        owner = _line(row.get("assignee"), 80) if row.get("assignee") else "unassigned"
        alert_id, sev = int(row["id"]), row["severity"]
        if due_dt < now and "breach" in wanted and (since is None or due >= since):
            late = format_duration(timedelta(seconds=int((now - due_dt).total_seconds())))
            text = (
                f"BREACH: alert {alert_id} ({sev}) missed its {which} target (due {due}, {late} ago);"
                f" owner {owner}: {_about(row)}"
            )
            key = f"breach:{alert_id}:{which}:{due}"
            out.append(Notice("breach", key, alert_id, text, text, due=due))
        elif now <= due_dt <= soon and "due_soon" in wanted:
            left = format_duration(timedelta(seconds=int((due_dt - now).total_seconds())))
            text = (
                f"Due soon: alert {alert_id} ({sev}) {which} target due at {due} (in {left});"
                f" owner {owner}: {_about(row)}"
            )
            key = f"due_soon:{alert_id}:{which}:{due}"
            out.append(Notice("due_soon", key, alert_id, text, text, due=due))
    return out


def horizon(target: NotifyTarget, now: datetime) -> str:
    """The latest due time any of ``target``'s time-driven notifications can be about."""
    if "due_soon" in target.events:
        return format_ts(now + timedelta(minutes=target.due_soon_minutes))
    return format_ts(now)
