"""Workspace commands: init, ingest, log, verify, anchor, keygen, rebuild, playbooks, demo."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from triage import queries
from triage.app import integrity
from triage.cli.context import Context, pass_ctx
from triage.cli.inputs import IngestRun, ingest_paths
from triage.cli.params import ALERT_ID, INCIDENT_ID, RenamedOption, json_option, signing_key_option
from triage.cli.render import describe, emit_json, emit_report, table
from triage.cli.tui import on_a_terminal, run_app
from triage.clock import display_time, format_ts, parse_time
from triage.commands import IngestResult
from triage.config import bundled
from triage.errors import InputError
from triage.mapping import PROFILES
from triage.sources.files import FileSource
from triage.store.backend import pg_schema
from triage.store.workspace import Workspace
from triage.text import printable


@click.command("init")
@pass_ctx
def init_cmd(c: Context) -> None:
    """Create a new, empty workspace."""
    ws = Workspace.create(c.db_path)
    c.cleanup.append(ws)
    click.echo(f"created workspace {ws.id} at {printable(ws.display)}")
    if ws.schema is not None:
        click.echo(
            "\nA team's roles need these privileges (run once as the workspace's owner;"
            " `triage grants` prints them again, `triage doctor` checks them):\n"
        )
        click.echo(pg_schema.grants(ws.schema))


def _print_ingest(result: IngestResult, as_json: bool, run: IngestRun | None = None) -> None:
    if as_json:
        emit_json(run.as_dict() if run is not None else result.as_dict())
        return
    for error in run.errors if run is not None else ():
        click.echo(f"triage: error: {printable(str(error), single_line=True, limit=400)}", err=True)
    for problem in result.problems:
        click.echo(f"quarantined: {printable(problem, single_line=True, limit=400)}", err=True)
    for collided in result.collided:
        click.echo(f"collision: {printable(collided, single_line=True, limit=400)}", err=True)
    for note in run.notes if run is not None else ():
        click.echo(f"note: {printable(note, single_line=True, limit=400)}", err=True)
    if result.quarantined_before:
        n = result.quarantined_before
        were = "record was" if n == 1 else "records were"
        click.echo(f"note: {n} {were} quarantined before (triage quarantine lists them)", err=True)
    click.echo(result.summary())


@click.command("ingest")
@click.argument("files", nargs=-1, required=True)
@click.option(
    "-r",
    "--recursive",
    is_flag=True,
    help="Ingest the *.json, *.ndjson and *.jsonl files in directories, at any depth, in sorted order.",
)
@click.option(
    "--profile",
    type=click.Choice(["auto", *PROFILES]),
    default="auto",
    show_default=True,
    help="Field-mapping profile; auto chooses per document.",
)
@click.option("--source", help="Source name recorded on the alerts (default: the file name).")
@json_option
@pass_ctx
def ingest_cmd(
    c: Context, files: tuple[str, ...], recursive: bool, profile: str, source: str | None, as_json: bool
) -> None:
    """Ingest recorded alerts from FILES (NDJSON, a JSON array, search hits; - for stdin).

    The same alert twice is stored once. Lines or documents that cannot be read or
    mapped are quarantined with their location and reason. Every file is processed: one
    that cannot be read (or a directory, without --recursive) is reported and the rest go
    on. The summary line always prints; the exit code is 1 if a file could not be read or
    a record is quarantined (now or before), else 0.
    """
    run = ingest_paths(c.commands, files, recursive=recursive, source=source, profile=profile)
    _print_ingest(run.result, as_json, run)
    if not run.ok:
        raise click.exceptions.Exit(1)


@click.command("quarantine")
@json_option
@pass_ctx
def quarantine_cmd(c: Context, as_json: bool) -> None:
    """List input that was quarantined, with where it came from and why."""
    rows = queries.list_quarantine(c.ws)
    if as_json:
        for r in rows:
            ev = c.ws.event(r["seq"])
            r["raw"] = ev.payload.get("raw") if ev else None
        emit_json(rows)
        return
    table(
        [[r["id"], display_time(r["ts"]), r["origin"], r["location"], r["reason"]] for r in rows],
        ["ID", "WHEN", "ORIGIN", "WHERE", "REASON"],
        widths={2: 40, 4: 100},
    )


def _ts_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A time option's value as a stored timestamp; an error names the option with an example."""
    if value is None:
        return None
    try:
        return format_ts(parse_time(value))
    except ValueError:
        name = param.opts[0] if param.opts else param.name
        raise click.BadParameter(
            f"{value!r} is not a date or time (e.g. {name} 2026-10-01 or {name} 2026-10-01T12:00Z)",
            ctx=ctx,
            param=param,
        ) from None


@click.command("log")
@click.option("--alert", type=ALERT_ID, help="Only events about this alert.")
@click.option("--incident", type=INCIDENT_ID, help="Only events about this incident.")
@click.option("--since", callback=_ts_option, help="From this UTC time (inclusive), e.g. 2026-10-01.")
@click.option("--until", callback=_ts_option, help="Up to this UTC time (exclusive), e.g. 2026-10-01T12:00Z.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many events.")
@json_option
@pass_ctx
def log_cmd(
    c: Context,
    alert: int | None,
    incident: int | None,
    since: str | None,
    until: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """Print the investigation log (JSON Lines with --json)."""
    ref = (
        f"alert:{alert}" if alert is not None else (f"incident:{incident}" if incident is not None else None)
    )
    for e in c.ws.events(ref=ref, since=since, until=until, limit=limit):
        if as_json:
            import json

            click.echo(json.dumps(e.as_dict(), sort_keys=True))
        else:
            click.echo(
                f"{e.seq:>7}  {display_time(e.ts)}  {printable(e.actor, single_line=True):<12} "
                f"{printable(e.target, single_line=True):<14} {describe(e)}  {e.hash[:12]}"
            )


@click.command("verify")
@click.option(
    "--anchor-file",
    "--anchors",
    "anchor_files",
    cls=RenamedOption,
    old=("--anchors",),
    multiple=True,
    help="Anchor file with signed checkpoints; repeatable (default: the configured anchor_file, if any).",
)
@click.option(
    "--public-key",
    help="The trusted public key (PEM) that signed the checkpoints (default: the configured public_key, "
    "else the .pub beside the signing key).",
)
@json_option
@pass_ctx
def verify_cmd(c: Context, anchor_files: tuple[str, ...], public_key: str | None, as_json: bool) -> None:
    """Recompute the hash chain and check it against the signed checkpoints.

    Reports every problem with its event sequence number, then a summary, and
    exits 1 if anything is wrong.
    """
    report = integrity.verify(
        c.ws,
        c.settings,
        c.db_path,
        anchor_files=[Path(f) for f in anchor_files],
        public_key=Path(public_key) if public_key else None,
    )
    emit_report(report, as_json)


@click.command("keygen")
@signing_key_option("Where to write the private key (default: the configured signing_key).")
@pass_ctx
def keygen_cmd(c: Context, key_path: str | None) -> None:
    """Create the Ed25519 key that signs checkpoints (keep it outside the workspace)."""
    path, pub = integrity.keygen(c.settings, key_path)
    click.echo(f"private key: {printable(path)} (mode 0600)\npublic key:  {printable(pub)}")


@click.command("anchor")
@signing_key_option("Private signing key (default: the configured signing_key).")
@click.option(
    "--anchor-file",
    "--out",
    "out_path",
    cls=RenamedOption,
    old=("--out",),
    help="Anchor file to append to (default: the configured anchor_file).",
)
@json_option
@pass_ctx
def anchor_cmd(c: Context, key_path: str | None, out_path: str | None, as_json: bool) -> None:
    """Sign the current chain head and append the checkpoint to the anchor file.

    Ship the anchor file off this host (or run this from a host that has the key):
    it is what proves the log was not rolled back or rewritten.
    """
    done = integrity.anchor(lambda: c.ws, c.settings, c.db_path, key_path=key_path, anchor_file=out_path)
    record, target = done.record, done.anchor_file
    if as_json:
        emit_json(record)
    else:
        click.echo(
            f"checkpoint {record['n']}: event {record['seq']} head {record['head'][:16]} "
            f"at {record['time']} -> {printable(target)}"
        )


@click.command("rebuild")
@click.option("--check", is_flag=True, help="Only check that a rebuild gives the same state; change nothing.")
@pass_ctx
def rebuild_cmd(c: Context, check: bool) -> None:
    """Rebuild alert and incident state from the log alone."""
    n, same = c.ws.rebuild(dry_run=check)
    click.echo(
        f"replayed {n} events; rebuilt state is {'identical' if same else 'DIFFERENT'} to the stored state"
    )
    if check and not same:
        raise click.exceptions.Exit(1)


@click.command("playbooks")
@json_option
@pass_ctx
def playbooks_cmd(c: Context, as_json: bool) -> None:
    """List (and validate) the playbooks in force."""
    pbs = sorted(c.playbooks.playbooks.values(), key=lambda p: (-p.priority, p.id))
    if as_json:
        emit_json([p.model_dump(mode="json") for p in pbs])
        return
    table(
        [[p.id, p.priority, len(p.steps), ", ".join(p.required_steps), p.title] for p in pbs],
        ["ID", "PRIORITY", "STEPS", "REQUIRED", "TITLE"],
    )


@click.command("demo")
@click.option("--keep", is_flag=True, help="Keep the demo workspace and print where it is.")
@click.option(
    "--print",
    "--no-tui",
    "print_queue",
    is_flag=True,
    help="Print the queue instead of opening the terminal app (the default when not on a terminal).",
)
@pass_ctx
def demo_cmd(c: Context, keep: bool, print_queue: bool) -> None:
    """Load the bundled sample alerts into a throw-away workspace and open the terminal app on it."""
    from triage.cli.listing import alerts_cmd
    from triage.commands import Commands

    samples = bundled("sample_logs")
    files = sorted(p for p in samples.glob("*") if p.suffix in (".json", ".ndjson"))
    if not files:
        raise InputError(f"{samples}: no sample alert files (*.json, *.ndjson) to load")
    tmp = Path(tempfile.mkdtemp(prefix="triage-demo-"))
    if not keep:
        import shutil

        click.get_current_context().call_on_close(lambda: shutil.rmtree(tmp, ignore_errors=True))
    ws = Workspace.create(tmp / "demo.db")
    c.cleanup.append(ws)
    c.db_option = str(tmp / "demo.db")  # whatever workspace is configured, the demo is its own
    c._ws = ws
    commands = Commands(ws, c.playbooks, c.analyst)
    total = IngestResult()
    for path in files:
        total.add(commands.ingest_records(FileSource(str(path)).records()))
    c._commands = commands
    interactive = on_a_terminal()
    if not print_queue and interactive:
        run_app(c, screenshots=None if keep else Path.cwd())  # not in the folder removed at exit
    click.echo(f"demo workspace: {tmp / 'demo.db'}" if keep else "demo workspace (temporary)")
    _print_ingest(total, False)
    if print_queue or not interactive:
        click.get_current_context().invoke(alerts_cmd, status="open", severities=(), limit=40)


COMMANDS = [
    init_cmd,
    ingest_cmd,
    quarantine_cmd,
    log_cmd,
    verify_cmd,
    keygen_cmd,
    anchor_cmd,
    rebuild_cmd,
    playbooks_cmd,
    demo_cmd,
]
