"""``triage tui``: open the analyst's terminal app on the workspace."""

from __future__ import annotations

import io
import os
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from triage.cli.context import Context, pass_ctx
from triage.errors import ConfigError, TriageError
from triage.store.backend import DatabaseError

if TYPE_CHECKING:
    from textual.app import App

STYLESHEET = "app.tcss"  # TriageApp.CSS_PATH, shipped in the package next to triage/tui/app.py


class AppFailed(TriageError):
    """The terminal app stopped on an error it did not handle (a bug, or a broken install)."""

    exit_code = 70


def on_a_terminal(*streams: TextIO) -> bool:
    """Whether the app can run: Textual reads keys from stdin and draws on stderr. Commands
    that otherwise print (``demo``, ``tabletop run``) also pass stdout."""
    return all(stream.isatty() for stream in streams or (sys.stdin, sys.stdout, sys.stderr))


def check_terminal_app() -> None:
    """What the app needs before it takes over the screen: a terminal, and its stylesheet.

    Checked up front so a missing piece is one line on stderr and a non-zero exit, not a
    traceback printed by Textual after it has cleared and restored the screen."""
    if not on_a_terminal(sys.stdin, sys.stderr):
        raise ConfigError(
            "the terminal app needs a terminal: it reads keys from stdin and draws on stderr, "
            "and one of them is not a terminal (`triage alerts` prints the queue)"
        )
    sheet = resources.files("triage.tui").joinpath(STYLESHEET)
    if not sheet.is_file():
        raise ConfigError(
            f"{sheet}: the terminal app's stylesheet is missing from this installation of triage; "
            "reinstall it (pip or pipx install triage)"
        )


def run_guarded(app: App[None], *, headless: bool = False) -> None:
    """Run ``app``; if it stops on an unhandled error, raise it for ``main`` to print as one line.

    Textual catches such an error, restores the terminal, prints a traceback on stderr and
    returns normally, so the process would exit 0. Here its error output is kept aside (shown
    only with ``TRIAGE_DEBUG``) and the error is raised: a ``TriageError`` or an SQLite error
    keeps its own message and exit code, anything else becomes ``AppFailed`` (exit 70)."""
    from rich.console import Console

    kept = io.StringIO()
    app.error_console = Console(file=kept, markup=False, highlight=False, width=100)
    app.run(headless=headless)
    if not app.return_code:
        return
    if os.environ.get("TRIAGE_DEBUG"):
        sys.stderr.write(kept.getvalue())
    # Textual keeps the first unhandled error (its test pilot re-raises it the same way).
    error = getattr(app, "_exception", None)
    if isinstance(error, TriageError) or isinstance(error, DatabaseError):  # noqa: SIM101
        raise error
    if error is None:
        raise AppFailed(f"the terminal app stopped with exit code {app.return_code}")
    first = str(error).strip().splitlines()
    detail = f": {first[0]}" if first else ""
    raise AppFailed(
        f"the terminal app stopped on an error: {type(error).__name__}{detail} "
        "(set TRIAGE_DEBUG=1 for the traceback)"
    ) from error


def run_app(c: Context, *, screenshots: Path | None = None) -> None:
    """Build the app from the context's parts and run it until the analyst quits.

    Screenshots go to ``screenshots`` in the config file, else to ``screenshots`` (the demo:
    the current folder), else to the workspace's folder."""
    ws, commands, playbooks, analyst = c.ws, c.commands, c.playbooks, c.analyst  # each can refuse
    check_terminal_app()
    from triage.clock import utc_now
    from triage.config import SavedViews, default_config_path
    from triage.tui import TriageApp  # Textual is loaded only when the app runs

    views = SavedViews(Path(c.config_option) if c.config_option else default_config_path())
    max_days = c.settings.suppression_max_days
    shots = c.settings.screenshots or screenshots
    run_guarded(
        TriageApp(
            ws,
            commands,
            playbooks,
            analyst,
            utc_now,
            views=views,
            suppression_max_days=max_days,
            screenshots=shots,
        )
    )


@click.command("tui")
@pass_ctx
def tui_cmd(c: Context) -> None:
    """Open the terminal app: queue, alert detail, playbooks, incidents (? for keys)."""
    run_app(c)


COMMANDS = [tui_cmd]
