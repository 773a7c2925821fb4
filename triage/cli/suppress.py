"""``triage suppress``: suppression rules, audited (add, list, show, change, end)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from triage.cli.context import Context, pass_ctx
from triage.cli.params import DURATION, json_option
from triage.cli.render import emit_json, table
from triage.clock import format_ts, utc_now
from triage.errors import NotFound
from triage.text import printable

RULE_ID = click.IntRange(min=1)


def _rows(c: Context, where: str = "1 = 1", args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    cur = c.ws.conn.execute(f"SELECT * FROM suppressions WHERE {where} ORDER BY id", args)  # noqa: S608
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur]


def _state(r: dict[str, Any], now: str) -> str:
    if r["ended_at"]:
        return "ended"
    if r["expires_at"] <= now:
        return "expired"
    return "active" if r["starts_at"] <= now else "pending"


@click.group("suppress")
def suppress_group() -> None:
    """Suppression rules: a new alert an active rule matches is stored and closed at once as
    suppressed (never dropped). Every rule has an owner, a reason and an expiry; creating,
    changing and ending one are events in the log."""


@suppress_group.command("add")
@click.option(
    "--query",
    "query",
    required=True,
    help='Which alerts, in the query language (rule:"ET SCAN*" host:web-01).',
)
@click.option("--reason", required=True, help="Why (at least 20 characters: the auditor reads it).")
@click.option(
    "--expires",
    type=DURATION,
    required=True,
    help="How long it lasts, e.g. 14d (at most suppression_max_days).",
)
@click.option("--owner", help="Who answers for it (default: you).")
@click.option(
    "--apply-to-open", is_flag=True, help="Also close the open alerts it matches now (each an event)."
)
@json_option
@pass_ctx
def add_cmd(
    c: Context,
    query: str,
    reason: str,
    expires: timedelta,
    owner: str | None,
    apply_to_open: bool,
    as_json: bool,
) -> None:
    """Create a suppression rule, active from now."""
    created = c.commands.add_suppression(
        query,
        reason,
        expires,
        owner=owner,
        max_days=c.settings.suppression_max_days,
        apply_to_open=apply_to_open,
    )
    rule = created.event.target.partition(":")[2]
    if as_json:
        emit_json({"id": int(rule), "event": created.event.as_dict(), "closed": created.closed})
        return
    p = created.event.payload
    click.echo(f"suppression {rule} active until {p['expires_at']} (event {created.event.seq})")
    if apply_to_open:
        click.echo(f"closed {len(created.closed)} open alerts: {' '.join(map(str, created.closed)) or '-'}")


@suppress_group.command("list")
@click.option("--expiring", type=DURATION, help="Only active rules that expire within this time, e.g. 7d.")
@click.option("--all", "show_all", is_flag=True, help="Ended and expired rules too.")
@json_option
@pass_ctx
def list_cmd(c: Context, expiring: timedelta | None, show_all: bool, as_json: bool) -> None:
    """The suppression rules in force (or all of them)."""
    now = format_ts(utc_now())
    rows = _rows(c)
    for r in rows:
        r["state"] = _state(r, now)
    if not show_all:
        rows = [r for r in rows if r["state"] in ("active", "pending")]
    if expiring is not None:
        until = format_ts(utc_now() + expiring)
        rows = [r for r in rows if r["state"] == "active" and r["expires_at"] <= until]
    if as_json:
        emit_json(rows)
        return
    table(
        [
            [r["id"], r["state"], r["owner"], r["expires_at"], r["alerts_closed"], r["query"], r["reason"]]
            for r in rows
        ],
        ["ID", "STATE", "OWNER", "EXPIRES", "CLOSED", "QUERY", "REASON"],
        widths={5: 50, 6: 60},
    )


@suppress_group.command("show")
@click.argument("rule", type=RULE_ID)
@json_option
@pass_ctx
def show_cmd(c: Context, rule: int, as_json: bool) -> None:
    """One rule: its fields, how many alerts it closed, the last one, and its events."""
    rows = _rows(c, "id = ?", (rule,))
    if not rows:
        raise NotFound(f"no suppression {rule}")
    r = rows[0]
    r["state"] = _state(r, format_ts(utc_now()))
    events = [e for e in c.ws.events(ref=f"suppression:{rule}") if not e.action.startswith("alert.")]
    if as_json:
        emit_json({"suppression": r, "events": [e.as_dict() for e in events]})
        return
    labels = (
        ("suppression", "id"), ("state", "state"), ("query", "query"), ("reason", "reason"),
        ("owner", "owner"), ("created", "created_at"), ("created by", "created_by"),
        ("expires", "expires_at"), ("ended", "ended_at"), ("ended by", "ended_by"),
        ("end reason", "end_reason"), ("alerts closed", "alerts_closed"), ("last alert", "last_alert"),
        ("last closed", "last_closed_at"),
    )  # fmt: skip
    for label, key in labels:
        value = r[key]
        click.echo(f"{label:>14}: {printable(value, single_line=True) if value not in (None, '') else '-'}")
    click.echo("")
    for e in events:
        click.echo(f"{e.seq:>8}  {e.ts}  {printable(e.actor, single_line=True)}  {e.action}")


@suppress_group.command("change")
@click.argument("rule", type=RULE_ID)
@click.option("--reason", "why", required=True, help="Why it changes (at least 20 characters).")
@click.option("--expires", type=DURATION, help="A new expiry, from now.")
@click.option("--owner", help="A new owner.")
@click.option("--new-reason", help="A new reason for the rule itself.")
@pass_ctx
def change_cmd(
    c: Context, rule: int, why: str, expires: timedelta | None, owner: str | None, new_reason: str | None
) -> None:
    """Extend or shorten a rule, hand it to another owner, or reword its reason."""
    event = c.commands.change_suppression(
        rule, why, expires=expires, owner=owner, reason=new_reason, max_days=c.settings.suppression_max_days
    )
    click.echo(f"suppression {rule} changed (event {event.seq})")


@suppress_group.command("end")
@click.argument("rule", type=RULE_ID)
@click.option("--reason", required=True, help="Why it ends (at least 20 characters).")
@pass_ctx
def end_cmd(c: Context, rule: int, reason: str) -> None:
    """End a rule now: it matches no alert from now on (alerts it closed stay closed)."""
    event = c.commands.end_suppression(rule, reason)
    click.echo(f"suppression {rule} ended (event {event.seq})")


COMMANDS = [suppress_group]
