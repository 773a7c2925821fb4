"""Alert text made safe for widgets: printable characters only, in ``Text`` objects.

Widgets parse a plain ``str`` as markup (``[bold]``, ``[@click=...]``); a ``Text`` is shown
as it is. Every string that comes from an alert or the log reaches a widget through
``safe`` (or ``printable`` into a ``Segment``), never as a raw ``str``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from rich.style import Style
from rich.text import Text

from triage.clock import display_time, format_duration, parse_time
from triage.domain.events import ALERT_NOTED
from triage.queries import describe_event
from triage.store.workspace import Event
from triage.text import printable

SEVERITY_STYLES: dict[str, Style] = {
    "critical": Style(color="bright_white", bgcolor="red", bold=True),
    "high": Style(color="bright_red", bold=True),
    "medium": Style(color="yellow"),
    "low": Style(color="cyan"),
    "informational": Style(dim=True),
}
STATUS_STYLES: dict[str, Style] = {
    "new": Style(color="bright_magenta", bold=True),
    "acknowledged": Style(color="green"),
    "closed": Style(dim=True),
}
BREACHED = Style(color="bright_white", bgcolor="dark_red", bold=True)
SOON = Style(color="yellow", bold=True)


def safe(
    value: object, style: Style | str = "", *, single_line: bool = True, limit: int | None = None
) -> Text:
    """Untrusted text as a ``Text``: control characters escaped, markup not parsed."""
    if value is None or value == "":
        return Text("-", style=Style(dim=True))
    return Text(printable(value, single_line=single_line, limit=limit), style=style)


def severity_text(severity: str) -> Text:
    return Text(severity, style=SEVERITY_STYLES.get(severity, Style()))


def compact(td: timedelta) -> str:
    """``45s``, ``12m``, ``3h05m``, ``2d4h``: short enough for a column."""
    secs = int(abs(td.total_seconds()))
    if secs < 60:
        return f"{secs}s"
    if secs < 3600:
        return f"{secs // 60}m"
    if secs < 86400:
        h, m = divmod(secs // 60, 60)
        return f"{h}h{m:02d}m" if m else f"{h}h"
    d, h = divmod(secs // 3600, 24)
    return f"{d}d{h}h" if h else f"{d}d"


def age(ts: str | None, now: datetime) -> str:
    return compact(now - parse_time(ts)) if ts else "-"


def due(due_ts: str | None, now: datetime) -> tuple[str, Style]:
    """Time left to the running target; past it the row shows how long ago it was breached."""
    if not due_ts:
        return "-", Style(dim=True)
    left = parse_time(due_ts) - now
    if left.total_seconds() < 0:
        return "!" + compact(left) + " over", BREACHED
    style = SOON if left <= timedelta(minutes=30) else Style()
    return compact(left), style


def when(ts: str | None) -> str:
    """A time as people read it (``triage.clock.display_time``: to the second, with its zone)."""
    return display_time(ts)


def duration(seconds: int) -> str:
    return format_duration(timedelta(seconds=seconds))


def timeline(events: Iterable[Event]) -> Text:
    """One event a line; a note's own line breaks are kept, indented under its event."""
    out = Text()
    for e in events:
        lead = f"{e.seq:>7}  {when(e.ts)}  "
        out.append(lead, style="dim")
        out.append_text(safe(e.actor, "bold", limit=40))
        out.append("  ")
        what = safe(describe_event(e), single_line=False, limit=2000)
        what.plain = what.plain.replace("\n", "\n" + " " * len(lead))
        out.append_text(what)
        out.append("\n")
    return out


def notes(events: Iterable[Event], newest: int) -> Text:
    """The ``newest`` notes among the events, oldest first, and how many earlier ones there are
    (the timeline has every one)."""
    noted = [e for e in events if e.action == ALERT_NOTED]
    out = Text()
    if len(noted) > newest:
        out.append(f"{len(noted) - newest} earlier notes: the Timeline tab (4) has them all\n\n", style="dim")
    for e in noted[-newest:] if newest else []:
        out.append(f"{when(e.ts)} ", style="dim")
        out.append_text(safe(e.actor, "bold"))
        out.append("\n")
        out.append_text(safe(e.payload.get("text"), single_line=False, limit=4000))
        out.append("\n\n")
    return out if out.plain else Text("no notes yet (n adds one)", style="dim")
