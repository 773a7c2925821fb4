"""The alert listing: ``triage alerts``, filtered by options, a query or a saved view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from triage import queries
from triage.cli.context import Context, pass_ctx
from triage.cli.params import INCIDENT_ID, SEVERITY, json_option
from triage.cli.render import age, due_text, emit_json, table
from triage.clock import utc_now
from triage.domain.state import running_due
from triage.errors import ArgumentError, QuerySyntaxError


@click.command("alerts")
@click.option(
    "--status",
    type=click.Choice(queries.STATUS_FILTERS),
    default="open",
    show_default=True,
    help="open = not closed.",
)
@click.option(
    "--severity", "severities", multiple=True, type=SEVERITY, help="Only these severities (repeatable)."
)
@click.option("--assignee", help="Only alerts assigned to this analyst.")
@click.option("--mine", is_flag=True, help="Only alerts assigned to me.")
@click.option("--unassigned", is_flag=True, help="Only alerts nobody owns.")
@click.option("--incident", type=INCIDENT_ID, help="Only alerts in this incident.")
@click.option(
    "--query",
    "-q",
    "query",
    default="",
    metavar="QUERY",
    help="Only alerts the query matches, e.g. 'host:web-01 severity>=high -assignee:bob' (see README).",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
@json_option
@pass_ctx
def alerts_cmd(
    c: Context,
    status: str,
    severities: tuple[str, ...],
    assignee: str | None,
    mine: bool,
    unassigned: bool,
    incident: int | None,
    query: str,
    limit: int | None,
    as_json: bool,
) -> None:
    """List alerts, most severe and newest first."""
    filters: dict[str, Any] = {
        "severities": list(severities),
        "assignee": c.analyst if mine else assignee,
        "unassigned": unassigned,
        "incident": incident,
        "query": query,
    }
    try:
        rows = queries.list_alerts(c.ws, status=status, limit=limit, **filters)
    except QuerySyntaxError as exc:
        raise ArgumentError(f"--query {exc.text!r}: column {exc.column}: {exc.reason}") from None
    if as_json:
        emit_json(rows)
        return
    now = utc_now()
    table(
        [
            [
                r["id"],
                r["severity"],
                r["status"],
                r["assignee"] or "-",
                age(r["ingested_at"], now),
                _listing_due(r, now),
                r["playbook_id"] or "-",
                r["host"] or "-",
                r["title"],
            ]
            for r in rows
        ],
        ["ID", "SEVERITY", "STATUS", "ASSIGNEE", "AGE", "DUE", "PLAYBOOK", "HOST", "TITLE"],
        widths={3: 16, 7: 24, 8: 70},
    )
    counts = queries.status_counts(c.ws, **filters)  # the same filters, every status
    click.echo(
        f"{len(rows)} shown; "
        + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("new", "acknowledged", "closed"))
    )


def _listing_due(r: dict[str, Any], now: datetime) -> str:
    """The target that runs now (``running_due``), or whether a closed alert met its close target."""
    if r["status"] == "closed":
        return due_text(r["close_due"], r["closed_at"], now)
    return due_text(running_due(r["status"], r["ack_due"], r["close_due"], r["first_closed_at"]), None, now)


COMMANDS = [alerts_cmd]
