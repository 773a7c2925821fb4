"""Analyst commands over alerts: show, assign, ack, note, step, severity, close, reopen."""

from __future__ import annotations

import sys

import click

from triage import queries
from triage.cli.context import Context, pass_ctx
from triage.cli.params import ALERT_ID, DISPOSITION, SEVERITY, expect_option, json_option
from triage.cli.render import describe, due_text, emit_done, emit_json, field_line
from triage.clock import display_time, utc_now
from triage.domain.state import AlertState
from triage.text import printable


@click.command("show")
@click.argument("alert", type=ALERT_ID)
@click.option("--raw", "show_raw", is_flag=True, help="Also print the raw source document.")
@json_option
@pass_ctx
def show_cmd(c: Context, alert: int, show_raw: bool, as_json: bool) -> None:
    """Show one alert: fields, playbook progress, and its timeline from the log."""
    row = queries.get_alert(c.ws, alert)
    events = list(c.ws.events(ref=f"alert:{alert}"))
    raw = queries.alert_raw(c.ws, row)
    if as_json:
        emit_json({"alert": row, "raw": raw, "timeline": [e.as_dict() for e in events]})
        return
    now = utc_now()
    click.echo(f"Alert {row['id']}: {printable(row['title'], single_line=True)}")
    for label, key in (
        ("severity", "severity"),
        ("status", "status"),
        ("assignee", "assignee"),
        ("rule", "rule_name"),
        ("rule id", "rule_id"),
        ("source", "source"),
        ("profile", "profile"),
        ("index / id", None),
        ("fired", "fired_at"),
        ("ingested", "ingested_at"),
        ("host", "host"),
        ("user", "user_name"),
        ("source ip", "src_ip"),
        ("dest ip", "dst_ip"),
        ("risk score", "risk_score"),
        ("incident", "incident_id"),
        ("disposition", "disposition"),
        ("close reason", "close_reason"),
        ("override", "close_override"),
        ("duplicate of", "duplicate_of"),
    ):
        if key is None:
            field_line(label, f"{row['index_name'] or '-'} / {row['doc_id'] or '-'}")
        else:
            field_line(label, display_time(row[key]) if key.endswith("_at") and row[key] else row[key])
    field_line("duplicates", ", ".join(str(i) for i in queries.duplicates_of(c.ws, alert)))
    field_line("tactics", ", ".join(row["tactics"]))
    field_line("techniques", ", ".join(row["techniques"]))
    field_line("tags", ", ".join(row["tags"]))
    state = AlertState.fold(events)  # the acknowledge target is met by the first close too
    field_line(
        "ack target", due_text(row["ack_due"], state.responded_at if state else row["acknowledged_at"], now)
    )
    field_line("close target", due_text(row["close_due"], row["closed_at"], now))
    if row["playbook_id"]:
        click.echo(f"\nPlaybook {row['playbook_id']} (v{row['playbook_version']}):")
        pb = c.playbooks.get(row["playbook_id"])
        for step in row["playbook_steps"]:
            mark = "x" if step in row["steps_done"] else " "
            req = " (required)" if step in row["required_steps"] else ""
            title = pb.step(step).title if pb and pb.step(step) else ""  # type: ignore[union-attr]
            click.echo(f"  [{mark}] {step}{req}  {printable(title, single_line=True)}")
    click.echo("\nTimeline:")
    for e in events:
        click.echo(
            f"  {e.seq:>6}  {display_time(e.ts)}  {printable(e.actor, single_line=True):<12} {describe(e)}"
        )
    if show_raw:
        import json

        click.echo("\nRaw document:")
        click.echo(printable(json.dumps(raw, indent=2, sort_keys=True, ensure_ascii=False)))


@click.command("assign")
@click.argument("alert", type=ALERT_ID)
@click.argument("assignee", required=False)
@expect_option
@json_option
@pass_ctx
def assign_cmd(c: Context, alert: int, assignee: str | None, expect_seq: int | None, as_json: bool) -> None:
    """Assign an alert to ASSIGNEE (default: me)."""
    who = assignee or c.analyst
    emit_done(
        c.commands.assign(alert, who, expected_seq=expect_seq), as_json, f"alert {alert} assigned to {who}"
    )


@click.command("ack")
@click.argument("alerts", type=ALERT_ID, nargs=-1, required=True)
@expect_option
@json_option
@pass_ctx
def ack_cmd(c: Context, alerts: tuple[int, ...], expect_seq: int | None, as_json: bool) -> None:
    """Acknowledge one or more alerts (an unowned alert becomes mine)."""
    for alert in alerts:
        emit_done(
            c.commands.acknowledge(alert, expected_seq=expect_seq), as_json, f"alert {alert} acknowledged"
        )


def _read_text(text: str) -> str:
    return sys.stdin.read() if text == "-" else text


@click.command("note")
@click.argument("alert", type=ALERT_ID)
@click.argument("text")
@expect_option
@json_option
@pass_ctx
def note_cmd(c: Context, alert: int, text: str, expect_seq: int | None, as_json: bool) -> None:
    """Add a note to an alert (TEXT, or - to read it from standard input)."""
    emit_done(
        c.commands.note(alert, _read_text(text), expected_seq=expect_seq),
        as_json,
        f"note added to alert {alert}",
    )


@click.command("step")
@click.argument("alert", type=ALERT_ID)
@click.argument("step")
@click.option("--note", help="What was done or found.")
@expect_option
@json_option
@pass_ctx
def step_cmd(
    c: Context, alert: int, step: str, note: str | None, expect_seq: int | None, as_json: bool
) -> None:
    """Mark playbook STEP of an alert as done."""
    emit_done(
        c.commands.complete_step(alert, step, note=note, expected_seq=expect_seq),
        as_json,
        f"alert {alert}: step {step} done",
    )


@click.command("severity")
@click.argument("alerts", type=ALERT_ID, nargs=-1, required=True)
@click.argument("severity", type=SEVERITY)
@click.option("--reason", required=True, help="Why the severity changes.")
@expect_option
@json_option
@pass_ctx
def severity_cmd(
    c: Context, alerts: tuple[int, ...], severity: str, reason: str, expect_seq: int | None, as_json: bool
) -> None:
    """Change the severity of one or more alerts, one event each (their time targets follow)."""
    for alert in alerts:
        emit_done(
            c.commands.change_severity(alert, severity, reason, expected_seq=expect_seq),
            as_json,
            f"alert {alert} is now {severity}",
        )


@click.command("close")
@click.argument("alert", type=ALERT_ID)
@click.option("--disposition", "-d", type=DISPOSITION, required=True, help="What the alert turned out to be.")
@click.option("--reason", "-r", required=True, help="Why: what was found.")
@click.option(
    "--override",
    metavar="JUSTIFICATION",
    help="Close although required playbook steps are open; the justification is logged.",
)
@click.option(
    "--of",
    "duplicate_of",
    type=ALERT_ID,
    metavar="ALERT",
    help="With -d duplicate: the alert it duplicates (its steps are done there: no override needed).",
)
@expect_option
@json_option
@pass_ctx
def close_cmd(
    c: Context,
    alert: int,
    disposition: str,
    reason: str,
    override: str | None,
    duplicate_of: int | None,
    expect_seq: int | None,
    as_json: bool,
) -> None:
    """Close an alert with a disposition and a reason (a duplicate: --of the alert it repeats)."""
    event = c.commands.close(
        alert, disposition, reason, override=override, duplicate_of=duplicate_of, expected_seq=expect_seq
    )
    of = f" of {duplicate_of}" if duplicate_of is not None else ""
    emit_done(event, as_json, f"alert {alert} closed as {disposition}{of}")


@click.command("reopen")
@click.argument("alert", type=ALERT_ID)
@click.option("--reason", "-r", required=True, help="Why it is reopened.")
@json_option
@pass_ctx
def reopen_cmd(c: Context, alert: int, reason: str, as_json: bool) -> None:
    """Reopen a closed alert."""
    emit_done(c.commands.reopen(alert, reason), as_json, f"alert {alert} reopened")


COMMANDS = [
    show_cmd,
    assign_cmd,
    ack_cmd,
    note_cmd,
    step_cmd,
    severity_cmd,
    close_cmd,
    reopen_cmd,
]
