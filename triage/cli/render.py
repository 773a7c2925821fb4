"""Plain-text and JSON output. Every value from an alert goes through ``printable``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import click

from triage import queries
from triage.clock import format_duration, parse_time, utc_now
from triage.store.workspace import Event
from triage.text import printable


def emit_json(data: Any) -> None:
    # json.dumps escapes control characters, so JSON output is terminal-safe as well.
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


class Report(Protocol):
    """What a verification report offers (the workspace's and an evidence pack's)."""

    @property
    def problems(self) -> Sequence[object]: ...

    @property
    def notes(self) -> Sequence[str]: ...

    @property
    def ok(self) -> bool: ...

    def summary(self) -> str: ...

    def as_dict(self) -> dict[str, Any]: ...


def emit_report(report: Report, as_json: bool) -> None:
    """Each problem, each note, the summary; exit 1 when anything is wrong."""
    if as_json:
        emit_json(report.as_dict())
    else:
        for problem in report.problems:
            click.echo(f"FAIL {printable(str(problem), single_line=True)}")
        for note in report.notes:
            click.echo(f"note: {printable(note, single_line=True)}")
        click.echo(report.summary())
    if not report.ok:
        raise click.exceptions.Exit(1)


def age(ts: str | None, now: datetime | None = None) -> str:
    if not ts:
        return "-"
    delta = (now or utc_now()) - parse_time(ts)
    return format_duration(timedelta(seconds=int(delta.total_seconds())))


def table(rows: list[list[Any]], headers: list[str], *, widths: dict[int, int] | None = None) -> None:
    widths = widths or {}
    cells = [[printable(c, single_line=True, limit=widths.get(i)) for i, c in enumerate(r)] for r in rows]
    cols = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(cols[i]) for i, h in enumerate(headers)).rstrip())
    for r in cells:
        click.echo("  ".join(c.ljust(cols[i]) for i, c in enumerate(r)).rstrip())


def due_text(due: str | None, done_at: str | None, now: datetime) -> str:
    """Time left to a target, ``BREACHED 2h`` past it, or ``met`` once done in time."""
    if not due:
        return "-"
    due_dt = parse_time(due)
    if done_at:
        return "met" if parse_time(done_at) <= due_dt else "missed"
    left = due_dt - now
    if left.total_seconds() < 0:
        return "BREACHED " + format_duration(timedelta(seconds=-int(left.total_seconds())))
    return format_duration(timedelta(seconds=int(left.total_seconds())))


def emit_done(event: Event, as_json: bool, message: str) -> None:
    """What a command did: its event as JSON, or the message and the event's number."""
    if as_json:
        emit_json(event.as_dict())
    else:
        click.echo(f"{printable(message, single_line=True)} (event {event.seq})")  # can quote what was typed


def field_line(label: str, value: Any) -> None:
    """One ``label: value`` line of a record shown by ``show`` or ``incident``."""
    click.echo(f"{label:>14}: {printable(value, single_line=True) if value not in (None, '') else '-'}")


def describe(e: Event) -> str:
    """An event in a few words, for timelines and the log."""
    return printable(queries.describe_event(e), single_line=True, limit=300)
