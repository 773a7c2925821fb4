"""Live sources: ``triage poll`` and ``triage sources``."""

from __future__ import annotations

import signal
import threading
import time
from datetime import UTC, datetime
from types import FrameType

import click

from triage import queries
from triage.app.poller import PassResult, Poller
from triage.cli.context import Context, pass_ctx
from triage.cli.params import json_option
from triage.cli.render import emit_json, table
from triage.clock import display_time, utc_now
from triage.errors import ConfigError, SourceError
from triage.text import printable


def _say(message: str) -> None:
    stamp = utc_now().strftime("%H:%M:%SZ")
    click.echo(f"{stamp} {printable(message, single_line=True, limit=600)}", err=True)


@click.command("poll")
@click.option("--once", is_flag=True, help="One pass over each source, then exit (non-zero on a fault).")
@click.option("--source", "names", multiple=True, help="Only this source (repeatable; default: all).")
@click.option(
    "--notify",
    "with_notify",
    is_flag=True,
    help="Also send the [[notify]] notifications.",
)
@json_option
@pass_ctx
def poll_cmd(c: Context, once: bool, names: tuple[str, ...], with_notify: bool, as_json: bool) -> None:
    """Ingest alerts from the Elasticsearch and OpenSearch sources in the config file.

    Runs until Ctrl-C or SIGTERM, which stop it cleanly after the batch in hand.
    Each page of alerts is committed together with the source's cursor, so a
    restart resumes where it stopped; an alert seen again is not stored twice.
    Server faults are retried with capped exponential backoff. With --once, a
    fault (server down, bad credentials, missing index) exits non-zero.
    """
    configs = [c.settings.source(n) for n in names] if names else list(c.settings.sources)
    if not configs:
        raise ConfigError(
            "no sources configured: add a [[sources]] table to the config file (see `triage sources --help`)"
        )
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        _say(f"{signal.Signals(signum).name}: stopping after the current batch")
        stop.set()

    previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    pollers = [Poller(cfg, c.commands, report=_say, stop=stop) for cfg in configs]
    results: list[PassResult] = []
    quarantined = 0
    notifying = None
    if with_notify and not once:
        from triage.cli.notify import notifier_thread

        notifying = notifier_thread(c, stop, NOTIFY_INTERVAL_S)
    try:
        if once:
            for poller in pollers:
                result = poller.once()
                results.append(result)
                quarantined += result.ingest.quarantined
                if not as_json:
                    _say(result.line())
                for problem in result.ingest.problems:
                    _say(f"quarantined: {problem}")
            if with_notify:
                _notify_once(c)
        else:
            _run_all(pollers, stop)
    finally:
        if notifying is not None:
            stop.set()
            notifying.join(timeout=30)
        for poller in pollers:
            poller.close()
        for s, handler in previous.items():
            signal.signal(s, handler)
    if as_json and once:
        emit_json(
            [
                {
                    "source": r.source,
                    **r.ingest.as_dict(),
                    "hits": r.hits,
                    "pages": r.pages,
                    "cursor_ms": r.cursor_ms,
                    "seconds": round(r.seconds, 3),
                }
                for r in results
            ]
        )
    if quarantined:
        raise click.exceptions.Exit(1)


NOTIFY_INTERVAL_S = 5.0


def _notify_once(c: Context) -> None:
    from triage.app.notify import Notifier
    from triage.cli.notify import targets_of

    notifier = Notifier(targets_of(c, ()), c.commands, report=_say)
    notifier.lock()
    try:
        _say(f"notify: {notifier.run_once().summary()}")
    finally:
        notifier.unlock()


def _run_all(pollers: list[Poller], stop: threading.Event) -> None:
    """Each source in its own thread with its own workspace connection."""
    if len(pollers) == 1:
        pollers[0].run()
        return
    threads = []
    for poller in pollers:
        t = threading.Thread(target=_run_one, args=(poller,), name=f"poll-{poller.cfg.name}", daemon=True)
        t.start()
        threads.append(t)
    while any(t.is_alive() for t in threads):
        time.sleep(0.2)


def _run_one(poller: Poller) -> None:
    from triage.commands import Commands
    from triage.store.workspace import Workspace

    ws = Workspace.open(poller.ws.location)
    try:
        own = Poller(
            poller.cfg,
            Commands(ws, poller.commands.playbooks, poller.commands.actor),
            backend=poller.backend,
            report=poller.report,
            stop=poller.stop,
        )
        own.run()
    except SourceError as exc:
        _say(str(exc))
    finally:
        ws.close()


@click.command("sources")
@json_option
@pass_ctx
def sources_cmd(c: Context, as_json: bool) -> None:
    """The configured sources, their cursors and the poller's health.

    Sources are [[sources]] tables in the config file, for example:

    \b
      [[sources]]
      name = "elastic-prod"
      kind = "elasticsearch"            # or "opensearch"
      urls = ["https://es1.internal:9200"]
      index = ".alerts-security.alerts-*"
      api_key_env = "TRIAGE_ES_API_KEY" # or username + password_env,
                                        # bearer_token_env, credentials_file
      ca_certs = "/etc/ssl/internal-ca.pem"
      interval = 30                     # seconds between passes
      lookback = 300                    # seconds re-read for late alerts
    """
    health = queries.source_health(c.ws)
    rows = []
    for cfg in c.settings.sources:
        h = health.get(cfg.name, {})
        rows.append(
            {
                "name": cfg.name,
                "kind": cfg.kind,
                "index": cfg.index,
                "cursor": _ms(h.get("cursor_ms")),
                "ingested": h.get("ingested", 0),
                "quarantined": h.get("quarantined", 0),
                "last_pass_at": h.get("last_pass_at"),
                "state": h.get("state", "never polled"),
                "lag_s": h.get("lag_s"),
                "last_error": h.get("last_error"),
            }
        )
    if as_json:
        emit_json(rows)
        return
    table(
        [
            [
                r["name"],
                r["kind"],
                r["index"],
                display_time(r["cursor"]),
                r["ingested"],
                r["state"],
                f"{r['lag_s']:.0f}s" if r["lag_s"] is not None else "-",
                r["last_error"] or "",
            ]
            for r in rows
        ],
        ["NAME", "KIND", "INDEX", "CURSOR", "INGESTED", "STATE", "LAG", "LAST ERROR"],
        widths={7: 80},
    )


def _ms(value: int | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


COMMANDS = [poll_cmd, sources_cmd]
