"""Shift commands: the handover report for the next shift."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import click

from triage.cli.context import Context, pass_ctx
from triage.cli.params import DURATION
from triage.clock import utc_now
from triage.shift import build_handover, handover_json, handover_markdown
from triage.text import printable


def handover_text(c: Context, length: timedelta, as_json: bool) -> tuple[str, dict[str, int], str, str]:
    """The report's text, its counts and its window."""
    h = build_handover(c.ws, until=utc_now(), length=length, written_by=c.analyst)
    text = handover_json(h) if as_json else handover_markdown(h)
    return text, h.counts(), h.since, h.until


@click.command("handover")
@click.option(
    "--since", "length", type=DURATION, default="8h", show_default=True, help="The shift's length, up to now."
)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of Markdown.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Write it to this file.")
@click.option(
    "--record", is_flag=True, help="Record the handover (its SHA-256) in the log, for the month's evidence."
)
@pass_ctx
def handover_cmd(c: Context, length: timedelta, as_json: bool, out: Path | None, record: bool) -> None:
    """What the next shift needs: alerts opened, closed and still open with their owners,
    targets breached or due within the next shift, incidents touched and the shift's notes."""
    text, counts, since, until = handover_text(c, length, as_json)
    data = text.encode("utf-8")
    if out is not None:
        if out.exists():
            raise click.UsageError(f"{out} already exists; a handover is never overwritten")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    else:
        click.echo(text, nl=False)
    if record:
        digest = hashlib.sha256(data).hexdigest()
        event = c.commands.record_handover(since, until, "json" if as_json else "markdown", digest, counts)
        where = f" ({printable(out, single_line=True)})" if out is not None else ""
        click.echo(f"handover recorded as event {event.seq}, SHA-256 {digest}{where}", err=True)
    elif out is not None:
        click.echo(f"handover written to {printable(out, single_line=True)}", err=True)


COMMANDS = [handover_cmd]
