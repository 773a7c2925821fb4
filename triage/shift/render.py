"""The handover in Markdown (for people) and JSON (for scripts). Alert text is untrusted:
Markdown shows it escaped (``triage.text``) and with no character Markdown would read as
syntax; JSON keeps every value exactly."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from triage.clock import format_duration
from triage.shift.handover import Handover
from triage.text import printable

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>|#!~])")


def md(value: object) -> str:
    if value is None or value == "":
        return "-"
    return _MD_SPECIAL.sub(r"\\\1", printable(value, single_line=True, limit=300))


def _over(seconds: int) -> str:
    return format_duration(timedelta(seconds=seconds))


Column = tuple[str, Callable[[dict[str, Any]], object]]

_OPEN: list[Column] = [
    ("alert", lambda r: r["id"]),
    ("severity", lambda r: r["severity"]),
    ("status", lambda r: r["status"]),
    ("owner", lambda r: r["owner"] or "unassigned"),
    ("target", lambda r: r["target"]),
    ("due", lambda r: r["due"]),
    ("title", lambda r: r["title"]),
]
# Rows a Markdown table shows before it says how many more there are (the JSON keeps every one).
MAX_ROWS = 200

_SECTIONS: list[tuple[str, str, list[Column]]] = [
    (
        "breached",
        "Targets breached",
        [*_OPEN[:6], ("over by", lambda r: _over(r["over_s"])), _OPEN[6]],
    ),
    ("due_next_shift", "Targets due within the next shift", _OPEN),
    (
        "open_by_owner",
        "Open alerts by owner",
        [("owner", lambda r: r["owner"] or "unassigned"), ("open", lambda r: r["open"]),
         ("breached", lambda r: r["breached"]), ("most severe", lambda r: r["worst"])],
    ),
    ("still_open", "Alerts still open", _OPEN),
    (
        "opened",
        "Alerts opened this shift",
        [("alert", lambda r: r["id"]), ("severity", lambda r: r["severity"]),
         ("status now", lambda r: r["status"]), ("owner", lambda r: r["owner"] or "unassigned"),
         ("host", lambda r: r["host"]), ("title", lambda r: r["title"])],
    ),
    (
        "closed",
        "Alerts closed this shift",
        [("alert", lambda r: r["id"]), ("severity", lambda r: r["severity"]),
         ("closed at", lambda r: r["closed_at"]), ("by", lambda r: r["closed_by"]),
         ("disposition", lambda r: r["disposition"]), ("reason", lambda r: r["reason"]),
         ("title", lambda r: r["title"])],
    ),
    (
        "incidents",
        "Incidents touched",
        [("incident", lambda r: r["id"]), ("severity", lambda r: r["severity"]),
         ("status", lambda r: r["status"]), ("owner", lambda r: r["owner"]),
         ("events this shift", lambda r: r["events_in_shift"]), ("title", lambda r: r["title"])],
    ),
    (
        "notes",
        "Notes of the shift",
        [("alert", lambda r: r["alert"]), ("at", lambda r: r["at"]), ("by", lambda r: r["by"]),
         ("step", lambda r: r.get("step")), ("note", lambda r: r["text"])],
    ),
]  # fmt: skip

# Sections other parts add (``Handover.extra``): their title and columns, by name.
EXTRA_SECTIONS: dict[str, tuple[str, list[Column]]] = {
    "suppressions": (
        "Suppression rules created or expiring",
        [("rule", lambda r: r["id"]), ("why", lambda r: r["why"]), ("owner", lambda r: r["owner"]),
         ("expires", lambda r: r["expires_at"]), ("closed so far", lambda r: r["alerts_closed"]),
         ("query", lambda r: r["query"]), ("reason", lambda r: r["reason"])],
    ),
}  # fmt: skip


def _table(lines: list[str], title: str, columns: list[Column], rows: list[dict[str, Any]]) -> None:
    lines += ["", f"## {title} ({len(rows)})", ""]
    if not rows:
        lines.append("None.")
        return
    lines.append("| " + " | ".join(name for name, _ in columns) + " |")
    lines.append("| " + " | ".join("---" for _ in columns) + " |")
    lines += ["| " + " | ".join(md(get(r)) for _, get in columns) + " |" for r in rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        lines += ["", f"... and {len(rows) - MAX_ROWS:,} more (`triage handover --json` lists every one)."]


def handover_markdown(h: Handover) -> str:
    lines = [
        f"# Shift handover: {md(h.since)} to {md(h.until)}",
        "",
        f"- **written by**: {md(h.written_by)}",
        f"- **workspace**: {md(h.workspace)}",
        f"- **next shift**: until {md(h.next_until)}",
        "- **counts**: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in h.counts().items()),
    ]
    data = h.as_dict()
    for name, title, columns in _SECTIONS:
        _table(lines, title, columns, data[name])
    for name, rows in h.extra.items():
        title, columns = EXTRA_SECTIONS[name]
        _table(lines, title, columns, rows)
    return "\n".join(lines) + "\n"


def handover_json(h: Handover) -> str:
    return json.dumps(h.as_dict(), indent=2, sort_keys=True) + "\n"
