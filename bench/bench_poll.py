"""Polling benchmark: `triage poll --once` against a raw client search_after loop, same index.

    python bench/bench_poll.py [--alerts 100000] [--page-size 1000] [--url URL]

Indexes N alerts into the local OpenSearch (TRIAGE_TEST_OPENSEARCH_URL, or started with
scripts/search-servers and stopped afterwards), then in one run times:
  - the ceiling: the opensearch-py client paging the index with a point in time and
    search_after (sorted by @timestamp and _shard_doc, as the poller does), touching every hit;
  - triage: `triage poll --once` into a fresh workspace, in its own process;
and prints both rates, their ratio against the aim (50%), and the poller's peak RSS at N and
at N/2, to show that memory does not grow with the size of the index (pages are streamed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AIM = 0.5  # issue 14


def http(url: str, method: str = "GET", body: str | None = None) -> Any:
    req = urllib.request.Request(
        url,
        data=body.encode() if body else None,
        method=method,
        headers={"Content-Type": "application/x-ndjson"},
    )
    with urllib.request.urlopen(req, timeout=300) as resp:
        return json.loads(resp.read() or b"null")


def doc(i: int) -> dict[str, Any]:
    when = datetime(2026, 10, 1, tzinfo=UTC) + timedelta(milliseconds=i * 250)
    return {
        "@timestamp": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "kibana.alert.rule.name": [
            "Potential SSH Brute Force Detected",
            "Suspicious PowerShell Encoded Command",
        ][i % 2],
        "kibana.alert.rule.rule_id": f"rule-{i % 17}",
        "kibana.alert.severity": ["low", "medium", "high", "critical"][i % 4],
        "kibana.alert.risk_score": 21 + i % 80,
        "kibana.alert.workflow_status": "open",
        "kibana.alert.reason": f"event on host-{i % 300} created alert number {i}",
        "kibana.alert.rule.threat": [
            {
                "framework": "MITRE ATT&CK",
                "tactic": {"id": "TA0006", "name": "Credential Access"},
                "technique": [{"id": "T1110", "name": "Brute Force", "subtechnique": [{"id": "T1110.001"}]}],
            }
        ],
        "host": {"name": f"host-{i % 300}", "os": {"family": "linux"}},
        "user": {"name": f"user-{i % 50}"},
        "source": {"ip": f"203.0.113.{i % 250}", "port": 40000 + i % 20000},
        "destination": {"ip": f"10.20.{i % 9}.{i % 250}", "port": 22},
        "event": {"kind": "signal", "category": ["authentication"], "module": "system"},
        "process": {"name": "sshd", "pid": 1000 + i % 5000, "command_line": "/usr/sbin/sshd -D -R"},
    }


def seed(url: str, index: str, n: int) -> float:
    http(f"{url}/{index}", "PUT", json.dumps({"settings": {"number_of_shards": 1, "refresh_interval": "-1"}}))
    started = time.perf_counter()
    for start in range(0, n, 5000):
        lines = []
        for i in range(start, min(n, start + 5000)):
            lines.append(json.dumps({"index": {"_index": index, "_id": f"a-{i}"}}))
            lines.append(json.dumps(doc(i)))
        resp = http(f"{url}/_bulk", "POST", "\n".join(lines) + "\n")
        assert not resp["errors"]
    http(f"{url}/{index}/_refresh", "POST")
    return time.perf_counter() - started


def raw_loop(url: str, index: str, page_size: int) -> tuple[int, float]:
    from opensearchpy import OpenSearch

    client = OpenSearch([url], timeout=120)
    started = time.perf_counter()
    pit = client.create_pit(index=index, params={"keep_alive": "2m"})["pit_id"]
    after = None
    count = 0
    while True:
        body: dict[str, Any] = {
            "pit": {"id": pit, "keep_alive": "2m"},
            "size": page_size,
            "sort": [{"@timestamp": {"order": "asc"}}, {"_shard_doc": "asc"}],
            "track_total_hits": False,
        }
        if after:
            body["search_after"] = after
        hits = client.search(body=body)["hits"]["hits"]
        if not hits:
            break
        for hit in hits:
            count += len(hit["_source"]) > 0
        after = hits[-1]["sort"]
    client.delete_pit(body={"pit_id": [pit]})
    elapsed = time.perf_counter() - started
    client.close()
    return count, elapsed


def poll(url: str, index: str, page_size: int, work: Path, tag: str) -> tuple[int, float, int]:
    db, config = work / f"{tag}.db", work / f"{tag}.toml"
    config.write_text(
        f'[[sources]]\nname = "bench"\nkind = "opensearch"\nurls = ["{url}"]\n'
        f'index = "{index}"\npage_size = {page_size}\n',
        encoding="utf-8",
    )
    env = {**os.environ, "TRIAGE_DB": str(db), "TRIAGE_CONFIG": str(config), "TRIAGE_ANALYST": "bench"}
    cmd = [sys.executable, "-m", "triage"]
    subprocess.run([*cmd, "init"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    proc = subprocess.Popen([*cmd, "poll", "--once", "--json"], env=env, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # the child's own peak RSS, in KiB
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    assert code == 0, f"poll failed ({code})"
    report = json.loads(out)[0]
    return int(report["ingested"]), elapsed, usage.ru_maxrss


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alerts", type=int, default=100_000)
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--url", default=os.environ.get("TRIAGE_TEST_OPENSEARCH_URL"))
    args = ap.parse_args()
    started_server = False
    url = args.url
    if not url:
        proc = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "search-servers"), "start", "opensearch"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            print(proc.stderr.strip() or "could not start OpenSearch", file=sys.stderr)
            return 2
        url = proc.stdout.split()[1]
        started_server = True
    try:
        return run(url, args.alerts, args.page_size)
    finally:
        if started_server:
            subprocess.run(
                [sys.executable, str(ROOT / "scripts" / "search-servers"), "stop", "opensearch"], check=False
            )


def run(url: str, n: int, page_size: int) -> int:
    tag = uuid.uuid4().hex[:8]
    big, half = f"bench-poll-{tag}-full", f"bench-poll-{tag}-half"
    print(f"bench_poll: OpenSearch at {url}, {n:,} alerts, pages of {page_size}")
    t_seed = seed(url, big, n)
    seed(url, half, n // 2)
    print(f"  .. indexed {n:,} + {n // 2:,} alerts in {t_seed:.1f} s (+ half)")
    with tempfile.TemporaryDirectory(prefix="bench_poll-") as tmp:
        work = Path(tmp)
        raw_n, raw_s = raw_loop(url, big, page_size)
        got_half, half_s, half_rss = poll(url, half, page_size, work, "half")
        got, poll_s, full_rss = poll(url, big, page_size, work, "full")
    for index in (big, half):
        http(f"{url}/{index}", "DELETE")
    assert raw_n == n and got == n and got_half == n // 2, (raw_n, got, got_half)
    raw_rate, poll_rate = raw_n / raw_s, got / poll_s
    ratio = poll_rate / raw_rate
    print()
    print(f"{'measure':46s}  {'figure':>22s}  {'baseline':>30s}  {'ratio':>6s}  aim")
    print(
        f"{'triage poll --once (' + format(n, ',') + ' alerts)':46s}  {poll_rate:>14,.0f} alerts/s  "
        f"{raw_rate:>16,.0f} hits/s raw loop  {ratio:>5.2f}x  >= {AIM:.2f}x "
        f"[{'met' if ratio >= AIM else 'MISSED'}]"
    )
    print(
        f"{'peak RSS of the poller':46s}  {full_rss / 1024:>19,.0f} MB  "
        f"{half_rss / 1024:>18,.0f} MB at {n // 2:,} alerts  {full_rss / half_rss:>5.2f}x  flat in N "
        f"[{'met' if full_rss <= half_rss * 1.25 else 'MISSED'}]"
    )
    print(
        f"\nraw loop {raw_s:.1f} s; poll {poll_s:.1f} s (including process start); "
        f"half-size poll {half_s:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
