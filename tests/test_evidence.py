"""The monthly evidence pack: a scripted month with a fake clock, every figure checked
against a hand-computed expectation, then the pack attacked and verified."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import shutil
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from triage import clock
from triage.cli.main import cli as triage_cli
from triage.commands import Commands
from triage.errors import ArgumentError, CommandRejected, SigningError
from triage.evidence import ExportRequest, export_pack, month_period, verify_pack
from triage.evidence.metrics import nearest_rank
from triage.playbooks import PlaybookSet
from triage.queries import get_alert
from triage.store import anchor as anchoring
from triage.store.workspace import Workspace

from .conftest import Cli, make_alert
from .test_cli import _run

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
        "notes": 0, "reopened": 1, "severity_changes": 0, "steps": 0, "total": 9,
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
    formula = next(r for r in log_csv if r["action"] == "alert.noted")
    assert formula["payload"].startswith('{"text":"=cmd')  # the cell starts with { so is no formula
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
