#!/usr/bin/env python
"""Query language benchmark: queries over a workspace of 100,000 alerts.

Builds the same workspace as bench_tui.py (Commands.ingest, then some acknowledgements and
closes) and times, for each query, the median of five runs of:

  parse       the text to a Query (triage.query.parse)
  cli         `triage alerts --query` without printing: the first 50 rows in the listing's order
              (queries.list_alerts, one SQL statement with LIMIT)
  count       SELECT count(*) with the query's condition
  app         what the app's queue does for a new query: count, status counts and the first
              page (triage.queue.Queue, which reads the matches once and pages from them)
  python      Query.matches over every alert row, rows already in memory (what a consumer of
              rows, such as a suppression rule over incoming alerts, pays per alert)

The baselines, measured in the same run on the same file: the search the app had before the
query language (a substring in six columns, LIKE over the whole table, as Queue read it), and
a bare full scan (SELECT count(*) ... NOT INDEXED WHERE title IS NOT NULL), the floor of any
query that cannot use an index.

    .venv/bin/python bench/bench_query.py                  # 100,000 alerts
    .venv/bin/python bench/bench_query.py --alerts 10000   # smaller
    .venv/bin/python bench/bench_query.py --workspace ws.db   # reuse (or keep) a built workspace
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from bench_tui import build, log  # noqa: E402

from triage import queries  # noqa: E402
from triage.clock import parse_time, set_clock  # noqa: E402
from triage.query import parse  # noqa: E402
from triage.queue import Queue, QueueView  # noqa: E402
from triage.store.workspace import Workspace  # noqa: E402

QUERIES = [
    "host:host-042",
    "user:user7 status:open",
    "severity>=high status:open",
    "brute",
    '"upload to cloud"',
    'rule:"SSH*" -assignee:*',
    "technique:T1098",
    "src_ip:10.16.0.0/12",
    "breached:true severity:critical",
    "(malware OR scan) severity>=high fired>=2026-09-15 -host:host-00*",
    "fired:2026-09-15",
]
AIM_S = 0.100  # the app's aim for a filter (bench_tui.py)
RUNS = 5


def timed(fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def old_search(conn: Any, text: str) -> Callable[[], Any]:
    """The app's search before the query language: a substring of six columns, read once."""
    fields = ("title", "rule_name", "host", "user_name", "src_ip", "assignee")
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    where = " OR ".join(f"{f} LIKE ? ESCAPE '\\'" for f in fields)
    view = QueueView(status="all")
    sql = f"SELECT id, status, assignee FROM alerts NOT INDEXED WHERE ({where}){view.order_by()}"
    return lambda: conn.execute(sql, [like] * len(fields)).fetchall()


def measure(path: Path) -> None:
    ws = Workspace.open(path)
    conn = ws.conn
    # An hour after the last alert arrived: some acknowledge targets are over (breached:true).
    now = parse_time(conn.execute("SELECT max(ingested_at) FROM alerts").fetchone()[0]) + timedelta(hours=1)
    set_clock(lambda: now)
    total = conn.execute("SELECT count(*) FROM alerts").fetchone()[0]
    cols = [d[0] for d in conn.execute("SELECT * FROM alerts LIMIT 0").description]
    t = time.perf_counter()
    rows = [dict(zip(cols, r, strict=True)) for r in conn.execute("SELECT * FROM alerts")]
    read_all = time.perf_counter() - t
    ms = 1000
    print(f"\n{total:,} alerts; median of {RUNS} runs; times in ms\n")
    print(f"{'query':<60}{'parse':>7}{'cli':>8}{'count':>8}{'app':>8}{'python':>8}{'matches':>9}")
    for text in QUERIES:
        query = parse(text)
        where, params = query.sql(now)

        def app(text: str = text) -> None:
            queue = Queue(conn)  # a new query: nothing read yet
            view = QueueView(analyst="alice", status="all", text=text)
            queue.count(view)
            queue.status_counts(view)
            queue.page(view, 0, 40)

        figures = {
            "parse": timed(lambda text=text: parse(text)),  # type: ignore[misc]
            "cli": timed(lambda text=text: queries.list_alerts(ws, status="all", query=text, limit=50)),  # type: ignore[misc]
            "count": timed(
                lambda w=where, p=params: conn.execute(f"SELECT count(*) FROM alerts WHERE {w}", p).fetchone()
            ),  # type: ignore[misc]
            "app": timed(app),
            "python": timed(lambda q=query: sum(q.matches(r, now) for r in rows)),  # type: ignore[misc]
        }
        found = conn.execute(f"SELECT count(*) FROM alerts WHERE {where}", params).fetchone()[0]
        assert found == sum(query.matches(r, now) for r in rows), text  # the two agree here too
        line = "".join(f"{figures[k] * ms:8.1f}" for k in ("cli", "count", "app", "python"))
        print(f"{text:<60}{figures['parse'] * ms:7.2f}{line}{found:9,}")
        if figures["app"] > AIM_S:
            print(f"{'':<60}  app over the {AIM_S * ms:.0f} ms aim ({figures['app'] / AIM_S:.2f} of it)")
    print("\nbaselines, same file:")
    for text in ("host-042", "brute"):
        old = timed(old_search(conn, text))
        print(f"  {'old app search ' + repr(text):<58}{'':>7}{'':>8}{'':>8}{old * ms:8.1f}")
    scan = timed(
        lambda: conn.execute("SELECT count(*) FROM alerts NOT INDEXED WHERE title IS NOT NULL").fetchone()
    )
    print(f"  {'full scan, count(*)':<58}{'':>7}{'':>8}{scan * ms:8.1f}")
    print(f"  {'reading every row into dicts (not in the python column)':<58}{read_all * ms:8.1f}")
    ws.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--workspace", type=Path, help="use this workspace (built there first if missing)")
    args = parser.parse_args()
    tmp = None
    path = args.workspace
    if path is None:
        tmp = Path(tempfile.mkdtemp(prefix="triage-bench-query-"))
        path = tmp / "bench.db"
    try:
        if not path.exists():
            log(f"building a workspace of {args.alerts:,} alerts at {path} ...")
            build(path, args.alerts)
        measure(path)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
