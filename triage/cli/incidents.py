"""Analyst commands over incidents: escalate, link, unlink, incidents, incident."""

from __future__ import annotations

import click

from triage import queries
from triage.cli.context import Context, pass_ctx
from triage.cli.params import ALERT_ID, INCIDENT_ID, SEVERITY, expect_option, json_option
from triage.cli.render import describe, emit_done, emit_json, field_line, table
from triage.clock import display_time
from triage.text import printable


@click.command("escalate")
@click.argument("alerts", type=ALERT_ID, nargs=-1, required=True)
@click.option("--incident", type=INCIDENT_ID, help="An existing incident; without it a new one is opened.")
@click.option("--title", help="Title of the new incident (default: the first alert's title).")
@click.option("--severity", type=SEVERITY, help="Severity of the new incident (default: the first alert's).")
@expect_option
@json_option
@pass_ctx
def escalate_cmd(
    c: Context,
    alerts: tuple[int, ...],
    incident: int | None,
    title: str | None,
    severity: str | None,
    expect_seq: int | None,
    as_json: bool,
) -> None:
    """Escalate one or more alerts to a new or an existing incident (one event each: without
    --incident the first opens the new incident and the others join it)."""
    for alert in alerts:
        event = c.commands.escalate(
            alert, incident_id=incident, title=title, severity=severity, expected_seq=expect_seq
        )
        new = " (new)" if event.payload.get("new_incident") else ""
        emit_done(event, as_json, f"alert {alert} escalated to incident {event.payload['incident']}{new}")
        incident = event.payload["incident"]


@click.command("link")
@click.argument("alert", type=ALERT_ID)
@click.argument("incident", type=INCIDENT_ID)
@json_option
@pass_ctx
def link_cmd(c: Context, alert: int, incident: int, as_json: bool) -> None:
    """Link an alert to an existing incident."""
    emit_done(c.commands.link(alert, incident), as_json, f"alert {alert} linked to incident {incident}")


@click.command("unlink")
@click.argument("alert", type=ALERT_ID)
@json_option
@pass_ctx
def unlink_cmd(c: Context, alert: int, as_json: bool) -> None:
    """Take an alert out of its incident."""
    emit_done(c.commands.unlink(alert), as_json, f"alert {alert} unlinked")


@click.command("incidents")
@click.option(
    "--status",
    type=click.Choice(["open", "closed", "all"]),
    default="all",
    show_default=True,
    help="Only incidents in this state.",
)
@json_option
@pass_ctx
def incidents_cmd(c: Context, status: str, as_json: bool) -> None:
    """List incidents."""
    rows = queries.list_incidents(c.ws, status=status)
    if as_json:
        emit_json(rows)
        return
    table(
        [
            [
                r["id"],
                r["severity"],
                r["status"],
                r["owner"] or "-",
                r["alerts"],
                display_time(r["created_at"]),
                r["title"],
            ]
            for r in rows
        ],
        ["ID", "SEVERITY", "STATUS", "OWNER", "ALERTS", "OPENED", "TITLE"],
        widths={6: 70},
    )


@click.command("incident")
@click.argument("incident", type=INCIDENT_ID)
@click.option("--status", type=click.Choice(["open", "closed"]), help="Open or close the incident.")
@click.option("--owner", help="Hand the incident to this analyst.")
@click.option("--severity", type=SEVERITY, help="Change its severity.")
@click.option("--title", help="Change its title.")
@click.option("--description", help="Set its description (what it is about, what is known).")
@click.option("--note", help="Add a note to the incident (- reads it from stdin).")
@click.option("--reason", help="Why (recorded in the log).")
@json_option
@pass_ctx
def incident_cmd(
    c: Context,
    incident: int,
    status: str | None,
    owner: str | None,
    severity: str | None,
    title: str | None,
    description: str | None,
    note: str | None,
    reason: str | None,
    as_json: bool,
) -> None:
    """Show an incident with its alerts and timeline, or change it with the options (each
    change is an event: the fields one, a note another)."""
    changed = False
    if any(v is not None for v in (status, owner, severity, title, description)):
        event = c.commands.update_incident(
            incident,
            status=status,
            owner=owner,
            severity=severity,
            title=title,
            description=description,
            reason=reason,
        )
        emit_done(event, as_json, f"incident {incident} updated")
        changed = True
    if note is not None:
        text = click.get_text_stream("stdin").read() if note == "-" else note
        emit_done(c.commands.note_incident(incident, text), as_json, f"note added to incident {incident}")
        changed = True
    if changed:
        return
    row = queries.get_incident(c.ws, incident)
    members = queries.list_alerts(c.ws, status="all", incident=incident)
    events = list(c.ws.events(ref=f"incident:{incident}"))
    if as_json:
        emit_json({"incident": row, "alerts": members, "timeline": [e.as_dict() for e in events]})
        return
    click.echo(f"Incident {row['id']}: {printable(row['title'], single_line=True)}")
    for key in ("severity", "status", "owner", "created_at", "created_by", "closed_at", "description"):
        value = row[key]
        field_line(key.replace("_", " "), display_time(value) if key.endswith("_at") and value else value)
    click.echo("\nAlerts:")
    for a in members:
        click.echo(
            f"  {a['id']:>6}  {a['severity']:<13} {a['status']:<12} "
            f"{printable(a['title'], single_line=True, limit=80)}"
        )
    click.echo("\nTimeline:")
    for e in events:
        click.echo(
            f"  {e.seq:>6}  {display_time(e.ts)}  {printable(e.actor, single_line=True):<12} {describe(e)}"
        )


COMMANDS = [escalate_cmd, link_cmd, unlink_cmd, incidents_cmd, incident_cmd]
