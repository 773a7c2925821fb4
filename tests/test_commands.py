"""The command rules: each command validates, then appends exactly one event."""

from __future__ import annotations

from typing import Any

import pytest

from triage import queries
from triage.commands import Commands
from triage.commands.ingest import Ingest, collision_key
from triage.domain import events as ev
from triage.errors import CommandRejected, Conflict, NotFound
from triage.playbooks import PlaybookSet
from triage.queries import get_alert, get_incident
from triage.store.identity import content_digest
from triage.store.workspace import Workspace

from .conftest import event_count, ingest_one, make_alert

BRUTE_REQUIRED = ["validate", "check-success", "scope", "document"]


def test_ingest_matches_playbook_and_sets_targets(ws: Workspace, cmds: Commands) -> None:
    alert = get_alert(ws, ingest_one(cmds, severity="critical"))
    assert alert["playbook_id"] == "brute-force"
    assert alert["required_steps"] == BRUTE_REQUIRED
    assert alert["status"] == "new" and alert["assignee"] is None
    # brute-force: critical must be acknowledged within 15 minutes of reaching the queue
    from triage.clock import parse_time

    ack = parse_time(alert["ack_due"]) - parse_time(alert["ingested_at"])
    assert ack.total_seconds() == 15 * 60


def test_unmatched_alert_gets_the_default_playbook(ws: Workspace, cmds: Commands) -> None:
    alert = ingest_one(cmds, rule_name="Weird thing", title="Weird thing", techniques=())
    assert get_alert(ws, alert)["playbook_id"] == "default"


def test_same_alert_twice_is_stored_once(ws: Workspace, cmds: Commands) -> None:
    a = make_alert(doc_id="same", raw={"same": "content"})
    assert cmds.ingest([a, a]).ingested == 1
    again = cmds.ingest([make_alert(doc_id="same", raw={"same": "content"})])
    assert again.ingested == 0 and again.present == 1
    assert event_count(ws) == 1


def test_same_key_other_content_is_a_collision_not_a_duplicate(ws: Workspace, cmds: Commands) -> None:
    first = cmds.ingest([make_alert(doc_id="same", raw={"n": 1})])
    other = cmds.ingest([make_alert(doc_id="same", raw={"n": 2})])
    assert (other.ingested, other.collisions, other.present) == (0, 1, 0)
    (alert_id,) = other.alert_ids
    row = ws.conn.execute("SELECT collision_of, dedup_key FROM alerts WHERE id = ?", (alert_id,)).fetchone()
    assert row[0] == first.alert_ids[0] and row[1].startswith("alerts-test/same#")
    # both versions are now known: neither comes in again
    again = cmds.ingest([make_alert(doc_id="same", raw={"n": 2}), make_alert(doc_id="same", raw={"n": 1})])
    assert again.records == again.present == 2


def _collision_key(doc_id: str, raw: dict[str, Any]) -> str:
    """The doc id whose key is the one a collision of ``raw`` under ``doc_id`` is stored under."""
    return collision_key(doc_id, content_digest(raw))


def test_a_collision_whose_key_another_alert_holds_is_quarantined_with_the_reason(
    ws: Workspace, cmds: Commands
) -> None:
    taken = _collision_key("same", {"n": 2})
    cmds.ingest([make_alert(doc_id="same", raw={"n": 1}), make_alert(doc_id=taken, raw={"n": 3})])
    other = cmds.ingest([make_alert(doc_id="same", raw={"n": 2})])
    assert (other.ingested, other.collisions, other.quarantined) == (0, 0, 1)
    reason = ws.conn.execute("SELECT reason FROM quarantine").fetchone()[0]
    assert f"its collision's key alerts-test/{taken} is another alert's" in reason
    held = ws.conn.execute("SELECT count(*) FROM alerts WHERE dedup_key = ?", (f"alerts-test/{taken}",))
    assert held.fetchone()[0] == 1


@pytest.mark.parametrize("batched", [True, False])
def test_a_key_a_collision_took_is_held_in_its_own_batch_as_in_a_later_one(
    ws: Workspace, playbooks: PlaybookSet, batched: bool
) -> None:
    ingest = Ingest(Commands(ws, playbooks, "alice"), batch_writes=batched)
    ingest.alerts([make_alert(doc_id="same", raw={"n": 1})])
    taken = _collision_key("same", {"n": 2})
    # the collision takes the key, then a document under that very key arrives in the same batch
    result = ingest.alerts([make_alert(doc_id="same", raw={"n": 2}), make_alert(doc_id=taken, raw={"n": 3})])
    assert (result.ingested, result.collisions, result.quarantined) == (0, 2, 0)
    rows = ws.conn.execute("SELECT id, dedup_key, collision_of FROM alerts ORDER BY id").fetchall()
    first, collision, second = rows
    assert collision[1:] == (f"alerts-test/{taken}", first[0])
    assert second[1] == f"alerts-test/{_collision_key(taken, {'n': 3})}" and second[2] == collision[0]
    assert len({key for _, key, _ in rows}) == 3  # every key one alert's


def test_alerts_without_ids_dedup_on_content(ws: Workspace, cmds: Commands) -> None:
    a = make_alert(doc_id=None, index=None, raw={"x": 1, "y": [1, 2]})
    b = make_alert(doc_id=None, index=None, raw={"y": [1, 2], "x": 1})
    assert cmds.ingest([a, b]).ingested == 1


def test_acknowledge_takes_ownership_and_is_not_repeated(ws: Workspace, cmds: Commands) -> None:
    alert = ingest_one(cmds)
    event = cmds.acknowledge(alert)
    assert event.action == "alert.acknowledged" and event.payload == {"assignee": "alice"}
    row = get_alert(ws, alert)
    assert row["status"] == "acknowledged" and row["assignee"] == "alice"
    assert row["acknowledged_by"] == "alice" and row["acknowledged_at"] == event.ts
    with pytest.raises(CommandRejected, match="already acknowledged"):
        cmds.acknowledge(alert)


def test_assign(ws: Workspace, cmds: Commands) -> None:
    alert = ingest_one(cmds)
    event = cmds.assign(alert, "bob")
    assert event.payload == {"assignee": "bob", "previous": None}
    cmds.acknowledge(alert)
    assert get_alert(ws, alert)["assignee"] == "bob"  # acknowledging does not steal it
    with pytest.raises(CommandRejected, match="already assigned"):
        cmds.assign(alert, "bob")
    with pytest.raises(CommandRejected, match="assignee is required"):
        cmds.assign(alert, "  ")


def test_note(ws: Workspace, cmds: Commands) -> None:
    alert = ingest_one(cmds)
    event = cmds.note(alert, "  line one\nline two  ")
    assert event.payload == {"text": "line one\nline two"}
    assert get_alert(ws, alert)["notes"] == 1
    with pytest.raises(CommandRejected, match="required"):
        cmds.note(alert, "")
    with pytest.raises(CommandRejected, match="too long"):
        cmds.note(alert, "x" * 70000)


def test_steps(ws: Workspace, cmds: Commands) -> None:
    alert = ingest_one(cmds)
    event = cmds.complete_step(alert, "validate", note="10 failures from one IP")
    assert event.payload == {"step": "validate", "playbook": "brute-force", "note": "10 failures from one IP"}
    assert get_alert(ws, alert)["steps_done"] == ["validate"]
    with pytest.raises(CommandRejected, match="already done"):
        cmds.complete_step(alert, "validate")
    with pytest.raises(CommandRejected, match="has no step 'nope'"):
        cmds.complete_step(alert, "nope")


def test_close_needs_disposition_and_reason(ws: Workspace, cmds: Commands) -> None:
    alert = ingest_one(cmds)
    for step in BRUTE_REQUIRED:
        cmds.complete_step(alert, step)
    with pytest.raises(CommandRejected, match="unknown disposition"):
        cmds.close(alert, "", "because")
    with pytest.raises(CommandRejected, match="reason"):
        cmds.close(alert, "false_positive", " ")
    event = cmds.close(alert, "false_positive", "monitoring account")
    assert event.payload == {
        "disposition": "false_positive",
        "reason": "monitoring account",
        "override": None,
    }
    row = get_alert(ws, alert)
    assert (row["status"], row["disposition"], row["closed_by"]) == ("closed", "false_positive", "alice")
    with pytest.raises(CommandRejected, match="already closed"):
        cmds.close(alert, "false_positive", "again")


def test_close_with_open_required_steps_needs_a_logged_override(ws: Workspace, cmds: Commands) -> None:
    alert = ingest_one(cmds)
    cmds.complete_step(alert, "validate")
    before = event_count(ws)
    with pytest.raises(CommandRejected, match="check-success, scope, document"):
        cmds.close(alert, "true_positive", "confirmed")
    assert event_count(ws) == before
    event = cmds.close(alert, "duplicate", "same as alert 1", override="handled in alert 1")
    assert event.payload["override"] == {
        "justification": "handled in alert 1",
        "open_steps": ["check-success", "scope", "document"],
    }
    assert get_alert(ws, alert)["close_override"] == "handled in alert 1"


def test_a_duplicate_names_the_alert_it_duplicates_and_needs_no_override(
    ws: Workspace, cmds: Commands
) -> None:
    original = ingest_one(cmds, doc_id="first")
    duplicate = ingest_one(cmds, doc_id="second")  # its required steps are all open
    before = event_count(ws)
    with pytest.raises(CommandRejected, match="only a duplicate"):
        cmds.close(duplicate, "false_positive", "noise", duplicate_of=original)
    with pytest.raises(CommandRejected, match="itself"):
        cmds.close(duplicate, "duplicate", "the same", duplicate_of=duplicate)
    with pytest.raises(NotFound):
        cmds.close(duplicate, "duplicate", "the same", duplicate_of=999)
    assert event_count(ws) == before
    event = cmds.close(duplicate, "duplicate", "the same spray", duplicate_of=original)
    assert event.payload["duplicate_of"] == original and event.payload["override"] is None
    assert ev.describe(event.action, event.payload) == f"closed as duplicate of #{original}: the same spray"
    assert get_alert(ws, duplicate)["duplicate_of"] == original
    assert queries.duplicates_of(ws, original) == [duplicate]
    cmds.reopen(duplicate, "not the same after all")
    assert get_alert(ws, duplicate)["duplicate_of"] is None
    assert queries.duplicates_of(ws, original) == []
    assert ws.rebuild(dry_run=True)[1]


def test_reopen(ws: Workspace, cmds: Commands) -> None:
    alert = ingest_one(cmds)
    with pytest.raises(CommandRejected, match="not closed"):
        cmds.reopen(alert, "why")
    cmds.acknowledge(alert)
    cmds.close(alert, "false_positive", "noise", override="obvious")
    with pytest.raises(CommandRejected, match="closed; reopen"):
        cmds.complete_step(alert, "validate")
    event = cmds.reopen(alert, "same IP came back")
    assert event.payload == {"reason": "same IP came back", "previous_disposition": "false_positive"}
    row = get_alert(ws, alert)
    assert row["status"] == "acknowledged" and row["disposition"] is None and row["reopened"] == 1


def test_closed_alert_refuses_changes_until_reopened(ws: Workspace, cmds: Commands) -> None:
    alert = ingest_one(cmds)
    cmds.close(alert, "false_positive", "noise", override="obvious")
    for call in (
        lambda: cmds.acknowledge(alert),
        lambda: cmds.assign(alert, "bob"),
        lambda: cmds.complete_step(alert, "validate"),
        lambda: cmds.change_severity(alert, "low", "x"),
        lambda: cmds.escalate(alert),
    ):
        with pytest.raises(CommandRejected, match="closed"):
            call()
    cmds.note(alert, "notes are still welcome after closing")


def test_severity_change_moves_targets(ws: Workspace, cmds: Commands) -> None:
    alert = ingest_one(cmds, severity="low")
    before = get_alert(ws, alert)["ack_due"]
    event = cmds.change_severity(alert, "critical", "domain controller involved")
    assert event.payload["from"] == "low" and event.payload["to"] == "critical"
    row = get_alert(ws, alert)
    assert row["severity"] == "critical" and row["original_severity"] == "low"
    assert row["ack_due"] < before
    with pytest.raises(CommandRejected, match="already critical"):
        cmds.change_severity(alert, "critical", "again")
    with pytest.raises(CommandRejected, match="unknown severity"):
        cmds.change_severity(alert, "urgent", "x")


def test_escalate_new_and_existing_incident_link_unlink(ws: Workspace, cmds: Commands) -> None:
    a, b = ingest_one(cmds), ingest_one(cmds)
    event = cmds.escalate(a, title="Credential attack on web tier")
    inc = event.payload["incident"]
    assert event.payload["new_incident"]["title"] == "Credential attack on web tier"
    assert get_incident(ws, inc)["owner"] == "alice"
    cmds.escalate(b, incident_id=inc)
    assert get_alert(ws, b)["incident_id"] == inc
    with pytest.raises(CommandRejected, match="already in incident"):
        cmds.escalate(b, incident_id=inc)
    with pytest.raises(NotFound):
        cmds.escalate(b, incident_id=999)
    cmds.unlink(b)
    assert get_alert(ws, b)["incident_id"] is None
    with pytest.raises(CommandRejected, match="not part of an incident"):
        cmds.unlink(b)
    cmds.link(b, inc)
    with pytest.raises(CommandRejected, match="unlink it first"):
        cmds.link(b, cmds.escalate(ingest_one(cmds)).payload["incident"])
    timeline = [e.action for e in ws.events(ref=f"incident:{inc}")]
    assert timeline == ["alert.escalated", "alert.escalated", "alert.unlinked", "alert.linked"]
    cmds.update_incident(inc, status="closed", reason="contained")
    assert get_incident(ws, inc)["closed_at"] is not None


def test_unknown_alert(cmds: Commands) -> None:
    with pytest.raises(NotFound, match="no alert 42"):
        cmds.acknowledge(42)


def test_optimistic_concurrency(ws: Workspace, cmds: Commands, playbooks) -> None:  # type: ignore[no-untyped-def]
    alert = ingest_one(cmds)
    seen = get_alert(ws, alert)["last_seq"]
    bob = Commands(ws, playbooks, "bob")
    bob.acknowledge(alert, expected_seq=seen)
    with pytest.raises(Conflict, match="changed since you looked"):
        cmds.acknowledge(alert, expected_seq=seen)


def test_every_successful_command_appends_exactly_one_event(ws: Workspace, cmds: Commands) -> None:
    alert = ingest_one(cmds)
    calls = [
        lambda: cmds.assign(alert, "bob"),
        lambda: cmds.acknowledge(alert),
        lambda: cmds.note(alert, "n"),
        lambda: cmds.complete_step(alert, "validate"),
        lambda: cmds.change_severity(alert, "critical", "r"),
        lambda: cmds.escalate(alert),
        lambda: cmds.unlink(alert),
        lambda: cmds.link(alert, 1),
        lambda: cmds.close(alert, "true_positive", "r", override="o"),
        lambda: cmds.reopen(alert, "r"),
        lambda: cmds.update_incident(1, owner="carol"),
    ]
    for call in calls:
        before = event_count(ws)
        call()
        assert event_count(ws) == before + 1


def test_text_that_is_not_utf8_is_refused_before_anything_is_written(ws: Workspace, cmds: Commands) -> None:
    # bytes that are not UTF-8 on a command line arrive as lone surrogates (surrogateescape)
    alert = ingest_one(cmds)
    before = event_count(ws)
    for action in (
        lambda: cmds.escalate(alert, title="x\udcff"),
        lambda: cmds.assign(alert, "bob\udcff"),
        lambda: cmds.note(alert, "note \udcff"),
    ):
        with pytest.raises(CommandRejected, match="not UTF-8"):
            action()
    assert event_count(ws) == before
