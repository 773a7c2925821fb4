"""Suppression rules, audited: their rules of creation, what they close at ingest (never
dropped, the same decision on replay), expiry and end, and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from triage import clock
from triage.commands import Commands
from triage.domain import events as ev
from triage.errors import CommandRejected, QuerySyntaxError
from triage.playbooks import PlaybookSet
from triage.queries import get_alert, list_alerts
from triage.store.workspace import Workspace

from .conftest import Cli, make_alert
from .test_evidence import FakeClock

REASON = "vendor pentest from 203.0.113.9, ticket SEC-123"


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
