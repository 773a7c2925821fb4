"""Write the monthly evidence pack.

Everything comes from the investigation log as it stood at the end of the month: the
excerpt is the month's events with their stored bytes and hashes, alert figures are
replayed from each alert's events up to the month's last event, and the whole export
reads one consistent snapshot of the workspace (one read transaction). The month is
streamed: events are read through a cursor and alert rows go to a scratch SQLite file,
so memory does not grow with the size of the month.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from triage.clock import format_ts, now_ts, parse_time, utc_now
from triage.domain import events as ev
from triage.domain.state import AlertState
from triage.errors import CommandRejected, SigningError
from triage.evidence import metrics, pack, report
from triage.evidence.period import Period, month_period
from triage.evidence.replay import (
    alert_as_of,
    at,
    compact_ingest,
    fmt,
    incident_as_of,
    is_exercise,
    month_alerts,
)
from triage.store.anchor import key_id, public_raw
from triage.store.chain import GENESIS
from triage.store.verify import verify_workspace
from triage.store.workspace import Workspace

PROGRESS_EVERY = 100_000

# What counts as an analyst's work, by action.
WORK = {
    ev.ALERT_ASSIGNED: "assigned",
    ev.ALERT_ACKNOWLEDGED: "acknowledged",
    ev.ALERT_NOTED: "notes",
    ev.ALERT_STEP_COMPLETED: "steps",
    ev.ALERT_SEVERITY_CHANGED: "severity_changes",
    ev.ALERT_ESCALATED: "escalations",
    ev.ALERT_LINKED: "escalations",
    ev.ALERT_UNLINKED: "escalations",
    ev.ALERT_CLOSED: "closed",
    ev.ALERT_REOPENED: "reopened",
    ev.INCIDENT_UPDATED: "incident_updates",
}
assert set(WORK) == ev.ANALYST_ACTIONS
WORK_COLUMNS = sorted(set(WORK.values()))


@dataclass
class ExportRequest:
    month: str
    out: Path
    key: Ed25519PrivateKey
    actor: str
    timezone: str = "UTC"
    make_zip: bool = False
    exercises_dir: Path | None = None
    anchor_files: list[Path] = field(default_factory=list)
    progress: Callable[[str], None] | None = None
    progress_every: int = PROGRESS_EVERY


@dataclass
class ExportResult:
    path: Path
    month: str
    alerts: int
    events: int
    backlog: int
    breaches: int
    chain_ok: bool
    files: int


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds()


class _Exporter:
    def __init__(self, ws: Workspace, req: ExportRequest, period: Period, work: Path, scratch: Path) -> None:
        self.ws = ws
        self.conn = ws.conn
        self.req = req
        self.period = period
        self.dir = work
        self.scratch = sqlite3.connect(str(scratch), isolation_level=None)
        self.scratch.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + metrics.SCRATCH_DDL)
        self.start = period.start
        self.end = period.end

    # -- helpers -------------------------------------------------------------------------

    def say(self, message: str) -> None:
        if self.req.progress is not None:
            self.req.progress(message)

    def open_text(self, name: str) -> IO[str]:
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "w", encoding="utf-8", newline="")

    def bounds(self) -> tuple[int, int, str, str]:
        """(last seq before the month, last seq of the month, the hashes at both)."""

        def last_before(ts: str) -> tuple[int, str]:
            row = self.conn.execute(
                "SELECT seq, hash FROM events WHERE ts < ? ORDER BY ts DESC, seq DESC LIMIT 1", (ts,)
            ).fetchone()
            return (row[0], row[1]) if row else (0, GENESIS)

        before, before_hash = last_before(self.period.start_ts)
        end, end_hash = last_before(self.period.end_ts)
        return before, end, before_hash, end_hash

    # -- the log excerpt -----------------------------------------------------------------

    def write_log(self, before: int, end: int) -> dict[str, Any]:
        """Write the excerpt, count the work, and keep a compact copy of every alert event
        in the scratch file for the alert figures (so no event body is read twice)."""
        work: dict[str, dict[str, int]] = {}
        incidents: set[int] = set()
        n = excluded = 0
        every = max(1, self.req.progress_every)
        keep = self.scratch.execute
        insert = "INSERT INTO month_events VALUES (?, ?, ?, ?, ?, ?, ?)"
        pending: list[tuple[Any, ...]] = []
        keep("BEGIN")
        with self.open_text(pack.LOG_JSONL) as jl, self.open_text(pack.LOG_CSV) as cf:
            w = pack.csv_writer(cf)
            w.writerow(pack.LOG_COLUMNS)
            cur = self.conn.execute(
                "SELECT seq, body, prev_hash, hash FROM events WHERE seq > ? AND seq <= ? ORDER BY seq",
                (before, end),
            )
            for seq, body, prev_hash, hash_ in cur:
                d = json.loads(body)
                jl.write(pack.log_line(seq, body, prev_hash, hash_, d))
                jl.write("\n")
                w.writerow(pack.log_row(seq, body, d, prev_hash, hash_))
                payload, action, target, actor = d["payload"], d["action"], d["target"], d["actor"]
                exercise = d.get("exercise")
                n += 1
                if n % every == 0:
                    self.say(f"log: {n:,} events written (event {seq:,} of {end:,})")
                marked = is_exercise(d)
                if target.startswith("alert:"):
                    text = (
                        compact_ingest(payload)
                        if action == ev.ALERT_INGESTED
                        else pack.payload_text(body, payload)
                    )
                    pending.append((int(target[6:]), seq, action, actor, d["ts"], exercise, text))
                    if len(pending) >= 5000:
                        self.scratch.executemany(insert, pending)
                        pending.clear()
                if marked:
                    excluded += 1
                    continue
                kind = WORK.get(action)
                if kind is not None:
                    per = work.setdefault(actor, dict.fromkeys(WORK_COLUMNS, 0))
                    per[kind] += 1
                if target.startswith("incident:"):
                    incidents.add(int(target[9:]))
                elif isinstance(payload.get("incident"), int):
                    incidents.add(payload["incident"])
        self.scratch.executemany(insert, pending)
        keep("COMMIT")
        for per in work.values():
            per["total"] = sum(per[k] for k in WORK_COLUMNS)
        return {"events": n, "exercise_excluded": excluded, "work": work, "incidents": incidents}

    # -- alerts --------------------------------------------------------------------------

    def _breach(
        self, a: AlertState, target: str, due: datetime | None, done: datetime | None, carried: bool
    ) -> None:
        if due is None or not (self.start <= due < self.end):
            return
        if done is not None and done <= due:
            return
        late = (done or self.end) - due
        self.scratch.execute(
            "INSERT OR REPLACE INTO breaches VALUES (?, ?, ?, ?, ?, ?, ?)",
            (a.id, a.severity, target, format_ts(due), fmt(done), late.total_seconds(), int(carried)),
        )

    def write_alerts(self, end_seq: int) -> int:
        n = 0
        every = max(1, self.req.progress_every // 10)
        sc = self.scratch
        sc.execute("BEGIN")
        with self.open_text(pack.ALERTS_CSV) as fh:
            w = pack.csv_writer(fh)
            w.writerow(pack.ALERT_COLUMNS)
            for a in month_alerts(sc):
                if a.exercise:
                    continue
                fired, ingested = parse_time(a.fired_at), parse_time(a.ingested_at)
                responded, closed = at(a.responded_at), at(a.resolved_at)
                ack_due, close_due = at(a.ack_due), at(a.close_due)
                ack_state = a.ack_target(self.end) or ""
                close_state = a.close_target(self.end) or ""
                ack_s = _seconds(responded, ingested)
                close_s = _seconds(closed, ingested)
                w.writerow(
                    pack.cells(
                        [
                            a.id, a.source, a.index_name, a.doc_id, a.rule_name, a.rule_id, a.title,
                            a.severity, a.original_severity, fmt(fired),
                            self.period.contains(fired), fmt(ingested), a.ingest_seq,
                            fmt(a.acknowledged_at), a.acknowledged_by, " > ".join(a.assignees),
                            a.status, fmt(closed), a.closed_by, a.disposition, a.close_reason,
                            a.close_override, a.reopened, a.playbook_id, a.required_done,
                            len(a.required_steps), fmt(ack_due), str(ack_state), fmt(close_due),
                            str(close_state), ack_s, close_s, a.incident_id,
                        ]
                    )
                )  # fmt: skip
                sc.execute(
                    "INSERT INTO month_alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        a.id,
                        a.severity,
                        a.rule,
                        self.period.local_day(ingested),
                        ack_s,
                        close_s,
                        a.disposition if a.status == "closed" else None,
                        a.status,
                    ),
                )
                self._breach(a, "acknowledge", ack_due, responded, carried=False)
                self._breach(a, "close", close_due, closed, carried=False)
                n += 1
                if n % every == 0:
                    self.say(f"alerts: {n:,} written")
        sc.execute("COMMIT")
        return n

    def _open_at(self, seq: int) -> Iterator[int]:
        """Ids of alerts in the log at ``seq`` and not closed at that point (by their events)."""
        rows = self.conn.execute(
            """SELECT a.id FROM alerts a WHERE a.ingest_seq <= :seq AND coalesce((
                   SELECT e.action FROM events e WHERE e.target = 'alert:' || a.id AND e.seq <= :seq
                   AND e.action IN (:closed, :reopened) ORDER BY e.seq DESC LIMIT 1
               ), '') != :closed ORDER BY a.id""",
            {"seq": seq, "closed": ev.ALERT_CLOSED, "reopened": ev.ALERT_REOPENED},
        )
        for (alert_id,) in rows:
            yield alert_id

    def carried_over(self, before: int, end_seq: int) -> int:
        """Alerts still open when the month began: their targets that fell due this month."""
        n = 0
        self.scratch.execute("BEGIN")
        for alert_id in self._open_at(before):
            a = alert_as_of(self.conn, alert_id, end_seq)
            if a is None or a.exercise:
                continue
            self._breach(a, "acknowledge", at(a.ack_due), at(a.responded_at), carried=True)
            self._breach(a, "close", at(a.close_due), at(a.resolved_at), carried=True)
            n += 1
        self.scratch.execute("COMMIT")
        return n

    def write_backlog(self, before: int, end_seq: int) -> dict[str, Any]:
        by_sev = dict.fromkeys(metrics.SEVERITIES, 0)
        by_status: dict[str, int] = {"new": 0, "acknowledged": 0}
        total = oldest = 0
        with self.open_text(pack.BACKLOG_CSV) as fh:
            w = pack.csv_writer(fh)
            w.writerow(pack.BACKLOG_COLUMNS)
            for alert_id in self._open_at(end_seq):
                a = alert_as_of(self.conn, alert_id, end_seq)
                if a is None or a.exercise:
                    continue
                age = int((self.end - parse_time(a.ingested_at)).total_seconds())
                w.writerow(
                    pack.cells(
                        [
                            a.id, a.severity, a.status, a.assignee, a.rule, a.title, fmt(a.ingested_at), age,
                            fmt(a.ack_due), fmt(a.close_due), a.ingest_seq > before,
                        ]
                    )
                )  # fmt: skip
                total += 1
                by_sev[a.severity] = by_sev.get(a.severity, 0) + 1
                by_status[a.status] = by_status.get(a.status, 0) + 1
                oldest = max(oldest, age)
        return {"total": total, "by_severity": by_sev, "by_status": by_status, "oldest_age_s": oldest}

    def write_breaches(self) -> None:
        with self.open_text(pack.BREACHES_CSV) as fh:
            w = pack.csv_writer(fh)
            w.writerow(pack.BREACH_COLUMNS)
            for b in metrics.iter_breaches(self.scratch):
                w.writerow(pack.cells([b[c] for c in pack.BREACH_COLUMNS]))

    # -- incidents -----------------------------------------------------------------------

    def write_incidents(self, touched: set[int], end_seq: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        with self.open_text(pack.INCIDENTS_CSV) as fh:
            w = pack.csv_writer(fh)
            w.writerow(pack.INCIDENT_COLUMNS)
            ids = [
                r[0]
                for r in self.conn.execute(
                    "SELECT id FROM incidents WHERE created_at < ? ORDER BY id", (self.period.end_ts,)
                )
            ]
            for incident_id in ids:
                inc = incident_as_of(self.conn, incident_id, end_seq)
                if inc is None or (incident_id not in touched and inc.status != "open"):
                    continue
                timeline = pack.incident_timeline(incident_id)
                with self.open_text(timeline) as tf:
                    tw = pack.csv_writer(tf)
                    tw.writerow(pack.TIMELINE_COLUMNS)
                    for seq, body, hash_ in self.conn.execute(
                        "SELECT e.seq, e.body, e.hash FROM timeline t JOIN events e ON e.seq = t.seq"
                        " WHERE t.ref = ? AND t.seq <= ? ORDER BY t.seq",
                        (f"incident:{incident_id}", end_seq),
                    ):
                        d = json.loads(body)
                        if is_exercise(d):
                            continue
                        tw.writerow(pack.timeline_row(seq, body, d, hash_))
                row = {
                    "id": inc.id,
                    "title": inc.title,
                    "severity": inc.severity,
                    "status_at_month_end": inc.status,
                    "owner": inc.owner,
                    "created_at": inc.created_at,
                    "created_by": inc.created_by,
                    "closed_at": inc.closed_at,
                    "alerts": " ".join(str(a) for a in inc.alerts),
                    "events": inc.events,
                    "timeline": timeline,
                }
                w.writerow(pack.cells([row[c] for c in pack.INCIDENT_COLUMNS]))
                out.append(row)
        return out

    # -- exercises and sign-offs ---------------------------------------------------------

    def _ref_events(self, lo: str, hi: str) -> Iterator[tuple[int, str, str, str]]:
        yield from self.conn.execute(
            "SELECT e.seq, e.body, e.prev_hash, e.hash FROM timeline t JOIN events e ON e.seq = t.seq"
            " WHERE t.ref >= ? AND t.ref < ? ORDER BY t.seq",
            (lo, hi),
        )

    def _find_minutes(self, digest: str, exercise_id: str) -> Path | None:
        root = self.req.exercises_dir
        if root is None or not root.is_dir():
            return None
        candidates = sorted(p for p in root.rglob("*") if p.is_file())
        candidates.sort(key=lambda p: exercise_id not in str(p.relative_to(root)))  # likely ones first
        for path in candidates:
            if _sha256_file(path) == digest:
                return path
        return None

    def write_exercises(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        with self.open_text(pack.EXERCISES_CSV) as fh:
            w = pack.csv_writer(fh)
            w.writerow(pack.EXERCISE_COLUMNS)
            for seq, body, _prev, _hash in self._ref_events("exercise:", "exercise;"):
                d = json.loads(body)
                if d["action"] != ev.EXERCISE_RECORDED:
                    continue
                p = d["payload"]
                if not self.period.contains(parse_time(p["started_at"])):
                    continue
                found = self._find_minutes(p["minutes_sha256"], p["exercise_id"])
                minutes = ""
                if found is not None:
                    minutes = pack.exercise_minutes(p["exercise_id"], found.name)
                    (self.dir / minutes).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(found, self.dir / minutes)
                row = {
                    "exercise_id": p["exercise_id"],
                    "title": p["title"],
                    "started_at": p["started_at"],
                    "ended_at": p["ended_at"],
                    "score": p.get("score"),
                    "minutes_sha256": p["minutes_sha256"],
                    "minutes_file": minutes,
                    "recorded_by": d["actor"],
                    "recorded_at": d["ts"],
                    "seq": seq,
                }
                w.writerow(pack.cells([row[c] for c in pack.EXERCISE_COLUMNS]))
                out.append(row)
        return out

    def write_signoffs(self) -> list[pack.SignoffEntry]:
        ref = pack.signoff_target(self.period.month)
        out: list[pack.SignoffEntry] = []
        with self.open_text(pack.SIGNOFFS_JSONL) as fh:
            for seq, body, prev, hash_ in self._ref_events(ref, ref + "\x00"):
                d = json.loads(body)
                if d["action"] != pack.SIGNOFF_ACTION:
                    continue
                fh.write(pack.log_line(seq, body, prev, hash_, d) + "\n")
                out.append(pack.signoff_entry(seq, d))
        return out

    # -- checkpoints ---------------------------------------------------------------------

    def checkpoints(self, before: int, end_seq: int) -> list[dict[str, Any]]:
        """The signed checkpoints that cover the month: the last one at or before its start,
        every one inside it, and the first one after its end."""
        rows = self.conn.execute("SELECT n, seq, record FROM checkpoints ORDER BY n").fetchall()
        chosen: list[str] = []
        last_before: str | None = None
        after: str | None = None
        for _n, seq, record in rows:
            if seq <= before:
                last_before = record
            elif seq <= end_seq:
                chosen.append(record)
            elif after is None:
                after = record
        records = ([last_before] if last_before else []) + chosen + ([after] if after else [])
        return [json.loads(r) for r in records]


def _zip_dir(src: Path, dest: Path, root_name: str) -> None:
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in src.rglob("*") if p.is_file()):
            zf.write(path, f"{root_name}/{path.relative_to(src).as_posix()}")


def export_pack(ws: Workspace, req: ExportRequest) -> ExportResult:
    period = month_period(req.month, req.timezone)
    if period.end > utc_now():
        raise CommandRejected(
            f"month {period.month} is not over yet (it ends {period.end_ts}); export it afterwards"
        )
    if ws.head()[0] == 0:
        raise CommandRejected("the workspace has no events yet: there is no evidence to export")
    out = req.out
    final = out.with_name(out.name + ".zip") if req.make_zip else out
    if final.exists() and (final.is_file() or any(final.iterdir())):
        raise CommandRejected(f"{final} already exists; evidence is never overwritten (choose another --out)")
    pub = public_raw(req.key.public_key())
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=final.parent))
    try:
        with tempfile.TemporaryDirectory(prefix="triage-evidence-") as tmp:
            result = _export(ws, req, period, work, Path(tmp) / "scratch.db", pub)
        if req.make_zip:
            partial = final.with_name(final.name + ".partial")
            _zip_dir(work, partial, out.name)
            os.replace(partial, final)
            shutil.rmtree(work)
        else:
            if final.exists():
                final.rmdir()
            os.replace(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    result.path = final
    return result


def _export(
    ws: Workspace, req: ExportRequest, period: Period, work: Path, scratch: Path, pub: bytes
) -> ExportResult:
    conn = ws.conn
    ex = _Exporter(ws, req, period, work, scratch)
    conn.execute("BEGIN")  # one snapshot of the workspace for the whole export
    try:
        before, end_seq, before_hash, end_hash = ex.bounds()
        export_head = ws.head()
        checkpoints = ex.checkpoints(before, end_seq)
        foreign = {c.get("key_id") for c in checkpoints} - {key_id(pub)}
        if foreign:
            raise SigningError(
                f"checkpoints covering {period.month} were signed by key"
                f" {', '.join(sorted(map(str, foreign)))},"
                f" not by this signing key ({key_id(pub)}); export with the key that signs the checkpoints"
            )
        ex.say(f"exporting {period.month}: events {before + 1:,} to {end_seq:,}")
        log = ex.write_log(before, end_seq)
        n_alerts = ex.write_alerts(end_seq)
        ex.say(f"alerts: {n_alerts:,} received in {period.month}; checking carried-over targets and backlog")
        ex.carried_over(before, end_seq)
        backlog = ex.write_backlog(before, end_seq)
        ex.write_breaches()
        incidents = ex.write_incidents(log["incidents"], end_seq)
        exercises = ex.write_exercises()
        signoffs = ex.write_signoffs()
        ex.say("verifying the whole chain")
        verification = verify_workspace(
            conn, ws.id, anchor_files=[p for p in req.anchor_files if p.exists()], public_key=pub
        )
    finally:
        conn.execute("ROLLBACK")
    figures = metrics.compute(ex.scratch, [d.isoformat() for d in period.days()])
    ex.scratch.close()
    figures.update(
        {
            "month": period.month,
            "timezone": period.timezone,
            "period": {"start": period.start_ts, "end": period.end_ts},
            "backlog_at_month_end": backlog,
            "work_per_analyst": dict(sorted(log["work"].items())),
            "events_in_month": log["events"],
            "exercise_events_excluded": log["exercise_excluded"],
            "incidents": len(incidents),
            "exercises": len(exercises),
            "signoffs": len(signoffs),
        }
    )
    _dump_json(work / pack.METRICS_JSON, figures)
    verification_doc = {"verified_at": now_ts(), **verification.as_dict(), "summary": verification.summary()}
    _dump_json(work / pack.VERIFICATION_JSON, verification_doc)
    manifest: pack.Manifest = {
        "format": pack.FORMAT,
        "version": pack.VERSION,
        "workspace": ws.id,
        "month": period.month,
        "timezone": period.timezone,
        "period": {"start": period.start_ts, "end": period.end_ts},
        "generated_at": now_ts(),
        "generated_by": req.actor,
        "log": {
            "file": pack.LOG_JSONL,
            "first_seq": before + 1,
            "last_seq": end_seq,
            "events": log["events"],
            "prev_hash": before_hash,
        },
        "head_at_month_end": {"seq": end_seq, "hash": end_hash},
        "head_at_export": {"seq": export_head[0], "hash": export_head[1]},
        "chain_verification": {
            "ok": verification.ok,
            "summary": verification.summary(),
            "problems": len(verification.problems),
        },
        "checkpoints": checkpoints,
        "signoffs": signoffs,
        "key_id": key_id(pub),
        "public_key": base64.b64encode(pub).decode("ascii"),
        "files": [],  # listed last, once every other file is written
    }
    report_data = report.ReportData(
        manifest=manifest,
        figures=figures,
        incidents=incidents,
        exercises=exercises,
        breaches=_first_breaches(work / pack.BREACHES_CSV, report.BREACHES_SHOWN),
        verification=verification_doc,
    )
    (work / pack.REPORT_MD).write_text(report.markdown(report_data), encoding="utf-8")
    (work / pack.REPORT_HTML).write_text(report.html(report_data), encoding="utf-8")
    (work / pack.PUBLIC_KEY).write_bytes(_public_pem(req.key))
    files = sorted(
        (p.relative_to(work).as_posix(), p)
        for p in work.rglob("*")
        if p.is_file() and p.relative_to(work).as_posix() not in pack.UNLISTED
    )
    manifest["files"] = [
        {"path": name, "sha256": _sha256_file(p), "bytes": p.stat().st_size} for name, p in files
    ]
    data = pack.manifest_bytes(manifest)
    (work / pack.MANIFEST).write_bytes(data)
    (work / pack.SIGNATURE).write_text(
        base64.b64encode(req.key.sign(data)).decode("ascii") + "\n", encoding="ascii"
    )
    return ExportResult(
        path=work,
        month=period.month,
        alerts=n_alerts,
        events=log["events"],
        backlog=backlog["total"],
        breaches=figures["breaches"]["total"],
        chain_ok=verification.ok,
        files=len(files) + 2,
    )


def _first_breaches(path: Path, limit: int) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    with open(path, encoding="utf-8", newline="") as fh:
        rows = pack.csv_rows(fh)
        header = next(rows)
        for row in rows:
            if len(out) >= limit:
                break
            out.append(dict(zip(header, row, strict=True)))
    return out


def _public_pem(key: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _dump_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=True) + "\n", encoding="ascii")
