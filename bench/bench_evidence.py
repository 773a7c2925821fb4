#!/usr/bin/env python
"""Evidence export benchmark: a month of 100,000 alerts and about a million events.

Builds one workspace through ``Writer.append`` (the path every command takes, projections
included) with a scripted clock: September holds half as many alerts as October, so the
same workspace gives a half-size month and a full-size month. Then, each in its own
process so that peak RSS is that of the export alone:

  export 2026-09   the half-size month
  export 2026-10   the full month (aim: under 60 s), zipped: the pack as handed over
                   (aim: at most 300 MB)
  baseline         the floor for any export of October: read the month's events from
                   SQLite with plain sqlite3, json.loads every body, write every stored
                   body to a file
  verify           ``verify_pack`` over the October pack

and prints time, events per second and peak RSS for each, the ratio of export to
baseline, the RSS of the full month against the half-size one (streaming: it should
stay close to 1.0x while the month doubles), and the pack's size as handed over beside
its files unpacked and the month's bare bodies (the baseline's file: the log once, whole).
``--dir`` exports directories instead of zips.

    .venv/bin/python bench/bench_evidence.py            # 100k alerts in October, ~1M events
    .venv/bin/python bench/bench_evidence.py --quick    # 4,000 alerts, a few seconds
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from anywhere, even without the editable install
    sys.path.insert(0, str(ROOT))

from triage import clock  # noqa: E402
from triage.clock import format_ts  # noqa: E402
from triage.commands.ingest import playbook_snapshot  # noqa: E402
from triage.config import bundled  # noqa: E402
from triage.domain.alert import Severity  # noqa: E402
from triage.playbooks import PlaybookSet  # noqa: E402
from triage.store import anchor as anchoring  # noqa: E402
from triage.store.workspace import Workspace  # noqa: E402

AIM_S = 60.0
AIM_MB = 300.0
BATCH = 20_000
ANALYSTS = ["alice", "bob", "carol", "dave", "erin", "frank"]
RULES = [
    ("SSH Brute Force", "brute-force", ["T1110"]),
    ("Potential Password Spraying", "brute-force", ["T1110.003"]),
    ("Suspicious PowerShell", "default", []),
    ("Unusual Outbound Transfer", "default", []),
    ("IAM access key created", "default", []),
]
SEVERITIES = ["critical", "high", "high", "medium", "medium", "medium", "low", "informational"]
NOTES = [
    "Checked the source IP against TI feeds: listed on two abuse lists, hosting provider ASN.",
    "No successful logons from the source addresses in the last 7 days (4624 search attached).",
    "Parent process chain looks benign (SCCM client); verified with desktop engineering.",
    "Same rule fired on 3 other hosts in the finance VLAN within 10 minutes.",
]


def log(msg: str) -> None:
    print(f"  .. {msg}", file=sys.stderr, flush=True)


# -- building the month ---------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 9, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _lifecycle(
    rng: random.Random, alert_id: int, at: datetime, playbooks: PlaybookSet
) -> Iterator[tuple[datetime, str, str, dict[str, Any]]]:
    """(time, actor, action, payload) of one alert's life: ingest, triage, close."""
    rule, pb_id, techniques = RULES[alert_id % len(RULES)]
    sev = SEVERITIES[rng.randrange(len(SEVERITIES))]
    snap = playbook_snapshot(playbooks.get(pb_id), Severity(sev))  # as ingest records it
    doc = {
        "source": "elastic-prod", "profile": "elastic", "index": ".alerts-security.alerts-default",
        "doc_id": f"bench-{alert_id}", "rule_name": rule, "rule_id": f"rule-{alert_id % len(RULES)}",
        "title": rule, "severity": sev, "risk_score": 47.0, "fired_at": format_ts(at - timedelta(seconds=30)),
        "host": f"web-{alert_id % 97:02d}", "user": f"user{alert_id % 311}", "src_ip": "203.0.113.9",
        "dst_ip": None, "tactics": [], "techniques": techniques, "tags": [], "raw": {"n": alert_id},
    }  # fmt: skip
    yield at, "poller", "alert.ingested", {"dedup_key": f"bench/{alert_id}", "alert": doc, "playbook": snap}
    analyst = ANALYSTS[rng.randrange(len(ANALYSTS))]
    t = at
    if rng.random() < 0.5:
        t += timedelta(seconds=rng.randint(10, 300))
        yield t, "alice", "alert.assigned", {"assignee": analyst, "previous": None}
    t += timedelta(seconds=rng.randint(60, int(snap["ack_within"] * 1.2)))
    yield t, analyst, "alert.acknowledged", {}
    for _ in range(rng.randint(0, 5)):
        t += timedelta(seconds=rng.randint(30, 900))
        yield t, analyst, "alert.noted", {"text": NOTES[rng.randrange(len(NOTES))]}
    for step in snap["required"]:
        t += timedelta(seconds=rng.randint(30, 600))
        yield t, analyst, "alert.step_completed", {"step": step, "playbook": snap["id"]}
    if rng.random() < 0.05:
        return  # still open
    t += timedelta(seconds=rng.randint(60, int(snap["close_within"] * 0.6)))
    disposition = "false_positive" if rng.random() < 0.4 else "true_positive"
    yield t, analyst, "alert.closed", {"disposition": disposition, "reason": "triaged", "override": None}


def build(path: Path, playbooks: PlaybookSet, n_oct: int, key_path: Path) -> int:
    """September with n_oct/2 alerts, October with n_oct, spread evenly; returns events."""
    rng = random.Random(20261031)
    fake = Clock()
    clock.set_clock(fake)
    ws = Workspace.create(path)
    key = anchoring.load_private_key(key_path)
    schedule: list[tuple[datetime, int, int, str, str, dict[str, Any]]] = []
    order = 0
    months = [
        (datetime(2026, 9, 1, tzinfo=UTC), n_oct // 2, 30),
        (datetime(2026, 10, 1, tzinfo=UTC), n_oct, 31),
    ]
    arrivals: list[datetime] = []
    for start, n, days in months:
        step = timedelta(days=days) / max(n, 1)
        arrivals.extend(start + step * i for i in range(n))
    written = 0
    next_alert = 0
    w_cm = ws.write()
    w = w_cm.__enter__()
    try:
        while next_alert < len(arrivals) or schedule:
            # admit every alert that arrives before the next scheduled event
            while next_alert < len(arrivals) and (not schedule or arrivals[next_alert] <= schedule[0][0]):
                alert_id = next_alert + 1
                for t, actor, action, payload in _lifecycle(rng, alert_id, arrivals[next_alert], playbooks):
                    heapq.heappush(schedule, (t, order, alert_id, actor, action, payload))
                    order += 1
                next_alert += 1
            t, _, alert_id, actor, action, payload = heapq.heappop(schedule)
            if t >= datetime(2026, 11, 5, tzinfo=UTC):
                continue  # beyond the export date
            fake.now = t
            w.append(actor, action, f"alert:{alert_id}", payload)
            written += 1
            if written % BATCH == 0:
                w_cm.__exit__(None, None, None)
                if written % (10 * BATCH) == 0:
                    log(f"built {written:,} events (at {format_ts(t)[:16]})")
                    with ws.write():
                        anchoring.anchor(ws.conn, ws.id, key, path.with_name("anchors.jsonl"))
                w_cm = ws.write()
                w = w_cm.__enter__()
    finally:
        w_cm.__exit__(None, None, None)
    fake.now = datetime(2026, 11, 5, tzinfo=UTC)
    with ws.write():
        anchoring.anchor(ws.conn, ws.id, key, path.with_name("anchors.jsonl"))
    ws.close()
    clock.set_clock(None)
    return written


# -- the measured runs, each in its own process ---------------------------------------------


def child_export(db: Path, month: str, out: Path, key_path: Path, form: str) -> None:
    from triage.evidence import ExportRequest, export_pack

    clock.set_clock(lambda: datetime(2026, 11, 5, 12, tzinfo=UTC))
    ws = Workspace.open(db)
    t0 = time.perf_counter()
    result = export_pack(
        ws,
        ExportRequest(
            month=month,
            out=out,
            key=anchoring.load_private_key(key_path),
            actor="bench",
            make_zip=form == "zip",
            progress=lambda m: print(f"  .. {m}", file=sys.stderr, flush=True),
            progress_every=250_000,
        ),
    )
    seconds = time.perf_counter() - t0
    answer = {"seconds": seconds, "events": result.events, "alerts": result.alerts, "path": str(result.path)}
    answer.update({"ok": result.chain_ok, "backlog": result.backlog, "breaches": result.breaches})
    _answer(answer)


def child_baseline(db: Path, month: str, out: Path) -> None:
    start, end = (
        f"{month}-01T00:00:00",
        "2026-11-01T00:00:00" if month == "2026-10" else "2026-10-01T00:00:00",
    )
    conn = sqlite3.connect(str(db))
    t0 = time.perf_counter()
    n = 0
    with open(out, "w", encoding="ascii") as fh:
        for (body,) in conn.execute(
            "SELECT body FROM events WHERE ts >= ? AND ts < ? ORDER BY seq", (start, end)
        ):
            json.loads(body)
            fh.write(body)
            fh.write("\n")
            n += 1
    _answer({"seconds": time.perf_counter() - t0, "events": n})


def child_verify(pack: Path, key_path: Path) -> None:
    from triage.evidence import verify_pack

    t0 = time.perf_counter()
    report = verify_pack(pack, anchoring.load_public_key(key_path))
    _answer({"seconds": time.perf_counter() - t0, "events": report.events_checked, "ok": report.ok,
             "problems": report.problems[:5]})  # fmt: skip


def pack_sizes(path: Path) -> tuple[float, float, dict[str, tuple[float, float]]]:
    """(MB as handed over, MB of its files unpacked, per file: MB unpacked and as stored)."""
    if path.is_dir():
        files = {p.relative_to(path).as_posix(): p.stat().st_size for p in path.rglob("*") if p.is_file()}
        per = {name: (n / 1e6, n / 1e6) for name, n in files.items()}
        return sum(files.values()) / 1e6, sum(files.values()) / 1e6, per
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    per = {i.filename.split("/", 1)[-1]: (i.file_size / 1e6, i.compress_size / 1e6) for i in infos}
    return path.stat().st_size / 1e6, sum(i.file_size for i in infos) / 1e6, per


def _answer(answer: dict[str, Any]) -> None:
    """A child's answer, with its own peak RSS where the system tells it (Linux: VmHWM, the
    high-water mark of this program's memory; the rusage a parent reads after the child
    exits also counts the parent's memory at the fork)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
        kib = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])
        answer["peak_mb"] = kib / 1024
    except (OSError, StopIteration, ValueError):
        pass
    print(json.dumps(answer))


def run_child(*args: str) -> tuple[dict[str, Any], float]:
    """Run this script as a child; returns its JSON answer and its own peak RSS in MB."""
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), *args], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child {args[0]} failed with exit code {proc.returncode}")
    rss_mb = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 1024 / 1024
    answer = json.loads(out.strip().splitlines()[-1])
    return answer, float(answer.get("peak_mb", rss_mb))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--alerts", type=int, default=None, help="alerts in October (default 100,000)")
    ap.add_argument("--quick", action="store_true", help="4,000 alerts in October: a smoke run")
    ap.add_argument(
        "--workdir", type=Path, default=None, help="keep files here (default: a temp dir, removed)"
    )
    ap.add_argument("--dir", action="store_true", help="export pack directories, not zips")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "export":
            child_export(Path(rest[0]), rest[1], Path(rest[2]), Path(rest[3]), rest[4])
        elif kind == "baseline":
            child_baseline(Path(rest[0]), rest[1], Path(rest[2]))
        else:
            child_verify(Path(rest[0]), Path(rest[1]))
        return 0

    n_oct = args.alerts or (4_000 if args.quick else 100_000)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        work, cleanup = Path(tempfile.mkdtemp(prefix="bench_evidence-", dir=args.workdir)), False
    else:
        work, cleanup = Path(tempfile.mkdtemp(prefix="bench_evidence-")), True
    try:
        playbooks = PlaybookSet.from_directory(bundled("playbooks"))
        key = work / "anchor.key"
        anchoring.generate_key(key)
        db = work / "month.db"
        print(
            f"bench_evidence: python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, work {work}"
        )
        log(f"building: {n_oct // 2:,} alerts in September, {n_oct:,} in October")
        t0 = time.perf_counter()
        n_events = build(db, playbooks, n_oct, key)
        build_s = time.perf_counter() - t0
        size_mb = db.stat().st_size / 1e6
        log(f"built {n_events:,} events in {build_s:.0f} s ({size_mb:,.0f} MB)")

        form = "dir" if args.dir else "zip"
        export = ("--child", "export", str(db))
        half, half_rss = run_child(*export, "2026-09", str(work / "pack-09"), str(key), form)
        full, full_rss = run_child(*export, "2026-10", str(work / "pack-10"), str(key), form)
        base, base_rss = run_child("--child", "baseline", str(db), "2026-10", str(work / "baseline.jsonl"))
        ver, ver_rss = run_child("--child", "verify", full["path"], str(key) + ".pub")
        sizes = pack_sizes(Path(full["path"]))
        bodies_mb = (work / "baseline.jsonl").stat().st_size / 1e6
    finally:
        if cleanup:
            shutil.rmtree(work, ignore_errors=True)

    def rate(n: int, s: float) -> str:
        return f"{n / s:,.0f} ev/s" if s > 0 else "-"

    rows = [
        ("export 2026-09 (half)", half["alerts"], half["events"], half["seconds"], half_rss),
        ("export 2026-10 (full)", full["alerts"], full["events"], full["seconds"], full_rss),
        ("baseline: read+parse+write", 0, base["events"], base["seconds"], base_rss),
        ("verify pack 2026-10", 0, ver["events"], ver["seconds"], ver_rss),
    ]
    print()
    print(f"{'run':<28} {'alerts':>8} {'events':>10} {'time':>8} {'rate':>14} {'peak RSS':>9}")
    for name, alerts, events, s, rss in rows:
        print(f"{name:<28} {alerts:>8,} {events:>10,} {s:>7.1f}s {rate(events, s):>14} {rss:>7.0f}MB")
    print()
    print(
        f"workspace: {n_events:,} events built in {build_s:.0f} s; "
        f"{full['backlog']:,} open at month end, {full['breaches']:,} target breaches"
    )
    handed, unpacked, per_file = sizes
    big = ", ".join(f"{name} {a:,.0f} -> {b:,.0f} MB" for name, (a, b) in per_file.items() if a >= 1)
    size_met = handed <= AIM_MB
    print(
        f"October pack as handed over ({form}): {handed:,.0f} MB (aim <= {AIM_MB:.0f} MB:"
        f" {'met' if size_met else 'MISSED'}); its files {unpacked:,.0f} MB unpacked ({big});"
        f" baseline: the month's bodies once, bare, {bodies_mb:,.0f} MB ({handed / bodies_mb:.2f}x)"
    )
    print(
        f"export / baseline time: {full['seconds'] / base['seconds']:.2f}x (baseline = bare read+parse+write)"
    )
    print(
        f"peak RSS full month / half month: {full_rss / half_rss:.2f}x "
        f"({full['events'] / max(half['events'], 1):.2f}x the events)"
    )
    met = full["seconds"] < AIM_S
    ok = full["ok"] and half["ok"] and ver["ok"]
    print(
        f"RESULT: export of {full['events']:,} events in {full['seconds']:.1f} s "
        f"(aim < {AIM_S:.0f} s: {'met' if met else 'MISSED'}), {handed:,.0f} MB as handed over"
        f" (aim <= {AIM_MB:.0f} MB: {'met' if size_met else 'MISSED'});"
        f" chain and pack verify: {'OK' if ok else 'FAILED'}" + ("" if ver["ok"] else f" {ver['problems']}")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
