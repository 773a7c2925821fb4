"""Suppression benchmark: ingest through the command layer with 0, 20 and 100 suppression
rules in force (none matching, the worst case: every rule is tested), and with one rule that
closes every alert (each alert then costs a second event); the best of three runs each.

    python bench/bench_suppress.py [--alerts 5000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from triage.commands import Commands  # noqa: E402
from triage.domain.alert import Alert  # noqa: E402
from triage.playbooks import PlaybookSet  # noqa: E402
from triage.store.workspace import Workspace  # noqa: E402

REASON = "a rule of the benchmark, matching nothing it is given"


def alerts(n: int) -> list[Alert]:
    now = datetime.now(UTC)
    return [
        Alert(source="bench", profile="ecs", index="bench", doc_id=f"d-{i}", rule_name=f"Rule {i % 50}",
              title=f"Bench {i}", severity="high", fired_at=now, host=f"host-{i % 100}",
              src_ip=f"10.0.{i % 250}.{i % 200}", raw={"n": i})
        for i in range(n)
    ]  # fmt: skip


def best(n: int, rules: int, *, matching: bool = False) -> float:
    """The better of three runs (a shared machine's noise is one-sided)."""
    return max(run(n, rules, matching=matching) for _ in range(3))


def run(n: int, rules: int, *, matching: bool = False) -> float:
    tmp = Path(tempfile.mkdtemp(prefix="bench-suppress-"))
    ws = Workspace.create(tmp / "ws.db")
    cmds = Commands(ws, PlaybookSet.from_directory(ROOT / "triage" / "data" / "playbooks"), "poller")
    for r in range(rules):
        query = (
            'rule:"Rule *"' if matching else f'host:"nowhere-{r}" src_ip:192.168.{r}.0/24 rule:"Other {r}*"'
        )
        cmds.add_suppression(query, REASON, timedelta(days=30))
    batch = alerts(n)
    t0 = time.perf_counter()
    result = cmds.ingest(batch)
    seconds = time.perf_counter() - t0
    assert result.ingested == n and result.suppressed == (n if matching else 0)
    ws.close()
    return n / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--alerts", type=int, default=5000)
    n = ap.parse_args().alerts
    run(n, 0)  # warm up
    base = best(n, 0)
    print(f"ingest of {n:,} alerts through the command layer (one transaction)")
    print(f"  no suppression rules:            {base:8.0f} alerts/s")
    for rules in (20, 100):
        rate = best(n, rules)
        print(f"  {rules:3d} rules in force, none match: {rate:8.0f} alerts/s ({rate / base:.2f}x)")
    rate = best(n, 1, matching=True)
    print(f"  1 rule closing every alert:      {rate:8.0f} alerts/s ({rate / base:.2f}x; two events each)")


if __name__ == "__main__":
    main()
