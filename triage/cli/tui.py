"""``triage tui``: open the analyst's terminal app on the workspace."""

from __future__ import annotations

import click

from triage.cli.context import Context, pass_ctx


def run_app(c: Context) -> None:
    """Build the app from the context's parts and run it until the analyst quits."""
    from triage.clock import utc_now
    from triage.tui import TriageApp  # Textual is loaded only when the app runs

    app = TriageApp(c.ws, c.commands, c.playbooks, c.analyst, utc_now)
    app.run()


@click.command("tui")
@pass_ctx
def tui_cmd(c: Context) -> None:
    """Open the terminal app: queue, alert detail, playbooks, incidents (? for keys)."""
    run_app(c)


COMMANDS = [tui_cmd]
