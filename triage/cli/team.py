"""A workspace for a team: doctor (is it set up right?), migrate (move it to another backend),
grants (the SQL a PostgreSQL administrator runs once)."""

from __future__ import annotations

import click

from triage.cli.context import Context, pass_ctx
from triage.cli.render import emit_json
from triage.errors import WorkspaceError
from triage.store import doctor
from triage.store.backend import is_postgres, pg_schema
from triage.store.transfer import copy_workspace
from triage.text import printable


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@pass_ctx
def doctor_cmd(c: Context, as_json: bool) -> None:
    """Check the workspace's setup for the role that connects: schema, triggers, privileges
    (PostgreSQL), journal mode and file mode (SQLite). Exits 1 when something is wrong."""
    found = doctor.check(c.ws)
    if as_json:
        emit_json({"ok": found.ok, "warnings": found.warnings, "problems": found.problems})
    else:
        for line in found.ok:
            click.echo(f"ok: {printable(line, single_line=True)}")
        for line in found.warnings:
            click.echo(f"warning: {printable(line, single_line=True)}")
        for line in found.problems:
            click.echo(f"problem: {printable(line, single_line=True)}")
    if not found.healthy:
        raise SystemExit(1)


@click.command("migrate")
@click.option(
    "--to",
    "target",
    required=True,
    help="The new workspace: a file that does not exist yet, or a postgresql:// URL of an empty schema.",
)
@pass_ctx
def migrate_cmd(c: Context, target: str) -> None:
    """Copy this workspace (its log, checkpoints and identity) into a new one on another backend,
    then rebuild the projections there: `triage migrate --to postgresql://triage@db/soc` moves a
    team over, `--to audit.db` hands an auditor a single file. Both verify; the heads are equal."""
    source = c.ws
    done = copy_workspace(source, target, progress=lambda m: click.echo(m, err=True))
    click.echo(
        f"copied {done.events:,} events and {done.checkpoints} checkpoints into {printable(done.target)};"
        f" head {done.head[0]} {done.head[1][:16]}… equals the source's"
    )


@click.command("grants")
@click.option(
    "--group", default="triage_analysts", show_default=True, help="The role analysts are members of."
)
@pass_ctx
def grants_cmd(c: Context, group: str) -> None:
    """Print the SQL that gives a team's roles what they need on a PostgreSQL workspace and no
    more: read everything, append to the log, keep the projections."""
    if not is_postgres(c.db_path) or c.ws.schema is None:
        raise WorkspaceError("grants are for a PostgreSQL workspace (--db postgresql://...)")
    click.echo(pg_schema.grants(c.ws.schema, group))


COMMANDS = [doctor_cmd, migrate_cmd, grants_cmd]
