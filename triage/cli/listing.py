"""The alert listing: ``triage alerts``, filtered by options, a query or a saved view."""

from __future__ import annotations

from dataclasses import asdict
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
from triage.groups import GROUP_BY, groups
from triage.query import parse


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
@click.option(
    "--view",
    "view_name",
    metavar="NAME",
    help="A saved view ([[views]] in the config file): its query and its sort (with --query: both).",
)
@click.option(
    "--group-by",
    type=click.Choice(list(GROUP_BY)),
    help="Groups instead of alerts: per group its alerts, worst severity and first due target.",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many (alerts, or groups).")
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
    view_name: str | None,
    group_by: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """List alerts, most severe and newest first (or in a saved view's order)."""
    try:
        parse(query)  # its own columns, before a saved view's query joins it
    except QuerySyntaxError as exc:
        raise ArgumentError(f"--query {exc.text!r}: column {exc.column}: {exc.reason}") from None
    order: dict[str, Any] = {}
    if view_name is not None:
        view = c.settings.view(view_name)
        query = both(view.query, query)
        order["sort"], order["descending"] = view.order
    filters: dict[str, Any] = {
        "severities": list(severities),
        "assignee": c.analyst if mine else assignee,
        "unassigned": unassigned,
        "incident": incident,
        "query": query,
    }
    if group_by is not None:
        _groups(c, status, filters, group_by, limit, as_json)
        return
    rows = queries.list_alerts(c.ws, status=status, limit=limit, **filters, **order)
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


def _groups(
    c: Context, status: str, filters: dict[str, Any], by: str, limit: int | None, as_json: bool
) -> None:
    f = filters
    view = queries.listing_view(
        status, f["severities"], f["assignee"], f["unassigned"], f["incident"], f["query"]
    )
    found = groups(c.ws.conn, view, by)
    shown = found[:limit] if limit else found
    if as_json:
        emit_json([asdict(g) for g in shown])
        return
    now = utc_now()
    table(
        [
            [g.key if g.key is not None else "(none)", g.count, g.worst, due_text(g.first_due, None, now)]
            for g in shown
        ],
        [by.upper(), "ALERTS", "WORST", "FIRST DUE"],
        widths={0: 60},
    )
    total = sum(g.count for g in found)
    click.echo(f"{len(shown)} of {len(found)} groups shown; {total} alerts in all")


def both(first: str, second: str) -> str:
    """Two queries, each in parentheses, ANDed (either may be empty)."""
    parts = [q for q in (first, second) if q.strip()]
    return " ".join(f"({q})" for q in parts) if len(parts) > 1 else "".join(parts)


COMMANDS = [alerts_cmd]
