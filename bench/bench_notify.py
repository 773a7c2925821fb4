"""Notification benchmark: notifications per second through a real local webhook receiver,
and the delay from a target's breach to its notification.

    python bench/bench_notify.py [--alerts 2000] [--breaches 20] [--interval 1]

In one run:
  - the ceiling: bare urllib POSTs of the same JSON to the same receiver, one after another;
  - triage: ``Notifier.run_once`` over a workspace holding N new critical alerts (a
    ``critical`` notification each: derive, POST, record the event with its cursor);
  - breach -> notification: alerts whose acknowledge target (a playbook of 2 s) falls due
    one after another while the notifier runs every ``--interval`` seconds on the real clock;
    the delay of each is the time of its ``notification.sent`` event minus the due time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from triage.app.notify import Notifier  # noqa: E402
from triage.clock import parse_time  # noqa: E402
from triage.commands import Commands  # noqa: E402
from triage.config import NotifyTarget  # noqa: E402
from triage.domain.alert import Alert  # noqa: E402
from triage.playbooks import PlaybookSet  # noqa: E402
from triage.store.workspace import Workspace  # noqa: E402

PLAYBOOK = """id: fast
title: Fast targets
version: 1
default: true
priority: 0
targets:
  critical: {acknowledge: 2s, close: 1h}
  high: {acknowledge: 2s, close: 1h}
  medium: {acknowledge: 2s, close: 1h}
  low: {acknowledge: 2s, close: 1h}
  informational: {acknowledge: 2s, close: 1h}
steps:
  - {id: validate, title: Validate, required: true, description: Look at it.}
"""


JSON = {"Content-Type": "application/json"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def alert(n: int, severity: str) -> Alert:
    from datetime import UTC, datetime

    return Alert(
        source="bench", profile="ecs", index="bench", doc_id=f"d-{n}", rule_name="Bench rule",
        title=f"Bench {n}", severity=severity, fired_at=datetime.now(UTC), host=f"host-{n % 50}",
        raw={"n": n},
    )  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--alerts", type=int, default=2000)
    ap.add_argument("--breaches", type=int, default=20)
    ap.add_argument("--interval", type=float, default=1.0)
    args = ap.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    tmp = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    (tmp / "playbooks").mkdir()
    (tmp / "playbooks" / "fast.yaml").write_text(PLAYBOOK)
    playbooks = PlaybookSet.from_directory(tmp / "playbooks")

    # the ceiling: bare POSTs
    body = json.dumps({"text": "CRITICAL alert 1: Bench 1 on host-1 (rule Bench rule)"}).encode()
    t0 = time.perf_counter()
    for _ in range(args.alerts):
        req = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()
    raw_s = time.perf_counter() - t0

    ws = Workspace.create(tmp / "rate.db")
    cmds = Commands(ws, playbooks, "poller")
    cmds.ingest([alert(n, "critical") for n in range(args.alerts)])
    target = NotifyTarget.model_validate(
        {"name": "bench", "kind": "webhook", "url": url, "events": ["critical"]}
    )
    notifier = Notifier([target], Commands(ws, playbooks, "notifier"), start_seq=0)
    t0 = time.perf_counter()
    result = notifier.run_once()
    triage_s = time.perf_counter() - t0
    assert result.sent == args.alerts, result.summary()
    ws.close()

    # breach -> notification, on the real clock
    ws = Workspace.create(tmp / "delay.db")
    breach = NotifyTarget.model_validate(
        {"name": "bench", "kind": "webhook", "url": url, "events": ["breach"]}
    )
    stop = threading.Event()
    loop_ws: list[Workspace] = []

    def run() -> None:
        own = Workspace.open(ws.path)
        loop_ws.append(own)
        Notifier([breach], Commands(own, playbooks, "notifier"), stop=stop).run(args.interval)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    poller = Commands(ws, playbooks, "poller")
    for n in range(args.breaches):
        poller.ingest([alert(10**6 + n, "high")])
        time.sleep(0.37)  # due times spread over the notifier's interval
    deadline = time.monotonic() + 10 + args.interval * 2
    while time.monotonic() < deadline:
        sent = ws.conn.execute("SELECT count(*) FROM notifications").fetchone()[0]
        if sent >= args.breaches:
            break
        time.sleep(0.1)
    stop.set()
    thread.join(timeout=30)
    delays = []
    for alert_id, ts in ws.conn.execute("SELECT alert_id, ts FROM notifications ORDER BY alert_id"):
        (due,) = ws.conn.execute("SELECT ack_due FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        delays.append((parse_time(ts) - parse_time(due)).total_seconds())
    ws.close()
    server.shutdown()

    print(f"notifications: {args.alerts:,} critical alerts, one webhook target, local receiver")
    print(f"  bare urllib POSTs:       {args.alerts / raw_s:8.0f}/s ({raw_s:.2f} s)")
    print(
        f"  triage notify, run_once: {args.alerts / triage_s:8.0f}/s ({triage_s:.2f} s)"
        f"  = {raw_s / triage_s:.2f}x the bare POSTs (each also derives, records an event, moves the cursor)"
    )
    print(
        f"breach -> notification: {len(delays)} of {args.breaches} breaches,"
        f" notifier every {args.interval:g} s"
    )
    if delays:
        q = sorted(delays)
        print(
            f"  delay: median {statistics.median(q):.2f} s, p90 {q[max(0, int(0.9 * len(q)) - 1)]:.2f} s,"
            f" max {q[-1]:.2f} s, min {q[0]:.2f} s"
        )


if __name__ == "__main__":
    main()
