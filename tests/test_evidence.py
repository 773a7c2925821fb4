"""The monthly evidence pack: a scripted month with a fake clock, every figure checked
against a hand-computed expectation, then the pack attacked and verified."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import random
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage import clock
from triage.cli.main import cli as triage_cli
from triage.commands import Commands
from triage.errors import ArgumentError, CommandRejected, SigningError
from triage.evidence import ExportRequest, export_pack, month_period, verify_pack
from triage.evidence import pack as evidence_pack
from triage.evidence.metrics import nearest_rank
from triage.playbooks import PlaybookSet
from triage.queries import get_alert
from triage.sources.files import FileSource
from triage.store import anchor as anchoring
from triage.store.chain import canonical
from triage.store.workspace import Workspace

from .conftest import Cli, make_alert
from .test_cli import _run
from .test_profiles import ECS, ELASTIC_HIT

OCT = "2026-10"
OVERRIDE = "contained; documented in the ticket"


class FakeClock:
    """A settable clock: every event gets the time the script says."""

    def __init__(self) -> None:
        self.now = datetime(2026, 9, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def at(self, month: int, day: int, hour: int = 0, minute: int = 0) -> None:
        self.now = datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def fake_clock() -> Iterator[FakeClock]:
    fc = FakeClock()
    clock.set_clock(fc)
    try:
        yield fc
    finally:
        clock.set_clock(None)


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "anchor.key"
    anchoring.generate_key(path)
    return path


def _as(ws: Workspace, playbooks: PlaybookSet, who: str) -> Commands:
    return Commands(ws, playbooks, who)


class Month:
    """October 2026, scripted. Times below are UTC; targets come from the bundled playbooks
    (brute-force high: acknowledge 30m, close 8h; critical 15m/4h; low 1d/5d;
    default medium: 8h/3d)."""

    def __init__(self, ws: Workspace, playbooks: PlaybookSet, fc: FakeClock, key: Path) -> None:
        self.ws, self.pb, self.fc = ws, playbooks, fc
        self.key = anchoring.load_private_key(key)
        self.anchors = key.parent / "anchors.jsonl"
        self.ids: dict[str, int] = {}

    def cmd(self, who: str) -> Commands:
        return _as(self.ws, self.pb, who)

    def ingest(self, name: str, **fields: Any) -> int:
        (alert_id,) = self.cmd("poller").ingest([make_alert(**fields)]).alert_ids
        self.ids[name] = alert_id
        return alert_id

    def anchor(self) -> None:
        with self.ws.write():
            anchoring.anchor(self.ws.conn, self.ws.id, self.key, self.anchors)

    def exercise_alert(self) -> int:
        """An alert marked as part of an exercise, and an action on it: never in the figures."""
        alert_id = int(self.ws.conn.execute("SELECT max(id) FROM alerts").fetchone()[0]) + 1
        alert = make_alert(rule_name="Tabletop beacon", title="Tabletop beacon", severity="critical")
        with self.ws.write() as w:
            w.append(
                "eve",
                "alert.ingested",
                f"alert:{alert_id}",
                {"dedup_key": f"ex/{alert_id}", "alert": alert.model_dump(mode="json"), "playbook": None,
                 "exercise": "tt-2026-10"},
            )  # fmt: skip
            w.append("eve", "alert.acknowledged", f"alert:{alert_id}", {"assignee": "eve", "exercise": "tt"})
        return alert_id

    def script(self) -> None:
        fc, c = self.fc, self.cmd
        ssh = {"rule_name": "SSH Brute Force", "title": "SSH Brute Force"}
        weird = {"rule_name": "Weird thing", "title": "Weird thing", "techniques": ()}
        # Before the month: A9 (low, never handled) and A0 (high, handled on 1 October).
        fc.at(9, 15, 12)
        self.ingest("A9", severity="low", fired_at=datetime(2026, 9, 15, 11, tzinfo=UTC), **ssh)
        fc.at(9, 30, 20)
        self.ingest("A0", severity="high", fired_at=datetime(2026, 9, 30, 19, 58, tzinfo=UTC), **ssh)
        fc.at(9, 30, 23)
        self.anchor()  # checkpoint 1, before the month
        # 1 October
        fc.at(10, 1, 8)
        c("bob").acknowledge(self.ids["A0"])
        fc.at(10, 1, 9)
        # fired late on 30 September, reached the queue on 1 October: it belongs to October
        self.ingest("A1", severity="high", fired_at=datetime(2026, 9, 30, 23, 59, tzinfo=UTC), **ssh)
        fc.at(10, 1, 9, 10)
        c("bob").acknowledge(self.ids["A1"])
        fc.at(10, 1, 10)
        c("bob").close(self.ids["A0"], "true_positive", "blocked", override=OVERRIDE)
        fc.at(10, 1, 11)
        c("bob").close(self.ids["A1"], "false_positive", "pentest", override=OVERRIDE)
        # 2 October: A2 acknowledged late, escalated, closed late
        fc.at(10, 2, 10)
        self.ingest("A2", severity="high", fired_at=datetime(2026, 10, 2, 9, 59, tzinfo=UTC), **ssh)
        fc.at(10, 2, 10, 40)
        c("alice").acknowledge(self.ids["A2"])
        fc.at(10, 2, 10, 50)
        c("alice").escalate(self.ids["A2"], title="Spray against the VPN")
        fc.at(10, 2, 20)
        c("alice").close(self.ids["A2"], "true_positive", "confirmed", override=OVERRIDE)
        # 3 October: A3 passed from carol to dave, acknowledged, closed only in November
        fc.at(10, 3, 8)
        self.ingest("A3", severity="high", fired_at=datetime(2026, 10, 3, 7, 59, tzinfo=UTC), **ssh)
        fc.at(10, 3, 8, 5)
        c("alice").assign(self.ids["A3"], "carol")
        fc.at(10, 3, 8, 10)
        c("carol").assign(self.ids["A3"], "dave")
        fc.at(10, 3, 8, 20)
        c("dave").acknowledge(self.ids["A3"])
        fc.at(10, 4, 9)
        c("alice").update_incident(1, status="closed", reason="contained")
        # Weird thing (default playbook, medium): A4, A5, A6, A8
        fc.at(10, 5, 12)
        self.ingest("A4", severity="medium", **weird)
        fc.at(10, 5, 13)
        c("alice").acknowledge(self.ids["A4"])
        fc.at(10, 6, 12)
        c("alice").close(self.ids["A4"], "false_positive", "noise", override=OVERRIDE)
        fc.at(10, 10, 0)
        self.ingest("A5", severity="medium", **weird)
        fc.at(10, 10, 2)
        c("carol").acknowledge(self.ids["A5"])
        fc.at(10, 10, 6)
        c("carol").close(self.ids["A5"], "false_positive", "noise", override=OVERRIDE)
        fc.at(10, 12, 9)
        self.ids["EX"] = self.exercise_alert()
        fc.at(10, 14, 12)
        c("alice").record_exercise(
            "tt-2026-10", "Ransomware tabletop", "2026-10-14T09:00:00Z", "2026-10-14T11:00:00Z",
            hashlib.sha256(b"minutes of the ransomware tabletop\n").hexdigest(), 82.5,
        )  # fmt: skip
        c("alice").record_exercise(
            "tt-2026-09", "Phishing tabletop", "2026-09-20T09:00:00Z", "2026-09-20T10:00:00Z", "a" * 64
        )
        fc.at(10, 15, 0)
        self.ingest("A6", severity="medium", **weird)
        fc.at(10, 15, 0, 30)
        c("dave").acknowledge(self.ids["A6"])
        fc.at(10, 15, 0, 40)
        c("dave").note(self.ids["A6"], "=cmd|' /C calc'!A0 looks like a formula")
        fc.at(10, 15, 1)
        c("dave").close(self.ids["A6"], "false_positive", "noise", override=OVERRIDE)
        fc.at(10, 15, 12)
        self.anchor()  # checkpoint 2, inside the month
        # A8: closed, reopened, closed again
        fc.at(10, 20, 0)
        self.ingest("A8", severity="medium", **weird)
        fc.at(10, 20, 0, 10)
        c("bob").acknowledge(self.ids["A8"])
        fc.at(10, 20, 0, 20)
        c("bob").complete_step(self.ids["A8"], "validate")
        fc.at(10, 20, 1)
        c("bob").close(self.ids["A8"], "false_positive", "noise", override=OVERRIDE)
        fc.at(10, 20, 2)
        c("alice").reopen(self.ids["A8"], "came back")
        fc.at(10, 21, 0)
        c("alice").close(self.ids["A8"], "benign_true_positive", "admin script", override=OVERRIDE)
        # 31 October 23:00: A7, critical, not acknowledged before the month ends
        fc.at(10, 31, 23)
        self.ingest("A7", severity="critical", fired_at=datetime(2026, 10, 31, 22, 59, tzinfo=UTC), **ssh)
        # November: what happened after the month must not change October's figures
        fc.at(11, 1, 0, 10)
        c("bob").acknowledge(self.ids["A7"])
        fc.at(11, 1, 1)
        self.anchor()  # checkpoint 3, after the month
        fc.at(11, 2, 9)
        c("dave").close(self.ids["A3"], "true_positive", "late", override=OVERRIDE)
        fc.at(11, 3, 10)
        c("ciso").sign_evidence(OCT, "I reviewed the October monitoring evidence.")
        fc.at(11, 5, 9)


@pytest.fixture
def month(ws: Workspace, playbooks: PlaybookSet, fake_clock: FakeClock, key_path: Path) -> Month:
    m = Month(ws, playbooks, fake_clock, key_path)
    m.script()
    return m


def export(m: Month, out: Path, **kw: Any) -> Path:
    req = ExportRequest(
        month=kw.pop("month", OCT), out=out, key=m.key, actor="secops", anchor_files=[m.anchors], **kw
    )
    return export_pack(m.ws, req).path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def pack(month: Month, tmp_path: Path) -> Path:
    minutes = tmp_path / "minutes"
    minutes.mkdir()
    (minutes / "tt-2026-10.md").write_bytes(b"minutes of the ransomware tabletop\n")
    (minutes / "other.md").write_bytes(b"something else\n")
    return export(month, tmp_path / "pack", exercises_dir=minutes)


# -- the figures ------------------------------------------------------------------------


def test_percentile_definition() -> None:
    # nearest rank: p90 of 10 values is the 9th, of 3 values the 3rd, of 1 value the 1st
    assert [nearest_rank(n, 90) for n in (1, 2, 3, 4, 10, 11)] == [0, 1, 2, 3, 8, 9]
    assert nearest_rank(4, 50) == 1


def test_month_period_in_a_time_zone() -> None:
    p = month_period("2026-10", "Europe/Berlin")  # CEST until 25 October
    assert p.start_ts == "2026-09-30T22:00:00.000000Z" and p.end_ts == "2026-10-31T23:00:00.000000Z"
    assert len(p.days()) == 31
    utc = month_period("2026-12")
    assert utc.end_ts == "2027-01-01T00:00:00.000000Z"
    for bad in ("2026-13", "Oct", "2026-1", "2026-00", ""):
        with pytest.raises(ArgumentError, match="is not a month"):
            month_period(bad)


def test_metrics_match_the_hand_computed_figures(pack: Path) -> None:
    m = json.loads((pack / "metrics.json").read_text())
    assert m["alerts_total"] == 8  # A1-A8; A0 and A9 came in September, the exercise alert is excluded
    assert m["alerts_by_severity"] == {"critical": 1, "high": 3, "medium": 4, "low": 0, "informational": 0}
    tta, ttc = m["time_to_acknowledge"], m["time_to_close"]
    # high: A1 10m, A2 40m, A3 20m -> median 20m, p90 (rank 3 of 3) 40m
    assert tta["high"] == {"count": 3, "median_s": 1200.0, "p90_s": 2400.0}
    # medium: A4 1h, A5 2h, A6 30m, A8 10m -> median (30m + 1h) / 2, p90 (rank 4 of 4) 2h
    assert tta["medium"] == {"count": 4, "median_s": 2700.0, "p90_s": 7200.0}
    assert tta["critical"] == {"count": 0, "median_s": None, "p90_s": None}  # A7 only in November
    # close: high A1 2h, A2 10h (A3 open at month end); medium A4 24h, A5 6h, A6 1h, A8 24h (last close)
    assert ttc["high"] == {"count": 2, "median_s": 21600.0, "p90_s": 36000.0}
    assert ttc["medium"] == {"count": 4, "median_s": 54000.0, "p90_s": 86400.0}
    per_day = m["alerts_per_day"]
    assert len(per_day) == 31 and sum(per_day.values()) == 8
    assert {d: n for d, n in per_day.items() if n} == {
        f"2026-10-{d:02d}": 1 for d in (1, 2, 3, 5, 10, 15, 20, 31)
    }
    assert per_day["2026-10-12"] == 0  # the exercise alert's day
    # backlog at month end: A3 (closed on 2 November), A7 (acknowledged on 1 November), A9 (September)
    assert m["backlog_at_month_end"]["total"] == 3
    assert m["backlog_at_month_end"]["by_severity"] == {
        "critical": 1, "high": 1, "medium": 0, "low": 1, "informational": 0
    }  # fmt: skip
    assert m["backlog_at_month_end"]["by_status"] == {"new": 2, "acknowledged": 1}
    assert m["alerts_by_status_at_month_end"] == {"new": 1, "acknowledged": 1, "closed": 6}
    work = m["work_per_analyst"]
    assert set(work) == {"alice", "bob", "carol", "dave"}  # eve acted only in the exercise
    assert work["alice"] == {
        "acknowledged": 2, "assigned": 1, "closed": 3, "escalations": 1, "incident_updates": 1,
        "notes": 0, "reopened": 1, "severity_changes": 0, "steps": 0, "suppressions": 0, "total": 9,
    }  # fmt: skip
    assert (work["bob"]["acknowledged"], work["bob"]["closed"], work["bob"]["steps"]) == (3, 3, 1)
    assert work["bob"]["total"] == 7
    assert work["carol"]["total"] == 3 and work["carol"]["assigned"] == 1
    assert work["dave"] == {
        **dict.fromkeys(work["dave"], 0),
        "acknowledged": 2,
        "notes": 1,
        "closed": 1,
        "total": 4,
    }
    fp = m["false_positive_rate_per_rule"]
    # Weird thing: A4, A5, A6 false positives, A8 benign -> 3 of 4; SSH: A1 of A1, A2 closed -> 1 of 2
    assert fp == [
        {"rule": "Weird thing", "alerts": 4, "closed": 4, "false_positives": 3, "rate": 0.75},
        {"rule": "SSH Brute Force", "alerts": 4, "closed": 2, "false_positives": 1, "rate": 0.5},
    ]
    assert m["exercise_events_excluded"] == 2
    assert m["breaches"]["total"] == 5
    assert m["incidents"] == 1 and m["exercises"] == 1 and m["signoffs"] == 1


def test_breaches_listed_one_by_one(pack: Path, month: Month) -> None:
    ids = month.ids
    rows = [
        (
            int(r["alert"]),
            r["target"],
            r["due"][:16],
            r["done_at"][:16],
            float(r["late_by_s"]),
            r["carried_over"],
        )
        for r in read_csv(pack / "breaches.csv")
    ]
    assert rows == [
        (ids["A0"], "close", "2026-10-01T04:00", "2026-10-01T10:00", 21600.0, "true"),  # from September
        (ids["A2"], "acknowledge", "2026-10-02T10:30", "2026-10-02T10:40", 600.0, "false"),
        (ids["A2"], "close", "2026-10-02T18:00", "2026-10-02T20:00", 7200.0, "false"),
        (ids["A3"], "close", "2026-10-03T16:00", "", 28 * 86400 + 8 * 3600.0, "false"),  # open at month end
        (ids["A7"], "acknowledge", "2026-10-31T23:15", "", 2700.0, "false"),
    ]


def test_alerts_csv_is_as_of_month_end(pack: Path, month: Month) -> None:
    rows = {int(r["id"]): r for r in read_csv(pack / "alerts.csv")}
    ids = month.ids
    assert set(rows) == {ids[k] for k in ("A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8")}
    a1 = rows[ids["A1"]]
    assert a1["fired_in_month"] == "false" and a1["fired_at"].startswith("2026-09-30T23:59")
    assert (a1["acknowledge_target"], a1["close_target"], a1["disposition"]) == (
        "met",
        "met",
        "false_positive",
    )
    a3 = rows[ids["A3"]]
    assert a3["assignees"] == "carol > dave" and a3["first_acknowledged_by"] == "dave"
    assert a3["status_at_month_end"] == "acknowledged" and a3["closed_at"] == ""  # closed in November
    assert (a3["acknowledge_target"], a3["close_target"]) == ("met", "breached")
    a2 = rows[ids["A2"]]
    assert (
        a2["incident"] == "1" and a2["time_to_acknowledge_s"] == "2400" and a2["close_target"] == "breached"
    )
    a7 = rows[ids["A7"]]
    assert (a7["status_at_month_end"], a7["acknowledge_target"], a7["close_target"]) == (
        "new",
        "breached",
        "pending",
    )
    a8 = rows[ids["A8"]]
    assert (a8["required_steps_done"], a8["required_steps_total"], a8["reopened"]) == ("1", "4", "1")
    assert a8["disposition"] == "benign_true_positive" and a8["closed_at"].startswith("2026-10-21T00:00")
    assert a8["close_override"] == OVERRIDE and a8["playbook"] == "default"
    # Alerts untouched after October read exactly as the live projection does.
    for name in ("A1", "A2", "A4", "A5", "A6", "A8"):
        live = get_alert(month.ws, ids[name])
        row = rows[ids[name]]
        assert row["closed_at"] == live["closed_at"] and row["disposition"] == live["disposition"]
        assert row["first_acknowledged_at"] == live["acknowledged_at"]
        assert row["acknowledge_due"] == live["ack_due"] and row["close_due"] == live["close_due"]
    backlog = {int(r["id"]): r for r in read_csv(pack / "backlog.csv")}
    assert set(backlog) == {ids["A3"], ids["A7"], ids["A9"]}
    assert backlog[ids["A9"]]["received_this_month"] == "false"


def test_log_excerpt_incidents_exercises_and_signoff(pack: Path, month: Month) -> None:
    manifest = json.loads((pack / "manifest.json").read_text())
    lines = [json.loads(x) for x in (pack / "log.jsonl").read_text().splitlines()]
    first = lines[0]
    assert first["ts"].startswith("2026-10-01T08:00") and first["seq"] == manifest["log"]["first_seq"]
    assert lines[-1]["ts"].startswith("2026-10-31T23:00")
    assert manifest["head_at_month_end"] == {"seq": lines[-1]["seq"], "hash": lines[-1]["hash"]}
    stored = month.ws.event(lines[5]["seq"])
    assert stored is not None and lines[5]["body"] == stored.body and lines[5]["hash"] == stored.hash
    # exercise-marked events stay in the excerpt (the chain must be whole) but not in the figures
    assert sum('"exercise":"tt' in x["body"] for x in lines) == 2
    log_csv = read_csv(pack / "log.csv")
    assert len(log_csv) == len(lines)
    assert list(log_csv[0]) == [
        "seq", "ts", "actor", "action", "target", "exercise", "summary", "payload_sha256",
    ]  # fmt: skip
    # each row: the event's fields, a short summary and the payload's digest, not the payload
    for row, rec in zip(log_csv, lines, strict=True):
        d = json.loads(rec["body"])
        fields = [row[k] for k in ("seq", "ts", "actor", "action", "target")]
        assert fields == [str(rec["seq"]), d["ts"], d["actor"], d["action"], d["target"]]
        digest = hashlib.sha256(canonical(d["payload"]).encode()).hexdigest()  # a command's body is canonical
        assert row["payload_sha256"] == digest and len(row["summary"]) <= evidence_pack.SUMMARY_CHARS
    formula = next(r for r in log_csv if r["action"] == "alert.noted")
    assert formula["summary"] == "text==cmd|' /C calc'!A0 looks like a formula"
    ingested = next(r for r in log_csv if r["target"] == f"alert:{month.ids['A2']}")
    assert ingested["action"] == "alert.ingested"
    assert ingested["summary"].startswith("severity=high; title=SSH Brute Force; rule_name=SSH Brute Force")
    closed = next(r for r in log_csv if r["action"] == "alert.closed")
    assert closed["summary"].startswith("disposition=true_positive; reason=blocked; override={")
    assert closed["summary"].endswith("…")  # cut at SUMMARY_CHARS
    assert [c["n"] for c in manifest["checkpoints"]] == [1, 2, 3]
    assert manifest["chain_verification"]["ok"] is True
    incidents = read_csv(pack / "incidents.csv")
    assert [(i["id"], i["status_at_month_end"], i["title"]) for i in incidents] == [
        ("1", "closed", "Spray against the VPN")
    ]
    timeline = read_csv(pack / "incidents/incident-1.csv")
    assert [t["action"] for t in timeline] == ["alert.escalated", "incident.updated"]
    exercises = read_csv(pack / "exercises.csv")
    assert [(e["exercise_id"], e["score"], e["minutes_file"]) for e in exercises] == [
        ("tt-2026-10", "82.5", "exercises/tt-2026-10/tt-2026-10.md")
    ]
    assert (
        pack / "exercises/tt-2026-10/tt-2026-10.md"
    ).read_bytes() == b"minutes of the ransomware tabletop\n"
    assert manifest["signoffs"][0]["signed_by"] == "ciso"
    assert manifest["signoffs"][0]["statement"] == "I reviewed the October monitoring evidence."
    report_md = (pack / "report.md").read_text()
    assert "ciso" in report_md and "Ransomware tabletop" in report_md and "SSH Brute Force" in report_md
    html = (pack / "report.html").read_text()
    assert (
        html.count("<svg") == 3
        and "<script" not in html
        and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    names = {e["path"] for e in manifest["files"]}
    assert {
        "alerts.csv", "log.jsonl", "log.csv", "metrics.json", "report.html", "report.md", "public_key.pem",
        "incidents.csv", "incidents/incident-1.csv", "breaches.csv", "backlog.csv", "exercises.csv",
        "signoffs.jsonl", "verification.json",
    } <= names  # fmt: skip


def test_exercise_minutes_are_listed_when_not_supplied(month: Month, tmp_path: Path) -> None:
    pack = export(month, tmp_path / "nominutes")
    (row,) = read_csv(pack / "exercises.csv")
    assert (
        row["minutes_file"] == ""
        and row["minutes_sha256"] == hashlib.sha256(b"minutes of the ransomware tabletop\n").hexdigest()
    )
    assert "not supplied" in (pack / "report.md").read_text()


def test_exercises_in_their_own_workspace_never_reach_production(
    tmp_path: Path, playbooks: PlaybookSet, fake_clock: FakeClock, key_path: Path
) -> None:
    prod = Workspace.create(tmp_path / "prod.db")
    drill = Workspace.create(tmp_path / "drill.db", kind="exercise", exercise="tt-1")
    try:
        fake_clock.at(10, 3, 10)
        Commands(drill, playbooks, "eve").ingest([make_alert() for _ in range(5)])
        assert drill.event(1) is not None and drill.event(1).exercise == "tt-1"  # type: ignore[union-attr]
        Commands(prod, playbooks, "alice").record_exercise(
            "tt-1", "Drill", "2026-10-03T09:00Z", "2026-10-03T12:00Z", "b" * 64, None
        )
        fake_clock.at(11, 2)
        req = ExportRequest(
            month=OCT, out=tmp_path / "p", key=anchoring.load_private_key(key_path), actor="x"
        )
        pack = export_pack(prod, req).path
        m = json.loads((pack / "metrics.json").read_text())
        assert m["alerts_total"] == 0 and m["exercises"] == 1 and m["work_per_analyst"] == {}
        # the same export over the drill's workspace counts nothing either: every event is marked
        pack2 = export_pack(drill, ExportRequest(month=OCT, out=tmp_path / "p2", key=req.key, actor="x")).path
        m2 = json.loads((pack2 / "metrics.json").read_text())
        assert m2["alerts_total"] == 0 and m2["exercise_events_excluded"] == 5
    finally:
        prod.close()
        drill.close()


def test_record_exercise_rules(month: Month) -> None:
    c = month.cmd("alice")
    with pytest.raises(CommandRejected, match="already recorded"):
        c.record_exercise("tt-2026-10", "Again", "2026-10-01T00:00Z", "2026-10-01T01:00Z", "c" * 64)
    with pytest.raises(CommandRejected, match="SHA-256"):
        c.record_exercise("tt-x", "T", "2026-10-01T00:00Z", "2026-10-01T01:00Z", "not-a-hash")
    with pytest.raises(CommandRejected, match="cannot end before"):
        c.record_exercise("tt-x", "T", "2026-10-02T00:00Z", "2026-10-01T01:00Z", "c" * 64)
    with pytest.raises(CommandRejected, match="0 to 100"):
        c.record_exercise("tt-x", "T", "2026-10-01T00:00Z", "2026-10-01T01:00Z", "c" * 64, 101)
    with pytest.raises(CommandRejected, match="exercise id"):
        c.record_exercise("../x", "T", "2026-10-01T00:00Z", "2026-10-01T01:00Z", "c" * 64)


def test_sign_off_is_one_event_and_rebuild_stays_identical(month: Month) -> None:
    before = month.ws.head()[0]
    event = month.cmd("ciso").sign_evidence("2026-09", "September reviewed")
    assert (
        event.seq == before + 1 and event.action == "evidence.signed" and event.target == "evidence:2026-09"
    )
    assert event.payload == {"month": "2026-09", "timezone": "UTC", "statement": "September reviewed"}
    n, same = month.ws.rebuild(dry_run=True)
    assert same and n == month.ws.head()[0]
    with pytest.raises(CommandRejected, match="not over yet"):
        month.cmd("ciso").sign_evidence("2026-11", "too early")
    with pytest.raises(ArgumentError):
        month.cmd("ciso").sign_evidence("Oct", "x")


def test_a_month_without_alerts_gives_a_valid_pack(month: Month, tmp_path: Path) -> None:
    pack = export(month, tmp_path / "aug", month="2026-08")
    m = json.loads((pack / "metrics.json").read_text())
    assert m["alerts_total"] == 0 and m["events_in_month"] == 0 and m["backlog_at_month_end"]["total"] == 0
    assert "no alerts this month" in (pack / "report.md").read_text()
    assert (pack / "alerts.csv").read_text().count("\n") == 1  # the header
    report = verify_pack(pack)
    assert report.ok, report.problems


def test_refusals(month: Month, tmp_path: Path, ws: Workspace) -> None:
    with pytest.raises(CommandRejected, match="not over yet"):
        export(month, tmp_path / "nov", month="2026-11")
    pack = export(month, tmp_path / "once")
    with pytest.raises(CommandRejected, match="never overwritten"):
        export(month, pack)
    other = Ed25519PrivateKey.generate()
    with pytest.raises(SigningError, match="not by this signing key"):
        export_pack(ws, ExportRequest(month=OCT, out=tmp_path / "k", key=other, actor="x"))
    empty = Workspace.create(tmp_path / "empty.db")
    try:
        with pytest.raises(CommandRejected, match="no events"):
            export_pack(empty, ExportRequest(month=OCT, out=tmp_path / "e", key=other, actor="x"))
    finally:
        empty.close()


def test_progress_is_reported(month: Month, tmp_path: Path) -> None:
    messages: list[str] = []
    export(month, tmp_path / "p", progress=messages.append, progress_every=10)
    assert any(m.startswith("log: 10 events written") for m in messages)
    assert any("verifying the whole chain" in m for m in messages)


# -- verification and attacks -----------------------------------------------------------


def pub_of(month: Month) -> bytes:
    return anchoring.public_raw(month.key.public_key())


def test_an_untouched_pack_verifies(pack: Path, month: Month) -> None:
    report = verify_pack(pack, pub_of(month))
    assert report.ok, report.problems
    assert report.events_checked == len((pack / "log.jsonl").read_text().splitlines())
    assert report.checkpoints_checked == 3
    assert any("your trusted key" in n for n in report.notes)
    self_only = verify_pack(pack)
    assert self_only.ok and any("the check that matters" in n for n in self_only.notes)


def test_a_zipped_pack_verifies_and_catches_changes(month: Month, tmp_path: Path) -> None:
    path = export(month, tmp_path / "oct", make_zip=True)
    assert path.name == "oct.zip" and not (tmp_path / "oct").exists()
    assert verify_pack(path, pub_of(month)).ok
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith("alerts.csv"):
                data = data.replace(b"false_positive", b"true_positive", 1)
            dst.writestr(item, data)
    report = verify_pack(tampered, pub_of(month))
    assert report.problems == ["alerts.csv: SHA-256 differs from the manifest: the file was changed"]


def test_a_zipped_pack_is_deflated_and_a_damaged_member_is_reported(month: Month, tmp_path: Path) -> None:
    path = export(month, tmp_path / "oct", make_zip=True)
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        log = next(i for i in infos if i.filename == "oct/log.jsonl")
        manifest = json.loads(zf.read("oct/manifest.json"))
        content = zf.read(log)
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}
    assert log.compress_size * 3 < log.file_size
    # the manifest lists each file's content: what the zip holds once inflated
    entry = next(f for f in manifest["files"] if f["path"] == "log.jsonl")
    assert entry["bytes"] == log.file_size == len(content)
    assert entry["sha256"] == hashlib.sha256(content).hexdigest()
    data = bytearray(path.read_bytes())
    name_len, extra_len = (
        int.from_bytes(data[log.header_offset + 26 : log.header_offset + 28], "little"),
        int.from_bytes(data[log.header_offset + 28 : log.header_offset + 30], "little"),
    )
    start = log.header_offset + 30 + name_len + extra_len
    data[start + log.compress_size // 2] ^= 0xFF  # one bit pattern inside the deflated log
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    report = verify_pack(damaged, pub_of(month))
    assert report.problems[0].startswith("log.jsonl: cannot be read from the zip (")
    assert report.files_checked == len(manifest["files"]) - 1
    assert any(p.startswith("log.jsonl: ") and "the manifest says" in p for p in report.problems)


@pytest.mark.parametrize("make_zip", [False, True], ids=["directory", "zip"])
def test_an_export_that_fails_leaves_nothing_behind(
    month: Month, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_zip: bool
) -> None:
    """The log's files are being hashed (and zipped) beside the next sections when one fails."""
    from triage.evidence.sections import Exporter

    def fail(*_args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Exporter, "write_incidents", fail)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(OSError, match="disk full"):
        export(month, out / "oct", make_zip=make_zip)
    assert list(out.iterdir()) == []
    monkeypatch.undo()
    assert verify_pack(export(month, out / "oct", make_zip=make_zip), pub_of(month)).ok


def _copy(pack: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "copy"
    shutil.copytree(pack, dest)
    return dest


def test_a_tampered_csv_is_caught(pack: Path, month: Month, tmp_path: Path) -> None:
    p = _copy(pack, tmp_path)
    text = (p / "breaches.csv").read_text()
    (p / "breaches.csv").write_text(text.replace("2700", "270", 1))
    report = verify_pack(p, pub_of(month))
    assert not report.ok and report.problems == [
        "breaches.csv: SHA-256 differs from the manifest: the file was changed"
    ]


def test_a_tampered_log_line_is_caught(pack: Path, month: Month, tmp_path: Path) -> None:
    p = _copy(pack, tmp_path)
    lines = (p / "log.jsonl").read_text().splitlines()
    rec = json.loads(lines[3])
    rec["body"] = rec["body"].replace('"actor":"', '"actor":"x', 1)
    lines[3] = json.dumps(rec, sort_keys=True, separators=(",", ":"))
    (p / "log.jsonl").write_text("\n".join(lines) + "\n")
    report = verify_pack(p, pub_of(month))
    assert "log.jsonl: SHA-256 differs from the manifest: the file was changed" in report.problems
    assert any(
        f"line 4 (event {rec['seq']}): hash does not match the stored body" in x for x in report.problems
    )


def test_a_rewritten_and_rehashed_pack_is_caught_by_the_signature(
    pack: Path, month: Month, tmp_path: Path
) -> None:
    """The attacker fixes the manifest's hashes after editing: the signature no longer fits."""
    p = _copy(pack, tmp_path)
    (p / "alerts.csv").write_text((p / "alerts.csv").read_text().replace("breached", "met"))
    manifest = json.loads((p / "manifest.json").read_text())
    for entry in manifest["files"]:
        entry["sha256"] = hashlib.sha256((p / entry["path"]).read_bytes()).hexdigest()
    (p / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    report = verify_pack(p, pub_of(month))
    assert any("manifest signature is not valid for your trusted key" in x for x in report.problems)
    assert not verify_pack(p).ok  # the key in the pack catches it too


def test_a_pack_re_signed_with_another_key_is_caught(pack: Path, month: Month, tmp_path: Path) -> None:
    p = _copy(pack, tmp_path)
    (p / "alerts.csv").write_text((p / "alerts.csv").read_text().replace("breached", "met"))
    other = Ed25519PrivateKey.generate()
    other_pub = anchoring.public_raw(other.public_key())
    manifest = json.loads((p / "manifest.json").read_text())
    for entry in manifest["files"]:
        if entry["path"] == "public_key.pem":
            from triage.evidence.export import _public_pem

            (p / "public_key.pem").write_bytes(_public_pem(other))
        entry["sha256"] = hashlib.sha256((p / entry["path"]).read_bytes()).hexdigest()
    manifest["public_key"] = base64.b64encode(other_pub).decode()
    manifest["key_id"] = anchoring.key_id(other_pub)
    data = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    (p / "manifest.json").write_bytes(data)
    (p / "manifest.sig").write_text(base64.b64encode(other.sign(data)).decode() + "\n")
    report = verify_pack(p, pub_of(month))
    assert any("not with your trusted key" in x and "re-signed" in x for x in report.problems)
    # Without the auditor's key, the checkpoints (signed with the real key) still give it away.
    alone = verify_pack(p)
    assert any("not by the key that signed the pack" in x for x in alone.problems)


def test_a_changed_log_recomputed_from_scratch_is_caught_by_the_checkpoints(
    pack: Path, month: Month, tmp_path: Path
) -> None:
    """Rewrite an event and recompute every hash after it: the signed checkpoint inside the
    month and the month-end head no longer match (and the manifest signature fails)."""
    from triage.store.chain import chain_hash

    p = _copy(pack, tmp_path)
    recs = [json.loads(x) for x in (p / "log.jsonl").read_text().splitlines()]
    prev = recs[0]["prev_hash"]
    for i, rec in enumerate(recs):
        if i == 2:
            rec["body"] = rec["body"].replace('"actor":"', '"actor":"z', 1)
            rec["actor"] = "z" + rec["actor"]
        rec["prev_hash"] = prev
        rec["hash"] = prev = chain_hash(prev, rec["body"])
    (p / "log.jsonl").write_text(
        "".join(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in recs)
    )
    problems = verify_pack(p, pub_of(month)).problems
    assert any("differs from the signed head" in x for x in problems)
    assert any("not at the month-end head recorded in the manifest" in x for x in problems)


def test_missing_and_extra_files(pack: Path, month: Month, tmp_path: Path) -> None:
    p = _copy(pack, tmp_path)
    (p / "incidents/incident-1.csv").unlink()
    (p / "note.txt").write_text("added later")
    problems = verify_pack(p, pub_of(month)).problems
    assert "incidents/incident-1.csv: listed in the manifest but missing from the pack" in problems
    assert "note.txt: not listed in the manifest (added to the pack)" in problems
    (p / "manifest.sig").unlink()
    assert any("manifest.sig is missing" in x for x in verify_pack(p, pub_of(month)).problems)
    assert verify_pack(tmp_path / "nothing-here.txt").problems  # not a pack at all


# -- the command line -------------------------------------------------------------------


def test_every_evidence_command_has_help(cli: Cli) -> None:
    group = triage_cli.commands["evidence"]
    assert isinstance(group, click.Group) and set(group.commands) == {"export", "sign", "verify"}
    for name, command in group.commands.items():
        assert command.help and command.help.strip()
        result = cli("evidence", name, "--help")
        assert result.exit_code == 0 and "Usage: triage evidence" in result.stdout
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"evidence {name} {param.opts} has no help"


def test_bad_month_and_empty_workspace_are_one_line_errors(tmp_path: Path) -> None:
    assert _run(tmp_path, "init").returncode == 0
    for args, code, message in [
        (("evidence", "export", "--month", "2026-13"), 2, "'2026-13' is not a month (use YYYY-MM"),
        (("evidence", "export", "--month", "Oct"), 2, "'Oct' is not a month"),
        (("evidence", "sign", "--month", "2026-1", "--statement", "x"), 2, "is not a month"),
        (("evidence", "export", "--month", "2026-10"), 3, "the workspace has no events yet"),
    ]:
        proc = _run(tmp_path, *args)
        assert proc.returncode == code, (args, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("triage: error:") and message in lines[0], lines


def test_export_sign_and_verify_through_the_cli(
    cli: Cli, tmp_path: Path, fake_clock: FakeClock, playbooks: PlaybookSet
) -> None:
    key = tmp_path / "k" / "anchor.key"
    fake_clock.at(10, 1, 9)
    assert cli("init").exit_code == 0
    assert cli("keygen", "--key", str(key)).exit_code == 0
    ws = Workspace.open(cli.db)
    try:
        cmds = Commands(ws, playbooks, "alice")
        ids = cmds.ingest([make_alert(), make_alert(severity="low")]).alert_ids
        fake_clock.at(10, 1, 9, 5)
        cmds.acknowledge(ids[0])
    finally:
        ws.close()
    fake_clock.at(10, 1, 10)
    anchors = tmp_path / "anchors.jsonl"
    assert cli("anchor", "--key", str(key), "--out", str(anchors)).exit_code == 0
    fake_clock.at(11, 2, 9)
    assert cli("evidence", "sign", "--month", "2026-11", "--statement", "x").exit_code == 3
    signed = cli.json("evidence", "sign", "--month", "2026-10", "--statement", "Reviewed.", analyst="ciso")
    assert signed["target"] == "evidence:2026-10" and signed["actor"] == "ciso"
    out = tmp_path / "oct"
    result = cli("evidence", "export", "--month", "2026-10", "--out", str(out), "--key", str(key))
    assert result.exit_code == 0, result.output
    assert "2 alerts" in result.stdout and "1 open at month end" not in result.stdout
    assert "triage: exporting 2026-10" in result.stderr  # progress goes to stderr
    ok = cli("evidence", "verify", str(out), "--public-key", str(key) + ".pub")
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.strip().splitlines()[-1].startswith("VALID") and "your trusted key" in ok.stdout
    assert cli("rebuild", "--check").exit_code == 0
    rows = (out / "alerts.csv").read_text().splitlines()
    (out / "alerts.csv").write_text("\n".join(rows[:-1]) + "\n")  # drop an alert
    bad = cli("evidence", "verify", str(out), "--public-key", str(key) + ".pub")
    assert bad.exit_code == 1
    assert "FAIL alerts.csv: SHA-256 differs from the manifest" in bad.stdout and "INVALID" in bad.stdout


# -- alerts ingested from NDJSON as exporters write it ------------------------------------


def _ingest_ndjson(ws: Workspace, playbooks: PlaybookSet, path: Path, lines: list[str]) -> list[int]:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    result = Commands(ws, playbooks, "poller").ingest_records(FileSource(str(path)).records())
    assert result.quarantined == 0, result.problems
    return result.alert_ids


def test_a_pack_of_alerts_ingested_from_non_canonical_ndjson_verifies(
    ws: Workspace, playbooks: PlaybookSet, fake_clock: FakeClock, key_path: Path, tmp_path: Path
) -> None:
    """``json.dumps`` output (spaces, the writer's key order, non-ASCII, escapes such as
    ``\\u00e9`` and ``\\/``) is kept byte-exact in the log; the pack built from it verifies."""
    hit = {
        "_source": {
            **ELASTIC_HIT["_source"],
            "message": "Zugriff verweigert für Jürgen — 拒否",
            "url": "https://intranet.example/login",
        },
        "_index": ELASTIC_HIT["_index"],
        "_id": "nd-1",
    }
    ecs = {
        **ECS,
        "message": 'caf\u00e9 \u2615 \U0001f512 \\ "quoted"',
        "event": {**ECS["event"], "id": "nd-2"},
    }
    lines = [
        json.dumps(hit),  # ASCII escapes, ", " and ": "
        json.dumps(ecs, ensure_ascii=False, separators=(", ", " : ")),  # raw non-ASCII
        json.dumps(hit | {"_id": "nd-3"}, indent=None).replace("/", "\\/"),  # escaped solidus
        '{ "_id" : "nd-4" ,\t"_source" :' + json.dumps(hit["_source"]) + ', "_index": "x\\u00e9" }',
        # the envelope's own markers, as keys and as text of the source's document
        json.dumps(
            ecs | {"event": {**ecs["event"], "id": "nd-5"}, "seq": 1, "payload": ',"seq":'},
            separators=(",", ":"),
        ),
    ]
    assert all(line != json.dumps(json.loads(line), sort_keys=True, separators=(",", ":")) for line in lines)
    fake_clock.at(10, 3, 9)
    ids = _ingest_ndjson(ws, playbooks, tmp_path / "alerts.ndjson", lines)
    assert len(ids) == len(lines)
    fake_clock.at(10, 3, 10)
    Commands(ws, playbooks, "alice").acknowledge(ids[0])
    key = anchoring.load_private_key(key_path)
    fake_clock.at(11, 2)
    pack = export_pack(ws, ExportRequest(month=OCT, out=tmp_path / "pack", key=key, actor="secops")).path
    bodies = [json.loads(x)["body"] for x in (pack / "log.jsonl").read_text().splitlines()]
    assert all(line in body for line, body in zip(lines, bodies, strict=False))  # byte-exact in the log
    report = verify_pack(pack, anchoring.public_raw(key.public_key()))
    assert report.ok, report.problems
    assert report.summary().startswith("VALID") and report.events_checked == len(lines) + 1
    # log.csv shows the digest of each payload as the log holds it: the source's own text, not re-encoded
    rows = read_csv(pack / "log.csv")
    for line, body, row in zip(lines, bodies, rows, strict=False):
        text = body[body.index(',"payload":') + 11 : body.rindex(',"seq":')]
        assert line in text and row["payload_sha256"] == hashlib.sha256(text.encode()).hexdigest()
        assert hashlib.sha256(canonical(json.loads(text)).encode()).hexdigest() != row["payload_sha256"]


# Any text but lone surrogates (what a lone one does at ingest is the ingest tests' concern):
# controls, bidi overrides, zero-width characters, quotes, backslashes and astral characters.
_TEXT = st.text(st.characters(codec=None, exclude_categories=("Cs",)), max_size=10)
_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=12,
)
_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "/": "\\/",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _json_string(rnd: random.Random, s: str) -> str:
    """``s`` as a JSON string, each character written one of the ways JSON allows."""
    out = []
    for ch in s:
        cp = ord(ch)
        ways = [] if ch in '"\\' or cp < 0x20 else [ch]
        if ch in _SHORT_ESCAPES:
            ways.append(_SHORT_ESCAPES[ch])
        if cp < 0x10000:
            ways += [f"\\u{cp:04x}", f"\\u{cp:04X}"]
        else:
            hi, lo = 0xD800 + ((cp - 0x10000) >> 10), 0xDC00 + ((cp - 0x10000) & 0x3FF)
            ways.append(f"\\u{hi:04x}\\u{lo:04X}")
        out.append(rnd.choice(ways))
    return '"' + "".join(out) + '"'


def _json_text(rnd: random.Random, value: Any) -> str:
    """``value`` as JSON text the way some other program might write it: any whitespace
    between tokens (no newline: this is one NDJSON line), any key order, any escapes."""

    def ws() -> str:
        return "".join(rnd.choices(" \t\r", k=rnd.choice([0, 0, 0, 1, 2])))

    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text.upper() if rnd.random() < 0.5 else text  # 1e-05 or 1E-05
    if isinstance(value, str):
        return _json_string(rnd, value)
    if isinstance(value, list):
        return "[" + ws() + ",".join(ws() + _json_text(rnd, v) + ws() for v in value) + ws() + "]"
    keys = rnd.sample(list(value), len(value))
    items = (ws() + _json_string(rnd, k) + ws() + ":" + ws() + _json_text(rnd, value[k]) + ws() for k in keys)
    return "{" + ws() + ",".join(items) + ws() + "}"


@st.composite
def _ndjson_alert(draw: st.DrawFn, n: int) -> tuple[str, dict[str, Any]]:
    """A minimal valid ECS or Elastic alert with arbitrary text and fields over it, as one
    NDJSON line, and the document it decodes to."""
    name = draw(st.text(st.characters(codec=None, exclude_categories=("Cs",)), min_size=1, max_size=20))
    extra = draw(st.dictionaries(_TEXT, _JSON_VALUES, max_size=3))
    stamp = f"2026-10-{draw(st.integers(1, 3)):02d}T{draw(st.integers(0, 23)):02d}:00:00Z"
    if draw(st.booleans()):
        doc: dict[str, Any] = {
            "@timestamp": stamp,
            "event": {
                "kind": "alert",
                "id": f"p-{n}",
                "severity": draw(st.sampled_from([21, 47, 73, "high"])),
            },
            "rule": {"name": name, "id": draw(_TEXT)},
            "message": draw(_TEXT),
            "labels": extra,
        }
    else:
        doc = {
            "_index": ".internal.alerts-security.alerts-default-000001",
            "_id": f"p-{n}",
            "_source": {
                "@timestamp": stamp,
                "kibana.alert.uuid": f"p-{n}",
                "kibana.alert.rule.name": name,
                "kibana.alert.severity": draw(st.sampled_from(["low", "medium", "high", "critical"])),
                "kibana.alert.reason": draw(_TEXT),
                "labels": extra,
            },
        }
    line = _json_text(draw(st.randoms(use_true_random=True)), doc).strip(" \t\r")
    assert json.loads(line) == doc
    return line, doc


@st.composite
def _ndjson_alerts(draw: st.DrawFn) -> list[str]:
    return [draw(_ndjson_alert(n))[0] for n in range(draw(st.integers(1, 3)))]


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(evidence_pack.csv_rows(fh))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=_ndjson_alerts(), acknowledge=st.booleans())
def test_any_ndjson_alerts_give_a_pack_that_verifies(
    lines: list[str], acknowledge: bool, playbooks: PlaybookSet
) -> None:
    """Whatever whitespace, key order and escapes the source wrote: ingest, export and
    verify give VALID, and the exporter and the verifier agree on every file."""
    fc = FakeClock()
    clock.set_clock(fc)
    key = Ed25519PrivateKey.generate()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ws = Workspace.create(Path(tmp) / "ws.db")
            try:
                fc.at(10, 3, 9)
                ids = _ingest_ndjson(ws, playbooks, Path(tmp) / "in.ndjson", lines)
                if acknowledge:
                    fc.at(10, 3, 10)
                    Commands(ws, playbooks, "alice").acknowledge(ids[0])
                fc.at(11, 2, 9)
                Commands(ws, playbooks, "ciso").sign_evidence(OCT, "Reviewed — “October” ✓")
                req = ExportRequest(month=OCT, out=Path(tmp) / "pack", key=key, actor="secops")
                pack = export_pack(ws, req).path
                stored = [e.body for e in map(ws.event, range(1, ws.head()[0] + 1)) if e is not None]
            finally:
                ws.close()
            report = verify_pack(pack, anchoring.public_raw(key.public_key()))
            assert report.ok, report.problems
            assert report.problem_count == 0 and report.summary().startswith("VALID")
            # every file is listed and re-hashed, every event rechained
            manifest = json.loads((pack / "manifest.json").read_text())
            on_disk = {p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file()}
            assert {f["path"] for f in manifest["files"]} == on_disk - evidence_pack.UNLISTED
            assert report.files_checked == len(manifest["files"])
            records = [json.loads(x) for x in (pack / "log.jsonl").read_text().splitlines()]
            assert report.events_checked == len(records) == len(stored) - 1  # the sign-off is in November
            # the log keeps the source's bytes; log.jsonl and log.csv are what the format builds from them
            assert [r["body"] for r in records] == stored[:-1]
            assert all(line in body for line, body in zip(lines, stored, strict=False))
            built = [
                evidence_pack.log_row(r["seq"], r["body"], json.loads(r["body"]), r["prev_hash"], r["hash"])
                for r in records
            ]
            assert _rows(pack / "log.csv") == [evidence_pack.LOG_COLUMNS, *built]
            assert (pack / "signoffs.jsonl").read_text().count("\n") == 1
    finally:
        clock.set_clock(None)


def _many_events(ws: Workspace, playbooks: PlaybookSet, fc: FakeClock, key: Path, n: int) -> Path:
    fc.at(10, 3, 9)
    Commands(ws, playbooks, "poller").ingest([make_alert() for _ in range(n)])
    fc.at(11, 2)
    req = ExportRequest(month=OCT, out=key.parent / "many", key=anchoring.load_private_key(key), actor="x")
    return export_pack(ws, req).path


def test_more_than_50_problems_in_a_file_are_counted_not_dropped(
    ws: Workspace, playbooks: PlaybookSet, fake_clock: FakeClock, key_path: Path, cli: Cli
) -> None:
    pack = _many_events(ws, playbooks, fake_clock, key_path, 120)
    rows = _rows(pack / "log.csv")
    for row in rows[1:]:
        row[2] = "mallory"  # every event's actor
    with open(pack / "log.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    report = verify_pack(pack)
    row_problems = [p for p in report.problems if p.startswith("log.csv row")]
    assert row_problems[0] == "log.csv row 2 (event 1): differs from log.jsonl"
    assert len(row_problems) == 50  # MAX_PROBLEMS_PER_FILE listed ...
    assert "... and 70 more problems in log.csv" in report.problems  # ... and the rest counted
    assert report.problem_count == 1 + 120  # the changed file, and every row
    assert report.summary().startswith("INVALID (121 problems)")
    assert report.as_dict()["problems_not_listed"] == {"log.csv": 70}
    # the command line shows it too
    result = cli("evidence", "verify", str(pack))
    assert result.exit_code == 1 and "FAIL ... and 70 more problems in log.csv" in result.stdout


def test_problems_of_a_file_as_a_whole_are_listed_past_the_limit(
    ws: Workspace, playbooks: PlaybookSet, fake_clock: FakeClock, key_path: Path
) -> None:
    pack = _many_events(ws, playbooks, fake_clock, key_path, 60)
    records = [json.loads(x) for x in (pack / "log.jsonl").read_text().splitlines()]
    for rec in records:
        rec["actor"] = "mallory"  # every record's field, not its hashed body
    (pack / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records[:-1]))  # the last dropped
    problems = verify_pack(pack).problems
    assert sum(p.endswith("the record's fields disagree with its hashed body") for p in problems) == 50
    assert "... and 9 more problems in log.jsonl" in problems
    # what is wrong with the file as a whole is always said, and each file has its own limit
    assert "log.jsonl: 59 events, the manifest says 60" in problems
    assert "log.jsonl: ends at event 59, the manifest says 60" in problems
    assert any("not at the month-end head recorded in the manifest" in p for p in problems)
    assert "log.csv: has more rows than log.jsonl" in problems
    assert not any(p.startswith("log.csv row") for p in problems)  # its rows still match the bodies


def test_a_manifest_of_another_format_version_is_refused(pack: Path, tmp_path: Path) -> None:
    p = _copy(pack, tmp_path)
    manifest = json.loads((p / "manifest.json").read_text())
    for version in (3, 0, True, "2"):
        (p / "manifest.json").write_text(json.dumps({**manifest, "version": version}))
        assert verify_pack(p).problems == [
            f"manifest.json is unreadable: pack format version {version!r} is not supported"
            " (this verifier reads 1 and 2)"
        ]
    del manifest["log"]["prev_hash"]
    (p / "manifest.json").write_text(json.dumps(manifest))
    assert verify_pack(p).problems == ["manifest.json is unreadable: log.prev_hash is missing"]


def test_log_csv_is_checked_row_for_row_and_as_a_whole(pack: Path, month: Month, tmp_path: Path) -> None:
    p = _copy(pack, tmp_path)
    rows = _rows(p / "log.csv")
    with open(p / "log.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["seq", "when", *rows[0][2:]], *rows[1:-2]])
    problems = verify_pack(p, pub_of(month)).problems
    n = len(rows) - 1
    assert problems == [
        "log.csv: SHA-256 differs from the manifest: the file was changed",
        "log.csv: the header is not " + ",".join(evidence_pack.LOG_COLUMNS),
        f"log.csv: {n - 2} rows, log.jsonl has {n} records",
    ]


def test_an_alert_over_the_csv_field_limit_verifies(
    ws: Workspace, playbooks: PlaybookSet, fake_clock: FakeClock, key_path: Path, tmp_path: Path
) -> None:
    """A payload cell over the csv module's default limit (128 KiB) is read back whole."""
    doc = {**ECS, "message": "x" * 200_000}
    fake_clock.at(10, 3, 9)
    _ingest_ndjson(ws, playbooks, tmp_path / "big.ndjson", [json.dumps(doc)])
    fake_clock.at(11, 2)
    req = ExportRequest(month=OCT, out=tmp_path / "p", key=anchoring.load_private_key(key_path), actor="x")
    report = verify_pack(export_pack(ws, req).path)
    assert report.ok, report.problems


def test_minutes_named_like_the_manifest_are_listed(month: Month, tmp_path: Path) -> None:
    minutes = tmp_path / "minutes"
    minutes.mkdir()
    (minutes / "manifest.json").write_bytes(b"minutes of the ransomware tabletop\n")
    pack = export(month, tmp_path / "p", exercises_dir=minutes)
    manifest = json.loads((pack / "manifest.json").read_text())
    assert "exercises/tt-2026-10/manifest.json" in {f["path"] for f in manifest["files"]}
    report = verify_pack(pack, pub_of(month))
    assert report.ok, report.problems


def test_a_duplicate_names_its_original_in_alerts_csv(month: Month, tmp_path: Path) -> None:
    month.fc.at(11, 20, 9)
    original = month.ingest("D1", severity="high")
    duplicate = month.ingest("D2", severity="high")
    month.fc.at(11, 20, 10)
    month.cmd("bob").close(duplicate, "duplicate", "the same spray", duplicate_of=original)
    month.fc.at(12, 2)  # November is over
    rows = {
        int(r["id"]): r for r in read_csv(export(month, tmp_path / "pack", month="2026-11") / "alerts.csv")
    }
    assert rows[duplicate]["disposition"] == "duplicate"
    assert rows[duplicate]["duplicate_of"] == str(original)
    assert rows[duplicate]["close_override"] == ""  # its steps were done on the original
    assert rows[original]["duplicate_of"] == ""
