"""``triage notify``: tell people about breaches, targets due soon, assignments, critical alerts
and escalations, through the ``[[notify]]`` targets of the config file."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from types import FrameType

import click

from triage.app.notify import Notifier
from triage.cli.context import Context, pass_ctx
from triage.cli.params import DURATION, json_option
from triage.cli.render import emit_json
from triage.clock import utc_now
from triage.commands import Commands
from triage.config import NotifyTarget
from triage.errors import ConfigError
from triage.store.workspace import Workspace
from triage.text import printable


def _say(message: str) -> None:
    stamp = utc_now().strftime("%H:%M:%SZ")
    click.echo(f"{stamp} {printable(message, single_line=True, limit=600)}", err=True)


def targets_of(c: Context, names: tuple[str, ...]) -> list[NotifyTarget]:
    targets = list(c.settings.notify)
    if not targets:
        raise ConfigError("no notify targets configured: add a [[notify]] table to the config file")
    if names:
        known = {t.name: t for t in targets}
        missing = [n for n in names if n not in known]
        if missing:
            raise ConfigError(
                f"no notify target named {missing[0]!r} in the config file (known: {', '.join(known)})"
            )
        targets = [known[n] for n in names]
    return targets


def notifier_thread(c: Context, stop: threading.Event, interval: float) -> threading.Thread:
    """The notifier beside the poller (``triage poll --notify``): its own connection, the same stop."""
    targets = targets_of(c, ())
    path, playbooks, actor = c.ws.location, c.playbooks, c.analyst

    def run() -> None:
        ws = Workspace.open(path)
        notifier = Notifier(targets, Commands(ws, playbooks, actor), report=_say, stop=stop)
        try:
            notifier.lock()
            notifier.run(interval)
        except Exception as exc:  # noqa: BLE001 - reported; the poller goes on
            _say(f"notify: stopped: {type(exc).__name__}: {exc}")
        finally:
            notifier.unlock()
            ws.close()

    thread = threading.Thread(target=run, name="notify", daemon=True)
    thread.start()
    return thread


@click.command("notify")
@click.option("--once", is_flag=True, help="One pass, then exit.")
@click.option(
    "--interval",
    type=DURATION,
    default="15s",
    show_default=True,
    help="Between passes.",
)
@click.option("--target", "names", multiple=True, help="Only this notify target (repeatable; default: all).")
@click.option(
    "--from-seq",
    type=click.IntRange(min=0),
    default=None,
    help="A target notifying for the first time starts after this event (default: the log's head now).",
)
@json_option
@pass_ctx
def notify_cmd(
    c: Context, once: bool, interval: timedelta, names: tuple[str, ...], from_seq: int | None, as_json: bool
) -> None:
    """Send the notifications the log and the alerts' targets call for, each once.

    Reads the log from each target's cursor (kept in the workspace); breaches and targets
    due soon come from the alerts' running targets. Every notification sent, or given up on
    after its retries, is an event in the log."""
    targets = targets_of(c, names)
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        _say(f"{signal.Signals(signum).name}: stopping after the notification in hand")
        stop.set()

    notifier = Notifier(targets, c.commands, report=_say, stop=stop, start_seq=from_seq)
    notifier.lock()
    previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if once:
            result = notifier.run_once()
            if as_json:
                emit_json({"sent": result.sent, "failed": result.failed, "events_read": result.events_read})
            else:
                for line in result.lines:
                    click.echo(printable(line, single_line=True))
                click.echo(result.summary())
            if result.failed:
                raise click.exceptions.Exit(1)
        else:
            notifier.run(interval.total_seconds())
    finally:
        notifier.unlock()
        for s, handler in previous.items():
            signal.signal(s, handler)


COMMANDS = [notify_cmd]
