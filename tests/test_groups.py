"""The queue grouped: per group its alerts, worst severity and first due target."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.commands import Commands
from triage.domain.state import running_due
from triage.errors import CommandRejected
from triage.groups import GROUP_BY, Group, groups, members
from triage.query import parse
from triage.queue import QueueView
from triage.store.workspace import Workspace

from .conftest import make_alert
from .query_helpers import NOW, QUERY, ROW, insert, table

RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "informational": 0}


@pytest.fixture
def filled(cmds: Commands) -> list[int]:
    base = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    alerts = [
        make_alert(severity="low", host="web-01", rule_name="Port Scan", src_ip="10.0.0.1"),
        make_alert(severity="critical", host="web-01", rule_name="Port Scan", src_ip="10.0.0.2"),
        make_alert(severity="high", host="db-01", rule_name="SSH Brute Force", user="bob"),
        make_alert(severity="medium", host=None, rule_name=None, fired_at=base + timedelta(hours=1)),
        make_alert(severity="high", host="web-01", rule_name="SSH Brute Force", user="bob"),
        make_alert(severity="medium", host="db-01", rule_name="Port Scan"),
    ]
    ids = cmds.ingest(alerts).alert_ids
    cmds.acknowledge(ids[2])  # its close target runs now, not its acknowledge target
    cmds.close(ids[5], "false_positive", "scanner", override="lab")
    return ids


def _expected(ws: Workspace, view: QueueView, by: str) -> dict[str | None, tuple[int, str, str | None]]:
    """The groups computed in Python from the view's rows."""
    column = GROUP_BY[by]
    where, args = view.where()
    cur = ws.conn.execute(f"SELECT * FROM alerts{where}", args)
    names = [d[0] for d in cur.description]
    found: dict[str | None, list[dict[str, object]]] = defaultdict(list)
    for r in cur:
        row = dict(zip(names, r, strict=True))
        found[row[column]].append(row)  # type: ignore[index]
    out = {}
    for key, rows in found.items():
        worst = max((str(r["severity"]) for r in rows), key=RANK.__getitem__)
        dues = [
            d
            for r in rows
            if (d := running_due(str(r["status"]), r["ack_due"], r["close_due"], r["first_closed_at"]))  # type: ignore[arg-type]
        ]
        out[key] = (len(rows), worst, min(dues) if dues else None)
    return out


@pytest.mark.parametrize("by", list(GROUP_BY))
@pytest.mark.parametrize("text", ["", "severity>=medium", "-host:web-01"])
def test_groups_agree_with_the_views_rows(ws: Workspace, filled: list[int], by: str, text: str) -> None:
    view = QueueView(status="all", text=text)
    found = groups(ws.conn, view, by)
    assert {g.key: (g.count, g.worst, g.first_due) for g in found} == _expected(ws, view, by)
    # worst first, then the biggest
    assert [(-RANK[g.worst], -g.count) for g in found] == sorted((-RANK[g.worst], -g.count) for g in found)


def test_groups_and_their_members(ws: Workspace, filled: list[int]) -> None:
    ids = filled
    view = QueueView(analyst="alice")  # open alerts
    by_rule = groups(ws.conn, view, "rule")
    assert [(g.key, g.count, g.worst) for g in by_rule] == [
        ("Port Scan", 2, "critical"),
        ("SSH Brute Force", 2, "high"),
        (None, 1, "medium"),
    ]
    assert [r.id for r in members(ws.conn, view, "rule", "Port Scan")] == [
        ids[1],
        ids[0],
    ]  # most severe first
    assert [r.id for r in members(ws.conn, view, "rule", None)] == [ids[3]]
    by_host = {g.key: g for g in groups(ws.conn, view, "host")}
    assert by_host["db-01"] == Group("host", "db-01", 1, "high", by_host["db-01"].first_due)
    acked = ws.conn.execute("SELECT close_due FROM alerts WHERE id = ?", (ids[2],)).fetchone()[0]
    assert by_host["db-01"].first_due == acked  # the close target runs once acknowledged
    narrowed = view.with_(text="severity:critical")
    assert [r.id for r in members(ws.conn, narrowed, "host", "web-01")] == [ids[1]]
    medium = QueueView(status="all", text="severity:medium")  # two groups of one: by key, none last
    assert [(g.key, g.count) for g in groups(ws.conn, medium, "host")] == [("db-01", 1), (None, 1)]
    assert [(g.key, g.count) for g in groups(ws.conn, medium, "user")] == [("root", 2)]
    with pytest.raises(CommandRejected, match="cannot group by 'colour'"):
        groups(ws.conn, view, "colour")


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(ROW, min_size=1, max_size=10), by=st.sampled_from(list(GROUP_BY)), text=QUERY)
def test_groups_agree_with_python_on_generated_alerts(rows: list[dict[str, Any]], by: str, text: str) -> None:
    conn = table()
    try:
        stored = insert(conn, rows)
        view = QueueView(status="all", text=text)
        q = parse(text)
        column = GROUP_BY[by]
        expected: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
        for r in stored:
            if q.matches(r, NOW):
                expected[r[column]].append(r)
        found = groups(conn, view, by, now=NOW)
        assert {g.key: g.count for g in found} == {k: len(v) for k, v in expected.items()}
        for g in found:
            members_ = expected[g.key]
            assert g.worst == max((r["severity"] for r in members_), key=RANK.__getitem__)
            dues = [
                d
                for r in members_
                if (d := running_due(r["status"], r["ack_due"], r["close_due"], r["first_closed_at"]))
            ]
            assert g.first_due == (min(dues) if dues else None)
            assert sorted(m.id for m in members(conn, view, by, g.key, now=NOW)) == sorted(
                r["id"] for r in members_
            )
    finally:
        conn.close()
