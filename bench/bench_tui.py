#!/usr/bin/env python
"""Terminal app benchmark: the queue over a workspace of 100,000 alerts, driven headless.

Builds a real workspace through the command layer (Commands.ingest, then a few thousand
acknowledgements and closes), then runs the app headless with Textual's Pilot at 120x36
and prints, each against its aim:

  first paint   App built and started until the queue's rows are rendered
                (includes Textual's own start-up)
  filter        a severity filter, a status view, the `mine` view (an analyst's open alerts),
                a query by host (an index), a free word (a substring of title and rule over
                every row)
  sort          by host, by title, by time target
  detail        an alert's detail screen open and rendered (title, fields, checklist and
                notes: the first tab), for alerts at both ends and the middle of the table, one
                with a long timeline (LONG_TIMELINE notes) and one with a big raw document
                (BIG_RAW fields)
  tab           the detail's other tabs, each built the first time it is shown: the raw tree
                of the big document, the long timeline, the related alerts
  peak RSS      of the process that ran the app (ru_maxrss)

Each timing ends when the screen and its widgets have handled every pending message and the
whole screen has been rendered to strips (what the driver then writes to the terminal).
Filters, sorts, details and tabs are each the median of ROUNDS rounds (a shared machine's
noise moves single timings by half); the first alert opened, which builds the detail screen
that later alerts are shown on, is timed on its own.
The baseline, measured in the same run in a separate process: Textual's built-in DataTable
loaded with every row of the same queue (first paint and peak RSS), what a table that holds
all rows costs.

    .venv/bin/python bench/bench_tui.py                 # 100,000 alerts
    .venv/bin/python bench/bench_tui.py --alerts 10000  # smaller
    .venv/bin/python bench/bench_tui.py --quick         # smoke run: 5,000 alerts, no baseline
    .venv/bin/python bench/bench_tui.py --workspace ws.db   # reuse (or keep) a built workspace
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from anywhere, even without the editable install
    sys.path.insert(0, str(ROOT))

from triage.commands import Commands  # noqa: E402
from triage.config import bundled  # noqa: E402
from triage.domain.alert import Alert  # noqa: E402
from triage.playbooks import PlaybookSet  # noqa: E402
from triage.store.workspace import Workspace  # noqa: E402

AIMS = {"first paint": 1.0, "filter": 0.100, "sort": 0.100, "detail": 0.100, "tab": 0.100}
AIM_RSS_MB = 300
SIZE = (120, 36)
ROUNDS = 3  # filters, sorts, details and tabs: the median of this many rounds
RULES = [
    ("SSH Brute Force", ["T1110"]),
    ("Malware Detected on Endpoint", ["T1204"]),
    ("IAM Access Key Created", ["T1098.001"]),
    ("Large Upload to Cloud Storage", ["T1567"]),
    ("Suspicious Email Link Clicked", ["T1566"]),
    ("Sudo to Root by New User", ["T1548"]),
    ("Port Scan from External Host", ["T1046"]),
    ("Unusual Process Tree", []),
]
LONG_TIMELINE = 400  # notes on one alert: its timeline and notes
BIG_RAW = 4000  # fields in one alert's raw document
SEVERITIES = ["critical", "high", "high", "medium", "medium", "medium", "low", "low", "informational"]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def big_raw(i: int) -> dict[str, Any]:
    """A document of BIG_RAW fields in nested groups, some values long (a big EDR event)."""
    groups = {f"group{g:02d}": {f"field{f:03d}": f"value {g}.{f} " * (1 + f % 7) for f in range(100)}
              for g in range(BIG_RAW // 100)}  # fmt: skip
    return {"n": i, "event": {"kind": "alert"}, "process": groups, "message": "x" * 20_000}


def build(path: Path, n: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    playbooks = PlaybookSet.from_directory(bundled("playbooks"))
    ws = Workspace.create(path)
    cmds = Commands(ws, playbooks, "poller")
    t0 = time.perf_counter()
    start = datetime(2026, 9, 1, tzinfo=UTC)
    batch: list[Alert] = []
    for i in range(n):
        rule, techniques = rnd.choice(RULES)
        batch.append(
            Alert(
                source="bench",
                profile="ecs",
                index="alerts-bench",
                doc_id=f"bench-{i}",
                rule_name=rule,
                rule_id=f"rule-{RULES.index((rule, techniques))}",
                title=rule,
                severity=rnd.choice(SEVERITIES),  # type: ignore[arg-type]
                fired_at=start + timedelta(seconds=rnd.randrange(30 * 86400)),
                host=f"host-{rnd.randrange(500):03d}",
                user=f"user{rnd.randrange(300)}",
                src_ip=f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}",
                techniques=tuple(techniques),
                raw=big_raw(i)
                if i == n // 3
                else {"n": i, "event": {"kind": "alert"}, "rule": {"name": rule}, "message": f"alert {i}"},
            )
        )
        if len(batch) == 5000:
            cmds.ingest(batch)
            batch = []
    if batch:
        cmds.ingest(batch)
    log(f"ingested {n} alerts in {time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    analysts = [Commands(ws, playbooks, name) for name in ("alice", "bob", "carol")]
    for alert_id in rnd.sample(range(1, n + 1), min(n // 100, 1000)):
        rnd.choice(analysts).acknowledge(alert_id)
    for alert_id in rnd.sample(range(1, n + 1), min(n // 300, 300)):
        row = ws.conn.execute("SELECT status FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        if row[0] != "closed":
            rnd.choice(analysts).close(alert_id, "false_positive", "bench noise", override="bench")
    log(f"acknowledged and closed a few thousand in {time.perf_counter() - t0:.1f}s")
    long_id = n // 4 or 1
    for k in range(LONG_TIMELINE):
        analysts[k % 3].note(long_id, f"note {k}: checked the host's process list\nnothing new there")
    ws.close()


def special_alerts(conn: Any) -> dict[str, int]:
    """The alert with the longest timeline and the one with the biggest raw document."""
    long_id = conn.execute("SELECT id FROM alerts ORDER BY notes DESC, id LIMIT 1").fetchone()[0]
    big = conn.execute(
        "SELECT a.id FROM alerts a JOIN events e ON e.seq = a.ingest_seq ORDER BY length(e.body) DESC LIMIT 1"
    ).fetchone()[0]
    return {"long timeline": int(long_id), "big raw": int(big)}


def medians(rounds: list[dict[str, dict[str, float]]], group: str) -> dict[str, float]:
    return {name: statistics.median(r[group][name] for r in rounds) for name in rounds[0][group]}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(path: Path) -> dict[str, Any]:
    from triage.queue import QueueView
    from triage.tui import TriageApp
    from triage.tui.messages import AlertChosen
    from triage.tui.screens.alert_detail import AlertDetailScreen
    from triage.tui.screens.queue import QueueScreen
    from triage.tui.widgets.alert_table import AlertTable

    playbooks = PlaybookSet.from_directory(bundled("playbooks"))
    now = datetime(2026, 10, 1, tzinfo=UTC)
    rss_before = rss_mb()
    t0 = time.perf_counter()
    ws = Workspace.open(path)
    app = TriageApp(ws, Commands(ws, playbooks, "alice"), playbooks, "alice", lambda: now, poll_interval=0)
    out: dict[str, Any] = {"rss_before_app_mb": rss_before}
    async with app.run_test(size=SIZE) as pilot:

        async def painted() -> None:
            await pilot._wait_for_screen()  # every pending message handled (no idle-CPU heuristics)
            app.screen._compositor.render_strips()

        await painted()
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.query_one("#alerts", AlertTable)
        out["first paint"] = time.perf_counter() - t0
        out["rows"] = table.count
        assert table.fetches >= 1 and table.count > 0

        async def timed(change: QueueView) -> float:
            t = time.perf_counter()
            screen.set_view(change)
            await painted()
            return time.perf_counter() - t

        base = screen.view
        filters = {
            "severity=high": base.with_(severity="high"),
            "status=closed": base.with_(status="closed"),
            "mine (alice's open alerts)": base.with_(status="mine"),
            "query host:host-042": base.with_(text="host:host-042"),
            "free word: brute": base.with_(text="brute"),
            'free words: "upload to cloud"': base.with_(text='"upload to cloud"'),
            "back to open": base,
        }
        sorts = {name: base.sorted_by(name) for name in ("host", "title", "due", "age")}
        # Each round asks for every view again; the queue keeps the matches of one query only,
        # so each query is read anew in every round.
        rounds: list[dict[str, dict[str, float]]] = []
        for _ in range(ROUNDS):
            f = {name: await timed(view) for name, view in filters.items()}
            rounds.append({"filter": f, "sort": {name: await timed(view) for name, view in sorts.items()}})
        for group in ("filter", "sort"):
            out[group] = {
                name: statistics.median(r[group][name] for r in rounds) for name in rounds[0][group]
            }
        t = time.perf_counter()
        table.action_jump(-1)  # the far end of the queue: a deep OFFSET
        await painted()
        out["jump to last row"] = time.perf_counter() - t

        async def opened(alert_id: int) -> float:
            t = time.perf_counter()
            app.post_message(AlertChosen(alert_id))
            while not isinstance(app.screen, AlertDetailScreen):
                if time.perf_counter() - t > 60:
                    raise RuntimeError(f"alert {alert_id}: no detail screen after 60 s ({app.screen!r})")
                await asyncio.sleep(0)
            await painted()
            return time.perf_counter() - t

        async def shown(tab: str) -> float:
            """The tab's key pressed (its action run) until the tab is rendered; Pilot.press
            would also wait for the tab underline's animation to end."""
            detail = app.screen
            assert isinstance(detail, AlertDetailScreen)
            t = time.perf_counter()
            detail.action_tab(tab)
            await painted()
            return time.perf_counter() - t

        last = int(ws.conn.execute("SELECT max(id) FROM alerts").fetchone()[0])
        wanted = {"alert 1": 1, "alert 5000": min(5000, last), "mid": max(last // 2, 1), "last": last}
        wanted.update(special_alerts(ws.conn))
        t = time.perf_counter()
        await opened(2)  # the first alert opened builds the detail screen; later ones show it again
        out["first detail"] = time.perf_counter() - t
        await app.pop_screen()
        await painted()
        rounds.clear()
        for _ in range(ROUNDS):
            times: dict[str, dict[str, float]] = {"detail": {}, "tab": {}}
            for name, alert_id in wanted.items():
                times["detail"][f"{name} (#{alert_id})"] = await opened(alert_id)
                if name == "big raw":
                    times["tab"]["raw: big document"] = await shown("tab-raw")
                elif name == "long timeline":
                    times["tab"]["timeline: long"] = await shown("tab-timeline")
                    times["tab"]["related"] = await shown("tab-related")
                await app.pop_screen()
                await painted()
            rounds.append(times)
        for group in ("detail", "tab"):
            out[group] = {
                name: statistics.median(r[group][name] for r in rounds) for name in rounds[0][group]
            }
    ws.close()
    out["peak RSS MB"] = rss_mb()
    return out


async def measure_datatable(path: Path) -> dict[str, Any]:
    """The baseline: every row of the same open queue loaded into the built-in DataTable."""
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from triage.queue import Queue, QueueView

    ws = Workspace.open(path)
    t0 = time.perf_counter()

    class Plain(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(id="t")

        def on_mount(self) -> None:
            table: DataTable[Text] = self.query_one(DataTable)
            table.add_columns("ID", "SEVERITY", "STATUS", "ASSIGNEE", "TITLE", "HOST", "USER", "SOURCE IP")
            view = QueueView(analyst="alice")
            rows = Queue(ws.conn).page(view, 0, 10**9)
            table.add_rows(
                [
                    (
                        str(r.id),
                        r.severity,
                        r.status,
                        r.assignee or "-",
                        Text(r.title),
                        r.host,
                        r.user_name,
                        r.src_ip,
                    )
                    for r in rows
                ]
            )

    app = Plain()
    async with app.run_test(size=SIZE) as pilot:
        await pilot._wait_for_screen()
        app.screen._compositor.render_strips()
        first = time.perf_counter() - t0
    ws.close()
    return {"first paint": first, "peak RSS MB": rss_mb()}


def child(mode: str, path: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, f"--{mode}", str(path)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        log(proc.stderr)
        raise SystemExit(f"{mode} run failed")
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def verdict(value: float, aim: float) -> str:
    return f"{'met   ' if value <= aim else 'MISSED'}  ({value / aim:5.2f} of the aim)"


def report(ours: dict[str, Any], baseline: dict[str, Any] | None) -> None:
    ms = 1000
    print(f"\nqueue of {ours['rows']:,} open alerts, {SIZE[0]}x{SIZE[1]}, headless (Pilot)")
    print(f"filters, sorts, details, tabs: the median of {ROUNDS} rounds\n")
    first = ours["first paint"]
    print(f"{'first paint':<36}{first * ms:9.1f} ms   aim {AIMS['first paint'] * ms:6.0f} ms  "
          + verdict(first, AIMS["first paint"]))  # fmt: skip
    if baseline:
        b = baseline["first paint"]
        print(f"{'  baseline: DataTable':<36}{b * ms:9.1f} ms   ours is {b / first:,.1f}x faster")
    for group in ("filter", "sort", "detail", "tab"):
        values = ours[group]
        for name, secs in values.items():
            label = f"{group}: {name}"
            print(
                f"{label:<36}{secs * ms:9.1f} ms   aim {AIMS[group] * ms:6.0f} ms  "
                + verdict(secs, AIMS[group])
            )
        print(f"{'  median':<36}{statistics.median(values.values()) * ms:9.1f} ms")
    print(f"{'first alert opened (screen built)':<36}{ours['first detail'] * ms:9.1f} ms")
    print(f"{'jump to the last row':<36}{ours['jump to last row'] * ms:9.1f} ms")
    rss = ours["peak RSS MB"]
    print(f"{'peak RSS':<36}{rss:9.1f} MB   aim {AIM_RSS_MB:6d} MB  " + verdict(rss, AIM_RSS_MB))
    print(
        f"{'  of which before the app':<36}{ours['rss_before_app_mb']:9.1f} MB"
        " (Python, triage, Textual imports)"
    )
    if baseline:
        print(f"{'  baseline: DataTable':<36}{baseline['peak RSS MB']:9.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="5,000 alerts and no baseline")
    parser.add_argument("--no-baseline", action="store_true", help="skip the DataTable baseline")
    parser.add_argument("--workspace", type=Path, help="use this workspace (built there first if missing)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        faulthandler.dump_traceback_later(600, exit=True)  # a run that hangs says where
        print(json.dumps(asyncio.run(measure(args.measure))))
        return
    if args.baseline:
        print(json.dumps(asyncio.run(measure_datatable(args.baseline))))
        return
    n = 5000 if args.quick else args.alerts
    tmp = None
    path = args.workspace
    if path is None:
        tmp = Path(tempfile.mkdtemp(prefix="triage-bench-tui-"))
        path = tmp / "bench.db"
    try:
        if not path.exists():
            log(f"building a workspace of {n:,} alerts at {path} ...")
            build(path, n)
        ours = child("measure", path)
        baseline = None if (args.quick or args.no_baseline) else child("baseline", path)
        report(ours, baseline)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
