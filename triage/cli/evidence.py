"""Evidence commands: export a month's pack, record management's sign-off, verify a pack."""

from __future__ import annotations

from pathlib import Path

import click

from triage.app import integrity
from triage.cli.context import Context, pass_ctx
from triage.cli.params import json_option, signing_key_option
from triage.cli.render import emit_json, emit_report
from triage.errors import CommandRejected
from triage.evidence import ExportRequest, export_pack, parse_month, verify_pack
from triage.store import anchor as anchoring
from triage.text import printable

month_option = click.option("--month", required=True, help="Calendar month, YYYY-MM (e.g. 2026-10).")


@click.group("evidence")
def evidence_group() -> None:
    """Monthly evidence for the auditor: export a signed pack, sign it off, verify it."""


@evidence_group.command("export")
@month_option
@click.option("--out", "out_dir", help="Pack directory to create (default: ./evidence-YYYY-MM).")
@click.option(
    "--zip",
    "make_zip",
    is_flag=True,
    help="Write one zip file (OUT.zip), every file deflated, instead of a directory: the form to hand over.",
)
@signing_key_option("Private signing key (default: the configured signing_key).")
@click.option(
    "--exercises-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where exercise minutes are kept; the month's minutes are copied into the pack.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress messages on stderr.")
@json_option
@pass_ctx
def export_cmd(
    c: Context,
    month: str,
    out_dir: str | None,
    make_zip: bool,
    key_path: str | None,
    exercises_dir: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Write the evidence pack of one calendar month (in the configured time zone).

    The pack holds the month's alerts, investigation log with hashes, incidents,
    metrics, exercises and sign-offs, a report in HTML and Markdown, and a manifest of
    SHA-256 hashes signed with the key that signs the checkpoints. Figures are as the
    log stood at month end.
    """
    year, mon = parse_month(month)
    label = f"{year:04d}-{mon:02d}"
    if c.ws.head()[0] == 0:
        raise CommandRejected("the workspace has no events yet: there is no evidence to export")
    key = integrity.signing_key(c.settings, key_path)
    anchors = integrity.default_anchor_file(c.settings, c.db_path)
    result = export_pack(
        c.ws,
        ExportRequest(
            month=label,
            out=Path(out_dir).expanduser() if out_dir else Path(f"evidence-{label}"),
            key=key,
            actor=c.analyst,
            timezone=c.settings.timezone,
            make_zip=make_zip,
            exercises_dir=exercises_dir,
            anchor_files=[anchors],
            progress=None if quiet else (lambda msg: click.echo(f"triage: {msg}", err=True)),
        ),
    )
    if as_json:
        emit_json({k: str(v) if isinstance(v, Path) else v for k, v in vars(result).items()})
    else:
        alerts = f"{result.alerts} alerts" if result.alerts else "no alerts"
        click.echo(
            f"evidence {result.month}: {alerts}, {result.events} log events,"
            f" {result.backlog} open at month end, {result.breaches} target breaches;"
            f" {result.files} files -> {printable(result.path)}"
        )
        if not result.chain_ok:
            click.echo("WARNING: the investigation log does not verify; see verification.json", err=True)
    if not result.chain_ok:
        raise click.exceptions.Exit(1)


@evidence_group.command("sign")
@month_option
@click.option("--statement", required=True, help="What management attests, in its own words.")
@json_option
@pass_ctx
def sign_cmd(c: Context, month: str, statement: str, as_json: bool) -> None:
    """Record management's sign-off of a month's evidence as an event in the log.

    Export the pack again afterwards: it shows who signed, when and what.
    """
    event = c.commands.sign_evidence(month, statement, timezone=c.settings.timezone)
    if as_json:
        emit_json(event.as_dict())
    else:
        click.echo(f"{event.payload['month']} signed off by {printable(event.actor)} (event {event.seq})")


@evidence_group.command("verify")
@click.argument("pack", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The public key (PEM) you obtained from us separately; without it only the key in the pack is used.",
)
@json_option
def verify_cmd(pack: Path, public_key: Path | None, as_json: bool) -> None:
    """Verify an evidence PACK (directory or zip): file hashes, signatures, the log's chain.

    Prints every problem and exits 1 if there is any. Needs no workspace.
    """
    trusted = anchoring.load_public_key(public_key) if public_key else None
    emit_report(verify_pack(pack, trusted), as_json)


COMMANDS = [evidence_group]
