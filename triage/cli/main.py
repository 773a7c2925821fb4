"""The ``triage`` command line: a thin shell over the command layer and the queries."""

from __future__ import annotations

import os
import sys

import click

from triage import __version__
from triage.cli import (
    admin,
    alerts,
    evidence,
    incidents,
    listing,
    notify,
    shift,
    sources,
    suppress,
    tabletop,
    team,
    tui,
)
from triage.cli.context import Context
from triage.cli.usage import global_option_hint
from triage.errors import TriageError
from triage.store.backend import DatabaseError
from triage.text import printable


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--db",
    envvar=None,
    help="Workspace: a file or a postgresql:// URL (default: $TRIAGE_DB, the config file, then per-user).",
)
@click.option(
    "--analyst", help="Who is acting (default: $TRIAGE_ANALYST, the config file, then the OS user)."
)
@click.option(
    "--config", "config_path", help="Config file (default: $TRIAGE_CONFIG or ~/.config/triage/config.toml)."
)
@click.option("--playbooks", "playbooks_dir", help="Playbook directory (default: the bundled playbooks).")
@click.version_option(__version__, prog_name="triage")
@click.pass_context
def cli(
    ctx: click.Context,
    db: str | None,
    analyst: str | None,
    config_path: str | None,
    playbooks_dir: str | None,
) -> None:
    """Triage SIEM alerts with a tamper-evident investigation log.

    Every action is an event in an append-only, hash-chained log; alert and
    incident state is derived from it. Start with `triage init`, then
    `triage ingest FILE`, `triage alerts`, and `triage verify`.
    """
    obj = Context(
        db_option=db, analyst_option=analyst, config_option=config_path, playbooks_option=playbooks_dir
    )
    ctx.obj = obj
    ctx.call_on_close(obj.close)


for module in (
    admin,
    listing,
    alerts,
    incidents,
    sources,
    notify,
    suppress,
    evidence,
    tabletop,
    shift,
    team,
    tui,
):
    for command in module.COMMANDS:
        cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: errors are one clear line and an exit code, never a traceback."""
    debug = bool(os.environ.get("TRIAGE_DEBUG"))
    try:
        # Without standalone mode click returns the code of an Exit instead of exiting.
        code = cli.main(args=argv, prog_name="triage", standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except click.exceptions.Abort:
        click.echo("triage: aborted", err=True)
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as exc:
        # `triage` (or `triage evidence`) alone asks for the help: not an error.
        click.echo(exc.ctx.get_help(), color=exc.ctx.color)
        sys.exit(0)
    except click.NoSuchOption as exc:
        exc.message = global_option_hint(cli, exc, sys.argv[1:] if argv is None else argv) or exc.message
        exc.show()
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except TriageError as exc:
        lines = str(exc).splitlines() or [type(exc).__name__]
        for problem in getattr(exc, "problems", None) or lines:
            click.echo(f"triage: error: {printable(problem, single_line=True)}", err=True)
        sys.exit(exc.exit_code)
    except DatabaseError as exc:
        if debug:
            raise
        click.echo(f"triage: error: workspace database: {printable(exc, single_line=True)}", err=True)
        sys.exit(2)
    except BrokenPipeError:
        # Output piped into `head` and friends: not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except KeyboardInterrupt:
        click.echo("triage: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        click.echo(
            f"triage: internal error: {type(exc).__name__}: {printable(exc, single_line=True)}"
            " (set TRIAGE_DEBUG=1 for details)",
            err=True,
        )
        sys.exit(70)
