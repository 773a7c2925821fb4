#!/usr/bin/env python
"""The PostgreSQL backend beside SQLite, in the same run on the same machine.

Every measure runs once on a fresh SQLite file (the baseline) and once on a fresh PostgreSQL
workspace schema; each line prints both and the ratio (as rates: 1.00 = as fast as SQLite).

    eval "$(python3 scripts/pg-server env)"          # or TRIAGE_BENCH_PG=postgresql://...
    .venv/bin/python bench/bench_postgres.py          # defaults: 2,000 commands, 6 analysts
    .venv/bin/python bench/bench_postgres.py --quick  # a smoke run

Measures
  append/command   Commands.note on existing alerts, one transaction per command.
  append/1 txn     Writer.append of the same events, one after the other, in one transaction.
  append/batched   The same events prepared (Writer.prepare) and written together
                   (Writer.write: one statement per table, each alert's row read and written once).
  ingest           Commands.ingest of generated alerts, in batches of 500.
  analysts N       N processes (separate connections) each noting and acknowledging alerts,
                   one transaction per command: total commands per second, and the p50 and
                   p99 latency of one command.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from triage.commands import Commands  # noqa: E402
from triage.config import bundled  # noqa: E402
from triage.domain.alert import Alert  # noqa: E402
from triage.playbooks import PlaybookSet  # noqa: E402
from triage.store.workspace import Workspace  # noqa: E402

PLAYBOOKS = bundled("playbooks")


def alerts(n: int, tag: str) -> list[Alert]:
    when = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    return [
        Alert(
            source="bench",
            profile="ecs",
            index="alerts-bench",
            doc_id=f"{tag}-{i}",
            rule_name="SSH Brute Force",
            rule_id="r-1",
            title=f"SSH Brute Force {i}",
            severity=("critical", "high", "medium", "low")[i % 4],
            fired_at=when,
            host=f"web-{i % 50:02d}",
            user=f"user{i % 20}",
            src_ip=f"203.0.113.{i % 250}",
            techniques=("T1110",),
            raw={"n": i, "tag": tag, "message": "x" * 200},
        )
        for i in range(n)
    ]


def timed(fn: Callable[[], int]) -> float:
    t = time.perf_counter()
    n = fn()
    return n / (time.perf_counter() - t)


def _analyst(location: str, name: str, ids: list[int], rounds: int) -> list[float]:
    ws = Workspace.open(location)
    cmds = Commands(ws, PlaybookSet.from_directory(PLAYBOOKS), name)
    out = []
    for i in range(rounds):
        alert = ids[i % len(ids)]
        t = time.perf_counter()
        if i % 5 == 4:
            try:
                cmds.acknowledge(alert)
            except Exception:  # noqa: BLE001 - acknowledged already by another analyst
                cmds.note(alert, f"{name} {i}")
        else:
            cmds.note(alert, f"{name} {i}")
        out.append(time.perf_counter() - t)
    ws.close()
    return out


def measure(location: str | Path, n: int, analysts: int) -> dict[str, float]:
    books = PlaybookSet.from_directory(PLAYBOOKS)
    ws = Workspace.create(location)
    cmds = Commands(ws, books, "bench")
    figures: dict[str, float] = {}
    batch = alerts(n, uuid.uuid4().hex[:6])

    def ingest() -> int:
        for i in range(0, len(batch), 500):
            cmds.ingest(batch[i : i + 500])
        return len(batch)

    figures["ingest"] = timed(ingest)
    ids = [r[0] for r in ws.conn.execute("SELECT id FROM alerts ORDER BY id")]

    def per_command() -> int:
        for i in range(n):
            cmds.note(ids[i % len(ids)], f"note {i}")
        return n

    figures["append/command"] = timed(per_command)

    def one_txn() -> int:
        with ws.write() as w:
            for i in range(n):
                w.append("bench", "alert.noted", f"alert:{ids[i % len(ids)]}", {"text": f"in one {i}"})
        return n

    figures["append/1 txn"] = timed(one_txn)

    def batched() -> int:
        with ws.write() as w:
            note = "alert.noted"
            w.write(
                [
                    w.prepare("bench", note, f"alert:{ids[i % len(ids)]}", {"text": f"batched {i}"})
                    for i in range(n)
                ]
            )
        return n

    figures["append/batched"] = timed(batched)
    rounds = max(20, n // analysts)
    ctx = mp.get_context("spawn")
    t = time.perf_counter()
    with ctx.Pool(analysts) as pool:
        lat = pool.starmap(_analyst, [(str(location), f"analyst{k}", ids, rounds) for k in range(analysts)])
    wall = time.perf_counter() - t
    every = sorted(x for one in lat for x in one)
    figures[f"analysts {analysts}: commands/s"] = len(every) / wall
    figures[f"analysts {analysts}: p50 ms"] = statistics.median(every) * 1000
    figures[f"analysts {analysts}: p99 ms"] = every[int(len(every) * 0.99) - 1] * 1000
    ws.close()
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commands", type=int, default=2000)
    ap.add_argument("--analysts", type=int, default=6)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 200 if args.quick else args.commands
    url = os.environ.get("TRIAGE_BENCH_PG") or os.environ.get("TRIAGE_TEST_PG")
    if not url:
        print("skip: no PostgreSQL (set TRIAGE_BENCH_PG, or start scripts/pg-server)", file=sys.stderr)
        return 3
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    pg = f"{url}{'&' if '?' in url else '?'}schema={schema}"
    with tempfile.TemporaryDirectory() as tmp:
        lite = measure(Path(tmp) / "bench.db", n, args.analysts)
    try:
        post = measure(pg, n, args.analysts)
    finally:
        import psycopg

        from triage.store.backend.postgres import split_url

        with psycopg.connect(split_url(url)[0], autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    print(f"{'measure':34} {'SQLite':>10} {'PostgreSQL':>11} {'ratio':>6}")
    for key, base in lite.items():
        value = post[key]
        lower_is_better = key.endswith(" ms")
        ratio = base / value if lower_is_better else value / base
        print(f"{key:34} {base:10.1f} {value:11.1f} {ratio:6.2f}")
    print("(rates per second, latencies in ms; ratio > 1: PostgreSQL is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
