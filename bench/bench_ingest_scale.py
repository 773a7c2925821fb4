#!/usr/bin/env python
"""Does ingest slow down as the workspace fills? The same file into an empty and a full one.

    .venv/bin/python bench/bench_ingest_scale.py                 # 1,000,000 alerts stored
    .venv/bin/python bench/bench_ingest_scale.py --stored 200000 # quicker
    .venv/bin/python bench/bench_ingest_scale.py --quick         # smoke run
    .venv/bin/python bench/bench_ingest_scale.py --keep /tmp/full-1m.db  # made once, then reused

In each of ``--rounds`` rounds (default 3): ``Commands.ingest_records`` of the same NDJSON file
(``--alerts`` Elastic hits, as bench_core's) into a fresh workspace (the baseline) and into a
workspace already holding ``--stored`` alerts, and the ratio of the two rates. A round's file is
new alerts, a day after the last round's, so the full workspace grows by each round's alerts.
The medians of the rounds are printed beside the aim (0.8x): one pair of runs moves by a tenth
either way on a shared machine's disk.

The full workspace is made outside the timed region: ``--seed`` alerts (default 20,000) through
the command layer, then their projection rows and events copied with new ids, keys, sequence
numbers and times until ``--stored`` alerts are held, so that every table and index the ingest
writes to has the size and the key spread it would have (the copies' events are not a valid
chain, which no step of the ingest reads; only the head is read, and it stays the newest). Each
copy fired a day before the one it was copied from (the seed spans hours): as in a workspace
that filled over time, the alerts stored fired before the ones that arrive, which come after
them in every index keyed by the time an alert fired (the same file's times inside the stored
ones would put each new alert on a page of its own in those indexes, as no live source does).
``--keep FILE`` keeps the full workspace made in FILE (before the timed ingest writes to it), and
a later run given the same FILE copies it instead of making it again; a workspace of an older
schema is migrated when the timed ingest opens it, outside the timed region.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_core import ACTOR, write_ndjson  # noqa: E402
from triage.commands import Commands  # noqa: E402
from triage.config import bundled  # noqa: E402
from triage.playbooks import PlaybookSet  # noqa: E402
from triage.sources.files import FileSource  # noqa: E402
from triage.store.identity import key_hash  # noqa: E402
from triage.store.workspace import Workspace  # noqa: E402

AIM = 0.8


def log(msg: str) -> None:
    print(f"  .. {msg}", file=sys.stderr, flush=True)


def fill(path: Path, playbooks: PlaybookSet, seed_n: int, stored: int, work: Path) -> None:
    """A workspace holding ``stored`` alerts (see the module's docstring)."""
    ws = Workspace.create(path)
    nd = work / "seed.ndjson"
    write_ndjson(nd, seed_n, seed=7)
    res = Commands(ws, playbooks, ACTOR).ingest_records(FileSource(str(nd)).records())
    assert res.ingested == seed_n, res.as_dict()
    ws.close()
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")  # set-up only
    conn.create_function("triage_key_hash", 1, key_hash, deterministic=True)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(alerts)")]
    copy = 0
    while (conn.execute("SELECT max(id) FROM alerts").fetchone()[0] or 0) < stored:
        copy += 1
        top = conn.execute("SELECT (SELECT max(id) FROM alerts), (SELECT max(seq) FROM events)").fetchone()
        shift_id, shift_seq = top
        n = min(seed_n, stored - shift_id)
        moved = {
            "id": f"id + {shift_id}",
            "dedup_key": f"dedup_key || '#{copy}'",
            "key_hash": f"triage_key_hash(dedup_key || '#{copy}')",
            "ingest_seq": f"ingest_seq + {shift_seq}",
            "last_seq": f"last_seq + {shift_seq}",
            "content_seq": f"content_seq + {shift_seq}",
            "fired_at": f"date(substr(fired_at, 1, 10), '-{copy} days') || substr(fired_at, 11)",
        }
        select = ", ".join(moved.get(c, c) for c in cols)
        conn.execute("BEGIN")
        conn.execute(
            f"INSERT INTO alerts ({', '.join(cols)}) SELECT {select} FROM alerts WHERE id <= ?",
            (n,),
        )
        conn.execute(
            "INSERT INTO alert_content (key_alert, digest, alert_id, seq)"
            " SELECT key_alert + ?, digest, alert_id + ?, seq + ? FROM alert_content WHERE alert_id <= ?",
            (shift_id, shift_id, shift_seq, n),
        )
        conn.execute(  # the copies' hashes spread over the index as distinct hashes would
            "INSERT INTO alert_hashes SELECT substr(hash, 1, length(hash) - 6) || printf('%06x', ?),"
            " alert_id + ? FROM alert_hashes WHERE alert_id <= ?",
            (copy, shift_id, n),
        )
        conn.execute(
            "INSERT INTO events SELECT seq + ?, ts, action,"
            " 'alert:' || (CAST(substr(target, 7) AS INTEGER) + ?), body, prev_hash, hash"
            " FROM events WHERE seq <= ? ORDER BY seq",
            (shift_seq, shift_id, n),
        )
        conn.execute(
            "INSERT INTO timeline SELECT 'alert:' || (CAST(substr(ref, 7) AS INTEGER) + ?), seq + ?"
            " FROM timeline WHERE seq <= ?",
            (shift_id, shift_seq, n),
        )
        conn.execute("COMMIT")
        if copy % 10 == 0:
            log(f"filled {shift_id + n:,} alerts")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def ingest(path: Path, playbooks: PlaybookSet, nd: Path, n: int) -> float:
    ws = Workspace.open(path) if path.exists() else Workspace.create(path)
    cmds = Commands(ws, playbooks, ACTOR)
    started = time.perf_counter()
    res = cmds.ingest_records(FileSource(str(nd)).records())
    elapsed = time.perf_counter() - started
    ws.close()
    assert res.ingested == n, res.as_dict()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stored", type=int, default=1_000_000, help="alerts in the full workspace")
    ap.add_argument("--alerts", type=int, default=20_000, help="alerts ingested into each")
    ap.add_argument("--seed", type=int, default=20_000, help="alerts ingested to copy from")
    ap.add_argument("--rounds", type=int, default=3, help="pairs of ingests; the medians are printed")
    ap.add_argument("--quick", action="store_true", help="100,000 stored, 5,000 ingested")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--keep", type=Path, default=None, help="keep the full workspace here; reuse it if there")
    args = ap.parse_args(argv)
    if args.quick:
        args.stored, args.alerts, args.seed, args.rounds = 100_000, 5_000, 5_000, 1
    work = Path(tempfile.mkdtemp(prefix="bench_scale-", dir=args.workdir))
    try:
        playbooks = PlaybookSet.from_directory(bundled("playbooks"))
        print(f"bench_ingest_scale: sqlite {sqlite3.sqlite_version}, {args.stored:,} stored, workdir {work}")
        full = work / "full.db"
        started = time.perf_counter()
        if args.keep is not None and args.keep.exists():
            shutil.copyfile(args.keep, full)
            log(f"full workspace copied from {args.keep}")
        else:
            fill(full, playbooks, args.seed, args.stored, work)
            if args.keep is not None:
                shutil.copyfile(full, args.keep)
        log(
            f"full workspace: {args.stored:,} alerts in {time.perf_counter() - started:.0f} s,"
            f" {full.stat().st_size / 1e6:,.0f} MB"
        )
        os.sync()  # the set-up's gigabytes on disk now, not written back during the timed runs
        rounds: list[tuple[float, float]] = []
        for r in range(args.rounds):
            nd = work / f"alerts-{r}.ndjson"
            write_ndjson(nd, args.alerts, seed=1 + r, days_later=r)  # new alerts, after the last round's
            empty = work / "empty.db"
            for leftover in work.glob("empty.db*"):
                leftover.unlink()
            t_empty = ingest(empty, playbooks, nd, args.alerts)
            t_full = ingest(full, playbooks, nd, args.alerts)
            rounds.append((args.alerts / t_empty, args.alerts / t_full))
            e, f = rounds[-1]
            held = args.stored + r * args.alerts
            log(f"round {r + 1}: empty {e:,.0f} alerts/s, {held:,} stored {f:,.0f}, {f / e:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    empty_rate = statistics.median(e for e, _ in rounds)
    full_rate = statistics.median(f for _, f in rounds)
    ratio = statistics.median(f / e for e, f in rounds)
    print()
    print(
        f"ingest of {args.alerts:,} alerts, {args.stored:,} stored: {full_rate:,.0f} alerts/s;"
        f" into an empty workspace {empty_rate:,.0f} alerts/s; {ratio:.2f}x, aim >= {AIM:.2f}x"
        f" [{'met' if ratio >= AIM else 'MISSED'}] (medians of {len(rounds)} rounds; ratios"
        f" {', '.join(f'{f / e:.2f}' for e, f in rounds)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
