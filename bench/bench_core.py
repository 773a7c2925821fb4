#!/usr/bin/env python
"""Core throughput benchmark for triage: appends, ingest and chain verification.

Every figure is printed next to a baseline measured in the same run on the same
machine, with the ratio figure/baseline (as rates: 1.00 = as fast as the baseline,
0.50 = half as fast). Set-up for each measure (seeding, file generation, building the
million-event log, reading rows back for the baseline) is outside the timed regions.

    .venv/bin/python bench/bench_core.py            # defaults: 20k alerts, 1M events
    .venv/bin/python bench/bench_core.py --quick    # smoke run, a few seconds

Measures
  append/command   Commands.note on existing alerts, one transaction (and one fsync) per
                   command, as an analyst would.  Baseline: raw sqlite3 INSERT of the very
                   same event rows (same bytes) into a fresh file with a plain 7-column
                   table, same PRAGMAs (journal_mode=WAL, synchronous=FULL), one
                   BEGIN IMMEDIATE ... COMMIT each.
  append/1 txn     Writer.append, one after the other, in one ``with ws.write()`` transaction.
  append/batched   The same appends prepared (``Writer.prepare``) and written together
                   (``Writer.write``: one statement per table, each alert's row read and
                   written once): what an ingest does.  Baseline for both: raw executemany of
                   the same rows in one transaction, fresh file, same PRAGMAs.
  ingest           Commands.ingest_records(FileSource(ndjson).records()) into a fresh
                   workspace.  Baseline: json.loads of every line of the same file.
  verify           triage.store.verify.verify_chain over a log of --events events.
                   Baseline: hashlib.sha256(prev_hash + body) for every row read from the
                   same table in seq order.

Exit status is 0 unless the verify report is not ok (then 1).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from anywhere, even without the editable install
    sys.path.insert(0, str(ROOT))

from triage.commands import Commands  # noqa: E402
from triage.commands.ingest import playbook_snapshot  # noqa: E402
from triage.config import bundled  # noqa: E402
from triage.mapping import map_document  # noqa: E402
from triage.playbooks import PlaybookSet  # noqa: E402
from triage.sources.base import unwrap_hit  # noqa: E402
from triage.sources.files import FileSource  # noqa: E402
from triage.store.chain import GENESIS, canonical, chain_hash  # noqa: E402
from triage.store.identity import content_digest  # noqa: E402
from triage.store.verify import verify_chain  # noqa: E402
from triage.store.workspace import Workspace  # noqa: E402

ACTOR = "alice"
INGEST_AIM = 0.2  # ingest at least a fifth as fast as bare json.loads of the file (issue 14)
APPEND_BATCH_AIM = 0.3  # batched appends at least 0.3x raw executemany of the same rows
VERIFY_AIM_S_PER_M = 5.0  # verify under 5 s per million events

RAW_DDL = """CREATE TABLE events (
    seq INTEGER PRIMARY KEY, ts TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
    body TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)"""
RAW_INSERT = (
    "INSERT INTO events (seq, ts, action, target, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


# -- output ---------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    figure: str
    baseline: str
    ratio: float  # figure rate / baseline rate
    aim: str = "-"
    met: bool | None = None  # None: no aim


def _rate(n: float, seconds: float, unit: str) -> str:
    r = n / seconds if seconds > 0 else float("inf")
    if r >= 100_000:
        return f"{r / 1000:,.0f}k {unit}/s"
    if r >= 100:
        return f"{r:,.0f} {unit}/s"
    return f"{r:,.1f} {unit}/s"


def print_table(rows: list[Row]) -> None:
    head = ("measure", "figure", "baseline", "ratio", "aim")
    cells = [
        (
            r.name,
            r.figure,
            r.baseline,
            f"{r.ratio:.2f}x",
            r.aim if r.met is None else f"{r.aim} [{'met' if r.met else 'MISSED'}]",
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))


def log(msg: str) -> None:
    print(f"  .. {msg}", file=sys.stderr, flush=True)


# -- realistic Elastic Security alerts ------------------------------------------------------

_RULES: list[dict[str, Any]] = [
    {
        "name": "Potential Password Spraying",
        "severity": "medium",
        "risk": 47,
        "type": "threshold",
        "tactic": ("TA0006", "Credential Access"),
        "tech": ("T1110", "Brute Force"),
        "sub": ("T1110.003", "Password Spraying"),
        "tags": [
            "Domain: Identity",
            "Use Case: Identity and Access Audit",
            "Tactic: Credential Access",
            "brute_force",
        ],
        "category": ["authentication"],
        "action": "logon-failed",
        "process": None,
    },
    {
        "name": "Multiple Logon Failure Followed by Logon Success",
        "severity": "high",
        "risk": 73,
        "type": "eql",
        "tactic": ("TA0006", "Credential Access"),
        "tech": ("T1110", "Brute Force"),
        "sub": ("T1110.001", "Password Guessing"),
        "tags": [
            "Domain: Endpoint",
            "OS: Windows",
            "Use Case: Threat Detection",
            "Tactic: Credential Access",
        ],
        "category": ["authentication"],
        "action": "logged-in",
        "process": None,
    },
    {
        "name": "Malware Detection Alert",
        "severity": "critical",
        "risk": 99,
        "type": "query",
        "tactic": ("TA0002", "Execution"),
        "tech": ("T1204", "User Execution"),
        "sub": ("T1204.002", "Malicious File"),
        "tags": ["Data Source: Elastic Defend", "Use Case: Threat Detection", "malware"],
        "category": ["malware", "intrusion_detection", "file"],
        "action": "execution",
        "process": ("invoice_0923.exe", "C:\\Users\\{u}\\Downloads\\invoice_0923.exe", "explorer.exe"),
    },
    {
        "name": "Suspicious PowerShell Encoded Command",
        "severity": "high",
        "risk": 73,
        "type": "query",
        "tactic": ("TA0002", "Execution"),
        "tech": ("T1059", "Command and Scripting Interpreter"),
        "sub": ("T1059.001", "PowerShell"),
        "tags": ["Domain: Endpoint", "OS: Windows", "Tactic: Execution", "Data Source: Elastic Defend"],
        "category": ["process"],
        "action": "start",
        "process": (
            "powershell.exe",
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "cmd.exe",
        ),
    },
    {
        "name": "Suspicious MS Office Child Process",
        "severity": "medium",
        "risk": 47,
        "type": "eql",
        "tactic": ("TA0001", "Initial Access"),
        "tech": ("T1566", "Phishing"),
        "sub": ("T1566.001", "Spearphishing Attachment"),
        "tags": ["Domain: Endpoint", "OS: Windows", "Tactic: Initial Access", "phishing"],
        "category": ["process"],
        "action": "start",
        "process": ("cmd.exe", "C:\\Windows\\System32\\cmd.exe", "WINWORD.EXE"),
    },
    {
        "name": "Sudo Heap-Based Buffer Overflow Attempt",
        "severity": "high",
        "risk": 73,
        "type": "threshold",
        "tactic": ("TA0004", "Privilege Escalation"),
        "tech": ("T1068", "Exploitation for Privilege Escalation"),
        "sub": None,
        "tags": ["Domain: Endpoint", "OS: Linux", "Tactic: Privilege Escalation"],
        "category": ["process"],
        "action": "exec",
        "process": ("sudoedit", "/usr/bin/sudoedit", "bash"),
    },
    {
        "name": "AWS IAM User Addition to Group",
        "severity": "low",
        "risk": 21,
        "type": "query",
        "tactic": ("TA0003", "Persistence"),
        "tech": ("T1098", "Account Manipulation"),
        "sub": None,
        "tags": [
            "Domain: Cloud",
            "Data Source: AWS",
            "Data Source: Amazon Web Services",
            "Use Case: Identity and Access Audit",
        ],
        "category": ["iam"],
        "action": "AddUserToGroup",
        "process": None,
    },
    {
        "name": "Potential Data Exfiltration Activity to an Unusual Destination Port",
        "severity": "medium",
        "risk": 21,
        "type": "machine_learning",
        "tactic": ("TA0010", "Exfiltration"),
        "tech": ("T1041", "Exfiltration Over C2 Channel"),
        "sub": None,
        "tags": ["Use Case: Data Exfiltration Detection", "Rule Type: ML", "Tactic: Exfiltration"],
        "category": ["network"],
        "action": "connection_attempted",
        "process": None,
    },
    {
        "name": "Network Connection via Certutil",
        "severity": "low",
        "risk": 21,
        "type": "eql",
        "tactic": ("TA0011", "Command and Control"),
        "tech": ("T1105", "Ingress Tool Transfer"),
        "sub": None,
        "tags": ["Domain: Endpoint", "OS: Windows", "Tactic: Command and Control"],
        "category": ["network", "process"],
        "action": "connection_attempted",
        "process": ("certutil.exe", "C:\\Windows\\System32\\certutil.exe", "cmd.exe"),
    },
]
_HOSTS = [f"{p}-{i:02d}" for p in ("ws", "srv-app", "dc", "build", "fin-lt", "web") for i in range(1, 18)]
_USERS = [
    "svc_backup",
    "j.martin",
    "a.kowalski",
    "m.nguyen",
    "root",
    "administrator",
    "k.osei",
    "s.fernandez",
    "deploy",
    "l.chen",
    "r.patel",
    "t.okafor",
]
_COUNTRIES = [
    ("NL", "Amsterdam"),
    ("US", "Ashburn"),
    ("RU", "Moscow"),
    ("BR", "Sao Paulo"),
    ("SG", "Singapore"),
]


def _mitre(tid: str) -> str:
    return (
        "https://attack.mitre.org/"
        + ("tactics/" if tid.startswith("TA") else "techniques/")
        + tid.replace(".", "/")
        + "/"
    )


def make_hit(rng: random.Random, n: int, fired: datetime) -> dict[str, Any]:
    """One Elastic Security 8.x detection alert as a search hit (`_index`, `_id`, `_source`)."""
    rule = _RULES[n % len(_RULES)] if rng.random() < 0.8 else rng.choice(_RULES)
    host, user = rng.choice(_HOSTS), rng.choice(_USERS)
    ts = fired.strftime("%Y-%m-%dT%H:%M:%S.") + f"{fired.microsecond // 1000:03d}Z"
    orig = (fired - timedelta(seconds=rng.randint(5, 300))).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    alert_id = hashlib.sha256(f"{n}-{ts}".encode()).hexdigest()
    rule_uuid = str(uuid.UUID(hashlib.md5(rule["name"].encode()).hexdigest()))
    src_ip = (
        f"{rng.choice((185, 45, 203, 198))}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    )
    cc, city = rng.choice(_COUNTRIES)
    technique: dict[str, Any] = {
        "id": rule["tech"][0],
        "name": rule["tech"][1],
        "reference": _mitre(rule["tech"][0]),
    }
    if rule["sub"]:
        technique["subtechnique"] = [
            {"id": rule["sub"][0], "name": rule["sub"][1], "reference": _mitre(rule["sub"][0])}
        ]
    is_windows = not host.startswith(("build", "web"))
    src: dict[str, Any] = {
        "@timestamp": ts,
        "kibana.alert.uuid": alert_id,
        "kibana.alert.start": ts,
        "kibana.alert.original_time": orig,
        "kibana.alert.status": "active",
        "kibana.alert.workflow_status": "open",
        "kibana.alert.depth": 1,
        "kibana.alert.reason": (
            f"{rule['category'][0]} event with user {user} on {host} "
            f"created {rule['severity']} alert {rule['name']}."
        ),
        "kibana.alert.severity": rule["severity"],
        "kibana.alert.risk_score": rule["risk"],
        "kibana.alert.rule.name": rule["name"],
        "kibana.alert.rule.uuid": rule_uuid,
        "kibana.alert.rule.rule_id": hashlib.md5(rule["name"].encode()).hexdigest()[:8]
        + "-7b3a-4d21-9c0e-2f1d5a6b8c90",
        "kibana.alert.rule.type": rule["type"],
        "kibana.alert.rule.version": 108,
        "kibana.alert.rule.tags": rule["tags"],
        "kibana.alert.rule.threat": [
            {
                "framework": "MITRE ATT&CK",
                "tactic": {
                    "id": rule["tactic"][0],
                    "name": rule["tactic"][1],
                    "reference": _mitre(rule["tactic"][0]),
                },
                "technique": [technique],
            }
        ],
        "kibana.space_ids": ["default"],
        "kibana.version": "8.15.2",
        "event": {
            "kind": "signal",
            "category": rule["category"],
            "type": ["start"] if rule["process"] else ["info"],
            "action": rule["action"],
            "dataset": "endpoint.events." + rule["category"][0],
            "module": "endpoint",
        },
        "host": {
            "name": host,
            "hostname": host,
            "ip": [f"10.20.{rng.randint(0, 40)}.{rng.randint(2, 250)}"],
            "os": (
                {"family": "windows", "name": "Windows 11 Enterprise", "version": "23H2"}
                if is_windows
                else {"family": "debian", "name": "Ubuntu", "version": "22.04.4 LTS"}
            ),
        },
        "user": {"name": user, "domain": "CORP" if is_windows else None},
        "source": {
            "ip": src_ip,
            "port": rng.randint(1024, 65535),
            "geo": {"country_iso_code": cc, "city_name": city},
        },
        "agent": {
            "id": hashlib.md5(("agent" + host).encode()).hexdigest(),
            "type": "endpoint",
            "version": "8.15.2",
        },
    }
    if rule["process"]:
        name, exe, parent = rule["process"]
        exe = exe.replace("{u}", user)
        src["process"] = {
            "name": name,
            "pid": rng.randint(400, 60000),
            "executable": exe,
            "command_line": f'"{exe}" -nop -w hidden -enc JABjAGwAaQBlAG4AdAAgAD0AIABOAGUAdwAtAE8A{n % 997}',
            "entity_id": uuid.UUID(int=rng.getrandbits(128)).hex,
            "hash": {"sha256": hashlib.sha256(exe.encode()).hexdigest()},
            "parent": {"name": parent, "pid": rng.randint(400, 60000)},
        }
    else:
        src["destination"] = {
            "ip": f"10.20.{rng.randint(0, 40)}.{rng.randint(2, 250)}",
            "port": rng.choice((22, 443, 3389, 8443)),
        }
    return {"_index": ".internal.alerts-security.alerts-default-000001", "_id": alert_id, "_source": src}


def hits(n: int, seed: int = 1, *, days_later: int = 0) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    t = datetime(2026, 10, 1, 0, 0, tzinfo=UTC) + timedelta(days=days_later)
    for i in range(n):
        t += timedelta(milliseconds=rng.randint(50, 4000))
        yield make_hit(rng, i, t)


def write_ndjson(path: Path, n: int, seed: int = 1, *, days_later: int = 0) -> int:
    with open(path, "w", encoding="utf-8") as fh:
        for hit in hits(n, seed, days_later=days_later):
            fh.write(json.dumps(hit, separators=(",", ":")))
            fh.write("\n")
    return path.stat().st_size


# -- helpers --------------------------------------------------------------------------------


def raw_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(RAW_DDL)
    return conn


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


_NOTES = [
    "Checked the source IP against TI feeds: listed on two abuse lists, hosting provider ASN.",
    "User confirmed by phone that they did not initiate this; escalating to tier 2.",
    "Parent process chain looks benign (SCCM client); verifying with desktop engineering.",
    "No successful logons from the source addresses in the last 7 days (4624 search attached).",
    "Host isolated in EDR at the request of the IR lead; awaiting memory capture.",
    "Same rule fired on 3 other hosts in the finance VLAN within 10 minutes, see linked alerts.",
]


def seed_workspace(path: Path, playbooks: PlaybookSet, n_alerts: int) -> tuple[Workspace, Commands]:
    ws = Workspace.create(path)
    cmds = Commands(ws, playbooks, ACTOR)
    nd = path.with_suffix(".seed.ndjson")
    write_ndjson(nd, n_alerts, seed=7)
    res = cmds.ingest_records(FileSource(str(nd)).records())
    assert res.ingested == n_alerts, res.as_dict()
    return ws, cmds


def read_rows(conn: sqlite3.Connection, after_seq: int) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT seq, ts, action, target, body, prev_hash, hash FROM events WHERE seq > ? ORDER BY seq",
        (after_seq,),
    ).fetchall()


# -- 1. appends -----------------------------------------------------------------------------


def bench_appends(work: Path, playbooks: PlaybookSet, n_appends: int, n_batch: int) -> list[Row]:
    n_alerts = 50
    ws, cmds = seed_workspace(work / "appends.db", playbooks, n_alerts)
    texts = [f"{_NOTES[i % len(_NOTES)]} (ref {i})" for i in range(max(n_appends, n_batch))]

    # warm-up (untimed): a few commands and a few raw commits, to get the files and caches going
    for i in range(10):
        cmds.note(1 + i % n_alerts, "warm-up note")
    warm = raw_connect(work / "warm.db")
    for i in range(10):
        warm.execute("BEGIN IMMEDIATE")
        warm.execute(RAW_INSERT, (i + 1, "t", "a", "t", "x" * 300, "0" * 64, "0" * 64))
        warm.execute("COMMIT")
    warm.close()

    # 1a. one command, one transaction
    start_seq = ws.head()[0]

    def per_command() -> None:
        for i in range(n_appends):
            cmds.note(1 + i % n_alerts, texts[i])

    t_cmd, _ = timed(per_command)
    rows = read_rows(ws.conn, start_seq)
    assert len(rows) == n_appends

    base = raw_connect(work / "raw_single.db")

    def raw_single() -> None:
        ex = base.execute
        for r in rows:
            ex("BEGIN IMMEDIATE")
            ex(RAW_INSERT, r)
            ex("COMMIT")

    t_raw, _ = timed(raw_single)
    base.close()

    # 1b. many appends in one transaction
    start_seq = ws.head()[0]

    def batched() -> None:
        with ws.write() as w:
            for i in range(n_batch):
                a = 1 + i % n_alerts
                w.append(ACTOR, "alert.noted", f"alert:{a}", {"text": texts[i]})

    t_loop, _ = timed(batched)
    assert len(read_rows(ws.conn, start_seq)) == n_batch

    # 1c. the same appends as one batch: prepared, then written together (``Writer.write``)
    start_seq = ws.head()[0]

    def prepared() -> None:
        with ws.write() as w:
            staged = [
                w.prepare(ACTOR, "alert.noted", f"alert:{1 + i % n_alerts}", {"text": texts[i]})
                for i in range(n_batch)
            ]
            w.write(staged)

    t_batch, _ = timed(prepared)
    rows = read_rows(ws.conn, start_seq)
    assert len(rows) == n_batch
    ws.close()

    base = raw_connect(work / "raw_batch.db")

    def raw_batch() -> None:
        base.execute("BEGIN IMMEDIATE")
        base.executemany(RAW_INSERT, rows)
        base.execute("COMMIT")

    t_rawb, _ = timed(raw_batch)
    base.close()
    avg_body = sum(len(r[4]) for r in rows) / len(rows)
    log(f"append rows: {avg_body:.0f} B body on average")

    return [
        Row(
            f"append, 1 txn/command (Commands.note x{n_appends:,})",
            _rate(n_appends, t_cmd, "ev"),
            _rate(n_appends, t_raw, "ev") + " raw INSERT+COMMIT",
            t_raw / t_cmd,
        ),
        Row(
            f"append, 1 txn x{n_batch:,} Writer.append",
            _rate(n_batch, t_loop, "ev"),
            _rate(n_batch, t_rawb, "ev") + " raw executemany",
            t_rawb / t_loop,
        ),
        Row(
            f"append, batched (x{n_batch:,} Writer.prepare, Writer.write)",
            _rate(n_batch, t_batch, "ev"),
            _rate(n_batch, t_rawb, "ev") + " raw executemany",
            t_rawb / t_batch,
            f">= {APPEND_BATCH_AIM:.2f}x executemany",
            t_rawb / t_batch >= APPEND_BATCH_AIM,
        ),
    ]


# -- 2. ingest ------------------------------------------------------------------------------


def bench_ingest(work: Path, playbooks: PlaybookSet, n_alerts: int, profile: bool) -> tuple[Row, list[str]]:
    path = work / "alerts.ndjson"
    size = write_ndjson(path, n_alerts)
    log(f"ingest file: {n_alerts:,} hits, {size / 1e6:.1f} MB, {size / n_alerts:.0f} B/line")

    def baseline() -> int:
        n = 0
        loads = json.loads
        with open(path, "rb") as fh:
            for line in fh:
                loads(line)
                n += 1
        return n

    baseline()  # warm the page cache for both runs alike (untimed)
    t_base, n = timed(baseline)
    assert n == n_alerts

    ws = Workspace.create(work / "ingest.db")
    cmds = Commands(ws, playbooks, ACTOR)
    t_ing, res = timed(lambda: cmds.ingest_records(FileSource(str(path)).records()))
    ws.close()
    if res.ingested != n_alerts:
        log(f"ingest: {res.as_dict() | {'problems': res.problems[:3]}}")
    ratio = t_base / t_ing
    mb = size / 1e6
    row = Row(
        f"ingest NDJSON ({n_alerts:,} Elastic hits)",
        f"{_rate(n_alerts, t_ing, 'alerts')}, {mb / t_ing:.2f} MB/s",
        f"{_rate(n_alerts, t_base, 'lines')}, {mb / t_base:.1f} MB/s json.loads",
        ratio,
        f">= {INGEST_AIM:.2f}x json.loads",
        ratio >= INGEST_AIM,
    )
    notes = profile_ingest(work, playbooks, path) if profile or ratio < INGEST_AIM else []
    return row, notes


def profile_ingest(work: Path, playbooks: PlaybookSet, path: Path) -> list[str]:
    """cProfile the same ingest into another fresh workspace; print the top triage/ functions."""
    import cProfile
    import pstats

    ws = Workspace.create(work / "ingest_profile.db")
    cmds = Commands(ws, playbooks, ACTOR)
    prof = cProfile.Profile()
    prof.enable()
    cmds.ingest_records(FileSource(str(path)).records())
    prof.disable()
    ws.close()
    st = pstats.Stats(prof)
    entries = []
    for (file, line, func), (_cc, nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        if "/triage/" in file.replace("\\", "/"):
            rel = file.replace("\\", "/").split("/triage/", 1)[1]
            entries.append((ct, tt, nc, f"triage/{rel}:{line}({func})"))
    entries.sort(reverse=True)
    total = st.total_tt  # type: ignore[attr-defined]
    lines = [
        f"ingest cProfile (untimed re-run, {total:.2f} s under the profiler): "
        "top triage/ functions by cumulative time"
    ]
    for ct, tt, nc, where in entries[:10]:
        lines.append(f"  {ct:7.2f} s cum  {tt:6.2f} s own  {nc:>9,} calls  {where}")
    return lines


# -- 3. verify ------------------------------------------------------------------------------


def _ingest_payloads(playbooks: PlaybookSet, k: int) -> list[dict[str, Any]]:
    """Real `alert.ingested` payloads (mapped alert + playbook snapshot), as Commands builds them."""
    out = []
    for i, hit in enumerate(hits(k, seed=3)):
        rec = unwrap_hit("bench.ndjson", f"line {i + 1}", hit)
        alert = map_document(rec.doc, source=rec.origin, raw=rec.raw, index=rec.index, doc_id=rec.doc_id)
        pb = playbooks.match(alert)
        out.append(
            {
                "dedup_key": f"{alert.index}/{alert.doc_id}",
                "digest": content_digest(rec.doc),
                "alert": alert.model_dump(mode="json"),
                "playbook": playbook_snapshot(pb, alert.severity),
            }
        )
    return out


def _event_stream(playbooks: PlaybookSet) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(action, target, payload) for a realistic log: each alert ingested, then worked on."""
    templates = _ingest_payloads(playbooks, 200)
    alert = 0
    while True:
        alert += 1
        target = f"alert:{alert}"
        p = dict(templates[alert % len(templates)])
        p["dedup_key"] = f"{p['dedup_key']}-{alert}"
        yield "alert.ingested", target, p
        yield "alert.assigned", target, {"assignee": "bob", "previous": None}
        yield "alert.acknowledged", target, {}
        yield "alert.noted", target, {"text": _NOTES[alert % len(_NOTES)]}
        steps = (p["playbook"] or {}).get("required", ["validate", "scope", "document"])
        for step in steps[:3]:
            yield "alert.step_completed", target, {"step": step, "playbook": (p["playbook"] or {}).get("id")}
        yield (
            "alert.closed",
            target,
            {"disposition": "false_positive", "reason": "benign admin activity", "override": None},
        )


def build_log(path: Path, playbooks: PlaybookSet, n_events: int, batch: int = 50_000) -> float:
    """Write n_events rows straight into a fresh workspace's events table, with the encoding and
    chain Writer.append uses. Returns the average body size."""
    Workspace.create(path).close()
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")  # set-up only; the bytes written are the same
    exercise = dict(conn.execute("SELECT key, value FROM meta").fetchall()).get("exercise") or None
    t0 = datetime(2026, 10, 1, tzinfo=UTC)
    head = GENESIS
    stream = _event_stream(playbooks)
    body_bytes = 0
    seq = 0
    rows: list[tuple[Any, ...]] = []
    while seq < n_events:
        action, target, payload = next(stream)
        seq += 1
        ts = (t0 + timedelta(milliseconds=37 * seq)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        body = canonical(
            {
                "v": 1,
                "seq": seq,
                "ts": ts,
                "actor": ACTOR,
                "action": action,
                "target": target,
                "exercise": exercise,
                "payload": payload,
            }
        )
        digest = chain_hash(head, body)
        rows.append((seq, ts, action, target, body, head, digest))
        body_bytes += len(body)
        head = digest
        if len(rows) >= batch or seq == n_events:
            conn.execute("BEGIN")
            conn.executemany(RAW_INSERT, rows)
            conn.execute("COMMIT")
            rows = []
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return body_bytes / n_events


def bench_verify(work: Path, playbooks: PlaybookSet, n_events: int) -> tuple[Row, bool]:
    path = work / "verify.db"
    t_build, avg = timed(lambda: build_log(path, playbooks, n_events))
    log(
        f"verify log: {n_events:,} events built in {t_build:.1f} s, {avg:.0f} B body on average, "
        f"{path.stat().st_size / 1e6:.0f} MB file"
    )

    ws = Workspace.open(path)
    conn = ws.conn

    def baseline() -> int:
        sha = hashlib.sha256
        n = 0
        for prev, body in conn.execute("SELECT prev_hash, body FROM events ORDER BY seq"):
            sha((prev + body).encode("ascii")).hexdigest()
            n += 1
        return n

    baseline()  # warm the OS page cache for both runs alike (untimed)
    t_base, n = timed(baseline)
    assert n == n_events
    t_ver, report = timed(lambda: verify_chain(conn))
    ws.close()

    ok = report.ok and report.events_total == n_events and report.events_valid == n_events
    if not ok:
        print("\n" + "!" * 78)
        print(f"!!! VERIFY FAILED on the benchmark log: {report.summary()}")
        for p in report.problems[:10]:
            print(f"!!!   {p}")
        print("!" * 78 + "\n")
    aim_s = VERIFY_AIM_S_PER_M * n_events / 1e6
    row = Row(
        f"verify_chain ({n_events:,} events)",
        f"{_rate(n_events, t_ver, 'ev')} ({t_ver:.2f} s)",
        f"{_rate(n_events, t_base, 'ev')} ({t_base:.2f} s) sha256 only",
        t_base / t_ver,
        f"< {aim_s:g} s ({VERIFY_AIM_S_PER_M:g} s/1M ev)",
        t_ver < aim_s,
    )
    return row, ok


# -- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--alerts", type=int, default=None, help="alerts in the ingest file (default 20,000)")
    ap.add_argument("--events", type=int, default=None, help="events in the verify log (default 1,000,000)")
    ap.add_argument(
        "--appends",
        type=int,
        default=None,
        help="single-transaction commands (default 2,000; the batched run does 10x)",
    )
    ap.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    ap.add_argument("--profile", action="store_true", help="cProfile the ingest even when it meets its aim")
    ap.add_argument(
        "--workdir", type=Path, default=None, help="where to put files (default: a temp dir, removed)"
    )
    args = ap.parse_args(argv)

    quick = (2_000, 50_000, 300)
    full = (20_000, 1_000_000, 2_000)
    d_alerts, d_events, d_appends = quick if args.quick else full
    n_alerts = args.alerts or d_alerts
    n_events = args.events or d_events
    n_appends = args.appends or d_appends
    n_batch = 10 * n_appends

    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="bench_core-", dir=args.workdir))
        cleanup = False
    else:
        work = Path(tempfile.mkdtemp(prefix="bench_core-"))
        cleanup = True

    t_start = time.perf_counter()
    try:
        playbooks = PlaybookSet.from_directory(bundled("playbooks"))
        print(
            f"bench_core: python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, "
            f"{len(playbooks)} playbooks, workdir {work}"
        )
        log(f"appends: {n_appends:,} commands, {n_batch:,} batched")
        rows = bench_appends(work, playbooks, n_appends, n_batch)
        log(f"ingest: {n_alerts:,} alerts")
        irow, profile_lines = bench_ingest(work, playbooks, n_alerts, args.profile)
        rows.append(irow)
        log(f"verify: {n_events:,} events")
        vrow, ok = bench_verify(work, playbooks, n_events)
        rows.append(vrow)
    finally:
        if cleanup:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print_table(rows)
    if profile_lines:
        print()
        print("\n".join(profile_lines))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_mb = peak / 1024 if sys.platform != "darwin" else peak / 1024 / 1024
    aims = [r for r in rows if r.met is not None]
    met = sum(1 for r in aims if r.met)
    print()
    print(
        f"ratio = figure/baseline as rates (1.00x = as fast as the baseline). "
        f"peak RSS {peak_mb:,.0f} MB. total {time.perf_counter() - t_start:.1f} s."
    )
    print(
        f"RESULT: verify {'OK' if ok else 'FAILED'}; aims met {met}/{len(aims)}"
        + (
            ""
            if met == len(aims)
            else " (" + ", ".join(r.name.split(" (")[0] for r in aims if not r.met) + " missed)"
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
