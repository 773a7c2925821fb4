"""Every index on the alert row earns its keep: some query of the read side plans with it.

Each index costs every ingest a B-tree insert per alert, so an index no query uses is pure
cost. The test drives the read side (every queue sort and view, counts, positions, related
alerts, listings) and the ingest's own look-ups, records every statement SQLite runs, asks
SQLite for each one's plan, and checks that every index on ``alerts`` appears in some plan.
SQLite plans without statistics (the workspace never runs ANALYZE), so a small workspace
plans as a large one does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from triage import queries
from triage.commands import Commands
from triage.playbooks import PlaybookSet
from triage.queue import _ORDERS, STATUS_VIEWS, Queue, QueueView, related_alerts
from triage.store.workspace import Workspace

from .conftest import make_alert

_USING = re.compile(r"USING (?:COVERING )?INDEX (\w+)")


def _drive(ws: Workspace, cmds: Commands) -> None:
    base = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    alerts = [
        make_alert(severity="low", host="db-01", user="carol", title="Odd share"),
        make_alert(severity="critical", host="web-01", title="Malware beacon", rule_id="r-9"),
        make_alert(severity="high", host="web-01", user="bob", fired_at=base + timedelta(hours=2)),
        make_alert(severity="medium", host="web-02", user="root", src_ip="198.51.100.7"),
    ]
    ids = cmds.ingest(alerts).alert_ids
    cmds.assign(ids[2], "bob")
    cmds.acknowledge(ids[3])
    cmds.escalate(ids[1], title="Beaconing", severity="critical")
    cmds.ingest(alerts)  # every one present: the ingest's look-ups by key
    q = Queue(ws.conn)
    incident = int(ws.conn.execute("SELECT max(id) FROM incidents").fetchone()[0])
    for sort in _ORDERS:
        for status in STATUS_VIEWS:
            view = QueueView(analyst="alice", status=status, sort=sort)
            for v in (view, view.with_(descending=not view.descending)):
                q.page(v, 0, 50)
                q.count(v)
                q.position(v, ids[0], near=0, radius=1)
    for view in (
        QueueView(analyst="alice", incident=incident),
        QueueView(analyst="alice", playbook="brute-force"),
        QueueView(analyst="alice", severity="high", assignee="bob"),
        QueueView(analyst="alice", unassigned=True),
    ):
        q.page(view, 0, 50)
        q.count(view)
        q.status_counts(view)
    q.status_counts(QueueView(analyst="alice"))
    q.playbook_ids()
    for alert_id in ids:
        related_alerts(ws.conn, queries.get_alert(ws, alert_id))
        queries.duplicates_of(ws, alert_id)
    queries.list_alerts(ws)
    queries.list_incidents(ws)
    queries.get_incident(ws, incident)


def test_every_index_on_alerts_is_in_some_plan(tmp_path: Path, playbooks: PlaybookSet) -> None:
    ws = Workspace.create(tmp_path / "ws.db")
    statements: list[str] = []
    ws.conn.set_trace_callback(statements.append)  # type: ignore[attr-defined]
    _drive(ws, Commands(ws, playbooks, "alice"))
    ws.conn.set_trace_callback(None)  # type: ignore[attr-defined]
    used: set[str] = set()
    for sql in dict.fromkeys(statements):
        if not re.match(r"\s*(SELECT|WITH)\b", sql, re.IGNORECASE) or "sqlite_master" in sql:
            continue
        for row in ws.conn.execute(f"EXPLAIN QUERY PLAN {sql}"):
            used.update(_USING.findall(str(row[-1])))
    rows = ws.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alerts'")
    indexes = {r[0] for r in rows}
    ws.close()
    # keys are looked up by their number (no index on their text): the ingest's look-up
    assert "alerts_key_hash" in indexes and "sqlite_autoindex_alerts_1" not in indexes
    assert indexes - used == set(), f"no query plans with {sorted(indexes - used)}"


def test_a_count_of_every_alert_walks_the_narrowest_index(tmp_path: Path) -> None:
    # the queue's count of the "all" view: an index that holds every row and little else (the
    # duplicate-of index, whose column a new alert leaves blank, or the keys' numbers), not a
    # wide or partial one
    ws = Workspace.create(tmp_path / "ws.db")
    plan = " | ".join(str(r[-1]) for r in ws.conn.execute("EXPLAIN QUERY PLAN SELECT count(*) FROM alerts"))
    ws.close()
    assert re.search(r"COVERING INDEX (alerts_duplicate_of|alerts_key_hash)\b", plan), plan


def test_an_alerts_or_incidents_events_are_read_through_the_timeline(
    tmp_path: Path, playbooks: PlaybookSet
) -> None:
    """The log's only index besides its key is by time: an alert's or an incident's events
    are found through the timeline's key, never by a scan of the log."""
    from triage.evidence.replay import alert_as_of, incident_as_of

    ws = Workspace.create(tmp_path / "ws.db")
    cmds = Commands(ws, playbooks, "alice")
    ids = cmds.ingest([make_alert(), make_alert(host="web-02")]).alert_ids
    cmds.note(ids[0], "looked")
    cmds.escalate(ids[0], title="Beaconing", severity="high")
    cmds.close(ids[1], "false_positive", "noise", override="known noise")
    head = ws.head()[0]
    statements: list[str] = []
    ws.conn.set_trace_callback(statements.append)  # type: ignore[attr-defined]
    state = alert_as_of(ws.conn, ids[0], head)
    incident = incident_as_of(ws.conn, 1, head)
    timeline = list(ws.events(ref=f"alert:{ids[0]}"))
    ws.conn.set_trace_callback(None)  # type: ignore[attr-defined]
    assert state is not None and state.notes == 1 and state.incident_id == 1
    assert incident is not None and incident.title == "Beaconing"
    assert [e.action for e in timeline] == ["alert.ingested", "alert.noted", "alert.escalated"]
    rows = ws.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'")
    assert {r[0] for r in rows} == {"events_ts"}
    for sql in dict.fromkeys(statements):
        plan = " | ".join(str(r[-1]) for r in ws.conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "SCAN e" not in plan and "SCAN events" not in plan, (sql, plan)
        assert "sqlite_autoindex_timeline_1" in plan or "PRIMARY KEY" in plan, (sql, plan)
    ws.close()
