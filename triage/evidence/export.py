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
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from triage.clock import now_ts, utc_now
from triage.errors import CommandRejected, SigningError
from triage.evidence import metrics, pack, report
from triage.evidence.period import Period, month_period
from triage.evidence.sections import Exporter
from triage.evidence.sink import PackSink
from triage.evidence.writer_base import ExportRequest as ExportRequest  # re-exported: the public request
from triage.store.anchor import key_id, public_raw
from triage.store.verify import verify_workspace
from triage.store.workspace import Workspace


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
    partial = final.with_name(final.name + ".partial")
    sink = PackSink(work, partial if req.make_zip else None, out.name)
    try:
        with tempfile.TemporaryDirectory(prefix="triage-evidence-") as tmp:
            result = _export(ws, req, period, work, Path(tmp) / "scratch.db", pub, sink)
        if req.make_zip:
            os.replace(partial, final)
            shutil.rmtree(work)
        else:
            if final.exists():
                final.rmdir()
            os.replace(work, final)
    except BaseException:
        sink.abort()
        shutil.rmtree(work, ignore_errors=True)
        partial.unlink(missing_ok=True)
        raise
    result.path = final
    return result


def _export(
    ws: Workspace, req: ExportRequest, period: Period, work: Path, scratch: Path, pub: bytes, sink: PackSink
) -> ExportResult:
    """Write the pack's files into ``work``, each section's handed to ``sink`` (hashed, and
    zipped for a zipped pack, beside the next section) once written."""
    conn = ws.conn
    ex = Exporter(ws, req, period, work, scratch)
    with ws.snapshot():  # one snapshot of the workspace for the whole export
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
        sink.add_new()
        n_alerts = ex.write_alerts(end_seq)
        ex.say(f"alerts: {n_alerts:,} received in {period.month}; checking carried-over targets and backlog")
        ex.carried_over(before, end_seq)
        backlog = ex.write_backlog(before, end_seq)
        ex.write_breaches()
        incidents = ex.write_incidents(log["incidents"], end_seq)
        exercises = ex.write_exercises()
        signoffs = ex.write_signoffs()
        handovers = ex.write_handovers(before, end_seq)
        suppressions = ex.write_suppressions(end_seq, log["suppressed"])
        sink.add_new()
        ex.say("verifying the whole chain")
        verification = verify_workspace(
            conn, ws.id, anchor_files=[p for p in req.anchor_files if p.exists()], public_key=pub
        )
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
            "handovers": len(handovers),
            "notifications": log["notifications"],
            "suppressions": {
                "rules_active": len(suppressions),
                "alerts_closed": sum(r["alerts_closed_in_month"] for r in suppressions),
            },
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
        handovers=handovers,
        suppressions=suppressions,
        breaches=_first_breaches(work / pack.BREACHES_CSV, report.BREACHES_SHOWN),
        verification=verification_doc,
    )
    (work / pack.REPORT_MD).write_text(report.markdown(report_data), encoding="utf-8")
    (work / pack.REPORT_HTML).write_text(report.html(report_data), encoding="utf-8")
    (work / pack.PUBLIC_KEY).write_bytes(_public_pem(req.key))
    sink.add_new()
    manifest["files"] = files = sink.files()
    data = pack.manifest_bytes(manifest)
    (work / pack.MANIFEST).write_bytes(data)
    (work / pack.SIGNATURE).write_text(
        base64.b64encode(req.key.sign(data)).decode("ascii") + "\n", encoding="ascii"
    )
    sink.finish(pack.MANIFEST, pack.SIGNATURE)
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
