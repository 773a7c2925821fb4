"""Suppression rules, audited: their rules of creation, what they close at ingest (never
dropped, the same decision on replay), expiry and end, and the CLI."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from triage import clock
from triage.commands import Commands
from triage.domain import events as ev
from triage.errors import CommandRejected, QuerySyntaxError
from triage.evidence import ExportRequest, export_pack, verify_pack
from triage.evidence.pack import manifest_bytes
from triage.playbooks import PlaybookSet
from triage.queries import get_alert, list_alerts
from triage.store import anchor as anchoring
from triage.store.workspace import Workspace

from .conftest import Cli, make_alert
from .test_evidence import FakeClock

REASON = "vendor pentest from 203.0.113.9, ticket SEC-123"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture
def fc() -> Iterator[FakeClock]:
    f = FakeClock()
    f.at(10, 1, 12)
    clock.set_clock(f)
    yield f
    clock.set_clock(None)


def _one(cmds: Commands, **fields: object) -> int:
    (alert_id,) = cmds.ingest([make_alert(**fields)]).alert_ids
    return alert_id


def test_a_rule_needs_a_query_a_real_reason_and_an_expiry_within_the_maximum(
    cmds: Commands, fc: FakeClock
) -> None:
    with pytest.raises(CommandRejected, match="too short"):
        cmds.add_suppression("src_ip:203.0.113.9", "pentest", timedelta(days=14))
    with pytest.raises(CommandRejected, match="at most 90 days"):
        cmds.add_suppression("src_ip:203.0.113.9", REASON, timedelta(days=91))
    with pytest.raises(CommandRejected, match="at most 30 days"):
        cmds.add_suppression("src_ip:203.0.113.9", REASON, timedelta(days=31), max_days=30)
    with pytest.raises(CommandRejected, match="a suppression query is required"):
        cmds.add_suppression("   ", REASON, timedelta(days=1))
    with pytest.raises(QuerySyntaxError):
        cmds.add_suppression('rule:"unclosed', REASON, timedelta(days=1))
    assert cmds.ws.head()[0] == 0  # nothing refused was written
    created = cmds.add_suppression("src_ip:203.0.113.9", REASON, timedelta(days=14))
    p = created.event.payload
    assert created.event.action == ev.SUPPRESSION_CREATED and created.event.target == "suppression:1"
    assert (p["owner"], p["starts_at"], p["expires_at"]) == (
        "alice", "2026-10-01T12:00:00.000000Z", "2026-10-15T12:00:00.000000Z"
    )  # fmt: skip


def test_a_matching_new_alert_is_stored_and_closed_as_suppressed_right_after_its_ingest(
    ws: Workspace, playbooks: PlaybookSet, fc: FakeClock
) -> None:
    poller, alice = Commands(ws, playbooks, "poller"), Commands(ws, playbooks, "alice")
    before = _one(poller, src_ip="203.0.113.9")  # open before the rule: untouched
    alice.add_suppression('src_ip:203.0.113.0/24 rule:"SSH*"', REASON, timedelta(days=14))
    fc.at(10, 2, 9)
    result = poller.ingest(
        [make_alert(src_ip="203.0.113.50"), make_alert(src_ip="198.51.100.7"),
         make_alert(src_ip="203.0.113.9", rule_name="Port Scan", title="Port Scan")]
    )  # fmt: skip
    hit, other, other_rule = result.alert_ids
    assert (result.ingested, result.suppressed) == (3, 1)
    assert "(1 closed by suppression rules)" in result.summary()
    row = get_alert(ws, hit)
    assert (row["status"], row["disposition"], row["closed_by"]) == ("closed", "suppressed", "suppression")
    assert row["close_reason"] == f"suppression 1: {REASON}"
    assert get_alert(ws, other)["status"] == get_alert(ws, other_rule)["status"] == "new"
    assert get_alert(ws, before)["status"] == "new"
    # the close is its own event, right after the ingest, with the rule's id
    events = [e for e in ws.events() if e.target == f"alert:{hit}"]
    assert [e.action for e in events] == [ev.ALERT_INGESTED, ev.ALERT_CLOSED]
    assert events[1].seq == events[0].seq + 1 and events[1].payload["suppression"] == 1
    # never dropped: it is in the closed view
    assert hit in [a["id"] for a in list_alerts(ws, status="closed")]
    rule = ws.conn.execute("SELECT alerts_closed, last_alert FROM suppressions WHERE id = 1").fetchone()
    assert rule == (1, hit)
    # replaying the log decides nothing again: the same state
    _n, same = ws.rebuild(dry_run=True)
    assert same
    # an analyst cannot close as suppressed
    with pytest.raises(CommandRejected, match="set by suppression rules"):
        alice.close(other, "suppressed", "by hand")


def test_apply_to_open_closes_the_open_alerts_it_matches_each_with_an_event(
    ws: Workspace, playbooks: PlaybookSet, fc: FakeClock
) -> None:
    poller, alice = Commands(ws, playbooks, "poller"), Commands(ws, playbooks, "alice")
    a = _one(poller, host="scanner-01")
    b = _one(poller, host="scanner-01")
    c = _one(poller, host="web-02")
    alice.close(b, "false_positive", "already handled", override="handled in the ticket")
    created = alice.add_suppression("host:scanner-01", REASON, timedelta(days=7), apply_to_open=True)
    assert created.closed == [a]
    assert get_alert(ws, a)["disposition"] == "suppressed" and get_alert(ws, a)["closed_by"] == "alice"
    assert get_alert(ws, b)["disposition"] == "false_positive" and get_alert(ws, c)["status"] == "new"


def test_expired_and_ended_rules_stop_matching(ws: Workspace, playbooks: PlaybookSet, fc: FakeClock) -> None:
    poller, alice = Commands(ws, playbooks, "poller"), Commands(ws, playbooks, "alice")
    alice.add_suppression("host:noisy-01", REASON, timedelta(hours=2))
    alice.add_suppression("host:noisy-02", REASON, timedelta(days=2))
    fc.at(10, 1, 13, 59)
    assert get_alert(ws, _one(poller, host="noisy-01"))["status"] == "closed"
    fc.at(10, 1, 14)  # the first rule's expiry: it no longer matches
    assert get_alert(ws, _one(poller, host="noisy-01"))["status"] == "new"
    with pytest.raises(CommandRejected, match="too short"):
        alice.end_suppression(2, "done")
    alice.end_suppression(2, "the noisy host was decommissioned today")
    assert get_alert(ws, _one(poller, host="noisy-02"))["status"] == "new"
    with pytest.raises(CommandRejected, match="already ended"):
        alice.end_suppression(2, "the noisy host was decommissioned today")
    with pytest.raises(CommandRejected, match="ended at"):
        alice.change_suppression(2, "extend it for the next pentest", expires=timedelta(days=3))


def test_the_cli_adds_lists_changes_shows_and_ends_rules(
    cli: Cli, playbooks: PlaybookSet, fc: FakeClock
) -> None:
    ws = Workspace.create(cli.db)
    poller = Commands(ws, playbooks, "poller")
    added = cli("suppress", "add", "--query", "host:noisy-01", "--reason", REASON, "--expires", "14d")
    assert added.exit_code == 0, added.output
    assert "suppression 1 active until 2026-10-15T12:00:00.000000Z" in added.output
    short = cli("suppress", "add", "--query", "host:x", "--reason", "fp", "--expires", "14d")
    assert short.exit_code == 3 and "too short" in short.output
    long = cli("suppress", "add", "--query", "host:x", "--reason", REASON, "--expires", "120d")
    assert long.exit_code == 3 and "at most 90 days" in long.output
    cli("suppress", "add", "--query", "host:noisy-02", "--reason", REASON, "--expires", "3d")
    fc.at(10, 2, 9)
    last = _one(poller, host="noisy-01")
    _one(poller, host="noisy-01")
    last = max(last, _one(poller, host="noisy-01"))
    ws.close()
    shown = cli.json("suppress", "show", "1")
    assert shown["suppression"]["alerts_closed"] == 3 and shown["suppression"]["last_alert"] == last
    assert [e["action"] for e in shown["events"]] == [ev.SUPPRESSION_CREATED]
    expiring = cli.json("suppress", "list", "--expiring", "7d")
    assert [r["id"] for r in expiring] == [2]
    changed = cli(
        "suppress", "change", "2", "--expires", "10d", "--reason", "the pentest was extended a week"
    )
    assert changed.exit_code == 0, changed.output
    assert cli.json("suppress", "list", "--expiring", "7d") == []
    ended = cli("suppress", "end", "1", "--reason", "the noisy host was decommissioned")
    assert ended.exit_code == 0
    rows = cli.json("suppress", "list", "--all")
    assert [(r["id"], r["state"]) for r in rows] == [(1, "ended"), (2, "active")]
    text = cli("suppress", "show", "1")
    assert "alerts closed: 3" in text.output and "suppression.ended" in text.output


def test_the_evidence_pack_lists_the_rules_active_in_the_month_and_what_they_closed(
    ws: Workspace, playbooks: PlaybookSet, fc: FakeClock, tmp_path: Path
) -> None:
    poller, alice = Commands(ws, playbooks, "poller"), Commands(ws, playbooks, "alice")
    fc.at(9, 10, 9)
    alice.add_suppression("host:gone-01", REASON, timedelta(days=5))  # 1: expired in September
    alice.add_suppression("host:scan-01", REASON, timedelta(days=30))  # 2: into October
    fc.at(9, 20, 9)
    _one(poller, host="scan-01")  # closed in September: not October's
    fc.at(10, 3, 9)
    crit = _one(poller, host="scan-01", severity="critical")
    fc.at(10, 5, 9)
    last = _one(poller, host="scan-01")
    fc.at(10, 6, 9)
    bob = Commands(ws, playbooks, "bob")
    bob.add_suppression('rule:"Port Scan"', REASON, timedelta(days=60))  # 3: made in October
    bob.end_suppression(3, "the scanner was moved to its own VLAN")
    fc.at(10, 20, 9)
    timed = _one(poller, host="web-07", severity="critical")
    fc.at(10, 20, 9, 10)
    bob.acknowledge(timed)
    fc.at(11, 2)
    req = ExportRequest(month="2026-10", out=tmp_path / "pack", key=KEY, actor="secops")
    pack = export_pack(ws, req).path
    rows = list(csv.DictReader((pack / "suppressions.csv").open(encoding="utf-8", newline="")))
    assert [(r["id"], r["alerts_closed_in_month"], r["alerts_closed_by_month_end"]) for r in rows] == [
        ("2", "2", "3"), ("3", "0", "0")
    ]  # fmt: skip
    assert rows[0]["last_alert_closed_in_month"] == str(last) and rows[0]["owner"] == "alice"
    assert rows[1]["ended_at"] == "2026-10-06T09:00:00.000000Z" and rows[1]["ended_by"] == "bob"
    metrics = json.loads((pack / "metrics.json").read_text())
    assert metrics["suppressions"] == {"rules_active": 2, "alerts_closed": 2}
    # a suppressed close is no analyst's response: it is left out of the time figures
    assert metrics["time_to_acknowledge"]["critical"]["count"] == 1
    assert metrics["time_to_acknowledge"]["critical"]["median_s"] == 600
    assert crit != timed
    assert "Suppression rules active this month" in (pack / "report.md").read_text()
    trusted = anchoring.public_raw(KEY.public_key())
    assert verify_pack(pack, trusted).ok

    # the count of alerts a rule closed, rewritten and re-signed, no longer matches the log
    path = pack / "suppressions.csv"
    lines = path.read_bytes().split(b"\r\n")
    lines[1] = lines[1].replace(b",2,", b",0,", 1)
    path.write_bytes(b"\r\n".join(lines))
    _resign(pack)
    problems = verify_pack(pack, trusted).problems
    assert problems == [
        f"suppressions.csv row 2: rule 2 closed 2 alerts in log.jsonl (the last {last}), the row says 0"
        f" (the last {last})"
    ]


def _resign(pack: Path) -> None:
    manifest = json.loads((pack / "manifest.json").read_text())
    for entry in manifest["files"]:
        entry["sha256"] = hashlib.sha256((pack / entry["path"]).read_bytes()).hexdigest()
        entry["bytes"] = (pack / entry["path"]).stat().st_size
    data = manifest_bytes(manifest)
    (pack / "manifest.json").write_bytes(data)
    (pack / "manifest.sig").write_text(base64.b64encode(KEY.sign(data)).decode() + "\n")


def test_the_exercise_minutes_note_the_suppressions_made_during_it(
    tmp_path: Path, playbooks: PlaybookSet
) -> None:
    from datetime import UTC, datetime

    from triage.tabletop import report

    from .test_tabletop import FixedClock, _scripted

    fixed = FixedClock(datetime(2026, 10, 5, 9, 0, tzinfo=UTC))
    clock.set_clock(fixed)
    try:
        ws = _scripted(tmp_path, playbooks, fixed)
        fixed.at(40)
        carol = Commands(ws, playbooks, "carol")
        created = carol.add_suppression(
            'rule:"Impossible travel*"', "travel alerts of the sales team's VPN exit", timedelta(days=3),
            apply_to_open=True,
        )  # fmt: skip
        assert len(created.closed) == 1
        written = report.write(ws, tmp_path / "minutes")
    finally:
        clock.set_clock(None)
    text = written.markdown.read_text()
    section = text.split("## Suppression rules made during the exercise", 1)[1].split("\n## ", 1)[0]
    row = section.strip().splitlines()[-1]
    assert row == (
        '| 1 | T+3h | carol | rule:"Impossible travel\\*" | travel alerts of the sales team\'s VPN exit'
        " | 2026-10-08T09:40:00.000000Z | 1 | - |"
    )
    assert "| carol | suppression 1: suppression rule made" in text  # and on the timeline
    people = text.split("## Participants", 1)[1].split("\n## ", 1)[0]
    assert [ln.split(" | ")[0] for ln in people.splitlines() if ln.startswith("| ") and "---" not in ln] == [
        "| participant",
        "| alice",
        "| bob",
        "| carol",
    ]  # the rule's closes are carol's work, not a participant's called "suppression"


@pytest.mark.asyncio
async def test_the_terminal_app_makes_a_rule_from_the_selected_alert(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    from textual.widgets import Input

    from triage.tui.widgets.alert_table import AlertTable

    from .tui_helpers import make_app, settle, type_text

    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("down")
        row = app.screen.query_one(AlertTable).current_row()
        assert row is not None
        alert = get_alert(tui_ws, row.id)
        await pilot.press("u")
        await pilot.pause()
        query = app.screen.query_one("#suppress-query", Input).value
        assert query == f'rule:"{alert["rule_name"]}" host:"{alert["host"]}"'
        assert app.screen.focused is app.screen.query_one("#suppress-reason", Input)
        await type_text(pilot, "too short")
        await pilot.press("enter")
        await settle(pilot)
        assert not [e for e in tui_ws.events() if e.action == ev.SUPPRESSION_CREATED]  # refused
        await pilot.press("u")
        await pilot.pause()
        await type_text(pilot, "the scanner on this host runs every night")
        await pilot.press("enter")
        await settle(pilot)
    (made,) = [e for e in tui_ws.events() if e.action == ev.SUPPRESSION_CREATED]
    assert made.actor == "alice" and made.payload["query"] == query
    assert made.payload["reason"] == "the scanner on this host runs every night"
    closed = Commands(tui_ws, playbooks, "poller").ingest(
        [make_alert(rule_name=alert["rule_name"], title="again", host=alert["host"], doc_id="again")]
    )
    assert closed.suppressed == 1
