"""The queue read side: pages, sorts, filters, counts and positions over the projection."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from triage import queries
from triage.commands import Commands
from triage.errors import CommandRejected
from triage.queue import LISTING_SORT, SORT_KEYS, Queue, QueueRow, QueueView, related_alerts
from triage.store.backend import Conn
from triage.store.tables import BLANKS_LAST_KEYS, DUE_AT, SPARSE_INDEXES
from triage.store.workspace import Workspace

from .conftest import Cli, make_alert
from .store_helpers import alert_indexes, migrated_again


@pytest.fixture
def filled(cmds: Commands) -> list[int]:
    base = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    alerts = [
        make_alert(severity="low", host="db-01", user="carol", title="Odd 50%_share"),
        make_alert(severity="critical", host="web-01", title="Malware beacon", rule_id="r-9"),
        make_alert(severity="high", host="web-01", user="bob", fired_at=base + timedelta(hours=2)),
        make_alert(severity="medium", host="web-02", user="root", fired_at=base + timedelta(days=3)),
        make_alert(severity="high", host="web-03", user="dave", src_ip="198.51.100.7"),
    ]
    ids = cmds.ingest(alerts).alert_ids
    cmds.assign(ids[2], "bob")
    cmds.acknowledge(ids[3])  # alice owns it by acknowledging
    cmds.close(ids[4], "false_positive", "scanner", override="lab host, nothing to check")
    return ids


def test_default_view_is_open_alerts_most_severe_first(ws: Workspace, filled: list[int]) -> None:
    q = Queue(ws.conn)
    view = QueueView(analyst="alice")
    rows = q.page(view, 0, 10)
    assert [r.severity for r in rows] == ["critical", "high", "medium", "low"]
    assert q.count(view) == 4
    assert [r.id for r in q.page(view, 1, 2)] == [r.id for r in rows[1:3]]


def test_status_views(ws: Workspace, filled: list[int]) -> None:
    q = Queue(ws.conn)
    ids = filled

    def seen(**kw: object) -> set[int]:
        view = QueueView(analyst="alice", **kw)  # type: ignore[arg-type]
        return {r.id for r in q.page(view, 0, 100)}

    assert seen(status="mine") == {ids[3]}
    assert seen(status="unassigned") == {ids[0], ids[1]}
    assert seen(status="closed") == {ids[4]}
    assert seen(status="acknowledged") == {ids[3]}
    assert seen(status="all") == set(ids)
    assert seen(status="all", severity="high") == {ids[2], ids[4]}
    assert seen(status="all", text="host:web-0*") == {ids[1], ids[2], ids[3], ids[4]}
    assert seen(status="all", text="src_ip:198.51.100.0/24") == {ids[4]}
    assert seen(status="all", text="host:web-0* -user:bob status:open") == {ids[1], ids[3]}
    assert seen(status="all", text=f"#{ids[1]}") == {ids[1]}
    # LIKE wildcards in the search text are taken literally
    assert seen(status="all", text="50%_") == {ids[0]}
    assert seen(status="all", text="%") == {ids[0]}
    counts = q.status_counts(QueueView(analyst="alice"))
    assert counts == {
        "all": 5,
        "open": 4,
        "new": 3,
        "acknowledged": 1,
        "closed": 1,
        "mine": 1,
        "unassigned": 2,
    }


def _sort_value(row: QueueRow, column: str) -> object:
    return {"assignee": row.assignee, "due": row.due, "host": row.host, "user": row.user_name}.get(
        column, row.src_ip if column == "src_ip" else ""
    )


@pytest.mark.parametrize("column", sorted(SORT_KEYS))
def test_every_sort_column_pages_consistently(ws: Workspace, filled: list[int], column: str) -> None:
    q = Queue(ws.conn)
    view = QueueView(analyst="alice", status="all").sorted_by(column)
    whole = [r.id for r in q.page(view, 0, 100)]
    assert sorted(whole) == sorted(filled)
    assert [r.id for r in q.page(view, 0, 2)] + [r.id for r in q.page(view, 2, 100)] == whole
    flipped = [r.id for r in q.page(view.sorted_by(column), 0, 100)]
    # blanks last both ways: the rest reversed, then the blanks reversed
    blank = {r.id for r in q.page(view, 0, 100) if _sort_value(r, column) is None}
    filled_part = [i for i in whole if i not in blank]
    assert whole == filled_part + [i for i in whole if i in blank]
    assert flipped == list(reversed(filled_part)) + [i for i in reversed(whole) if i in blank]
    for i, alert_id in enumerate(whole):
        assert q.position(view, alert_id, radius=1) == i


@pytest.mark.parametrize("column", sorted(SORT_KEYS))
def test_every_sort_walks_an_index(ws: Workspace, filled: list[int], column: str) -> None:
    view = QueueView(analyst="alice", status="all").sorted_by(column)
    where, args = view.where()
    if ws.postgres:
        # with a sort and a sequential scan made as dear as they go, a plan still sorts only
        # where no index gives the order
        ws.conn.execute("BEGIN")
        ws.conn.execute("SET LOCAL enable_seqscan = off")
        ws.conn.execute("SET LOCAL enable_sort = off")
        plan = ws.conn.execute(
            f"EXPLAIN SELECT id FROM alerts{where}{view.order_by()} LIMIT 50", args
        ).fetchall()
        ws.conn.execute("ROLLBACK")
        details = " | ".join(str(r[0]) for r in plan)
        # an incremental sort orders rows the index gave in order only by the last key, id
        full_sorts = [r[0] for r in plan if re.match(r"\s*(->\s+)?Sort\s+\(", str(r[0]))]
        assert not full_sorts and "Index" in details, details
        return
    plan = ws.conn.execute(
        f"EXPLAIN QUERY PLAN SELECT id FROM alerts{where}{view.order_by()} LIMIT 50", args
    ).fetchall()
    details = " | ".join(str(r[-1]) for r in plan)
    assert "TEMP B-TREE" not in details, details
    if column != "id":  # sorting by id walks the table itself, in rowid order
        assert "USING" in details and "INDEX" in details, details


def test_indexes_survive_a_rebuild(ws: Workspace, filled: list[int]) -> None:
    before = alert_indexes(ws)
    assert {"alerts_q_rank", "alerts_q_due", "alerts_q_host"} <= set(before)
    for name, column in SPARSE_INDEXES.items():  # a new alert's blank is not in them
        assert re.search(rf"WHERE \(?{column} IS NOT NULL", before[name]), before[name]
    n, same = ws.rebuild()
    assert same and n > 0
    assert alert_indexes(ws) == before


def test_a_workspace_from_before_the_sparse_indexes_gets_them(ws: Workspace, filled: list[int]) -> None:
    def undo(conn: Conn) -> None:  # the indexes as migration 11 left them
        for name, column in SPARSE_INDEXES.items():
            conn.execute(f"DROP INDEX {name}")
            conn.execute(f"CREATE INDEX {name} ON alerts({column})")

    migrated_again(ws, "m013_sparse_indexes", undo, alert_indexes).close()


def test_a_workspace_from_before_nulls_last_loses_the_blank_key_indexes(
    ws: Workspace, filled: list[int]
) -> None:
    def undo(conn: Conn) -> None:  # the indexes as migration 9 left them
        for name, keys in BLANKS_LAST_KEYS.items():
            conn.execute(f"DROP INDEX IF EXISTS {name}")
            conn.execute(f"CREATE INDEX {name} ON alerts(({keys[0]} IS NULL), {', '.join(keys)})")

    with migrated_again(ws, "m016_blanks_last_by_nulls", undo, alert_indexes) as again:
        after = alert_indexes(again)
        if again.postgres:  # the upward sorts' own indexes, on the columns (NULLS LAST: unsaid going up)
            for name, keys in BLANKS_LAST_KEYS.items():
                if keys[0].isidentifier():
                    assert re.search(rf"btree \({keys[0]}[,)]", after[name]), after[name]
        else:  # the columns' own indexes give those sorts
            assert not set(BLANKS_LAST_KEYS) & set(after), after


def test_bad_views_are_refused() -> None:
    with pytest.raises(CommandRejected, match="status view"):
        QueueView(status="pending")
    with pytest.raises(CommandRejected, match="sort by"):
        QueueView(sort="colour")
    with pytest.raises(CommandRejected, match="unknown severity"):
        QueueView(severity="urgent")
    assert QueueView(severity="crit").severity == "critical"


def test_related_alerts_share_host_user_or_rule_within_the_window(ws: Workspace, filled: list[int]) -> None:
    from triage import queries

    target = queries.get_alert(ws, filled[2])  # web-01, bob, rule r-1, fired 14:00
    related = {row.id: why for why, row in related_alerts(ws.conn, target, window=timedelta(hours=24))}
    assert related[filled[1]] == "host"  # same host, other rule
    assert "rule" in related[filled[0]]  # same rule r-1 from make_alert
    assert filled[3] not in related  # three days later
    assert filled[2] not in related


def test_search_finds_what_a_substring_scan_finds(ws: Workspace, filled: list[int], cmds: Commands) -> None:
    q = Queue(ws.conn)
    cmds.assign(filled[0], "Zed Analyst")  # the search follows changes of assignee

    def expected(word: str) -> set[int]:
        rows = ws.conn.execute("SELECT id, title, rule_name FROM alerts").fetchall()
        return {r[0] for r in rows if any(word.lower() in (v or "").lower() for v in r[1:])}

    def found(text: str) -> set[int]:
        return {r.id for r in q.page(QueueView(status="all", text=text), 0, 100)}

    for word in ("ssh", "BRUTE", "50%_", "%", "b", "bea", "beacon", "x"):
        assert found(word) == expected(word), word
    assert found('"brute FORCE"') == expected("brute force")
    assert found('assignee:"Zed Analyst"') == {filled[0]}
    assert found("assignee:zed*") == {filled[0]}
    ws.rebuild()
    assert found('assignee:"Zed Analyst"') == {filled[0]} and found("bea") == expected("bea")


def test_search_answers_follow_new_events(ws: Workspace, filled: list[int], cmds: Commands) -> None:
    q = Queue(ws.conn)
    view = QueueView(analyst="alice", status="mine", text="host:web*")
    assert q.count(view) == 1 and q.position(view, filled[3]) == 0
    assert q.status_counts(view)["mine"] == 1
    cmds.assign(filled[1], "alice")  # a new event: the search is read again
    assert q.count(view) == 2
    assert [r.id for r in q.page(view, 0, 10)] == [filled[1], filled[3]]  # critical before medium
    counts = q.status_counts(view)
    plain = q.status_counts(QueueView(analyst="alice", status="mine"))  # no text: indexed queries
    assert counts["mine"] == 2 and counts["all"] == 4 and plain["all"] == 5
    assert q.position(view, filled[0]) is None


RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "informational": 4}


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"status": "all"},
        {"status": "closed"},
        {"status": "all", "severities": ["high", "crit"]},
        {"status": "all", "assignee": "alice"},
        {"status": "open", "unassigned": True},
        {"status": "all", "unassigned": True, "assignee": "bob"},  # unassigned wins, as in the CLI
        {"status": "all", "incident": "escalated"},
    ],
)
def test_the_listing_and_the_queue_read_one_model(
    ws: Workspace, cmds: Commands, filled: list[int], filters: dict[str, object]
) -> None:
    incident = cmds.escalate(filled[1]).payload["incident"]
    cmds.link(filled[2], incident)
    kw = {**filters, "incident": incident} if filters.get("incident") else dict(filters)
    listed = queries.list_alerts(ws, **kw)  # type: ignore[arg-type]
    view = QueueView(
        status=str(kw.get("status", "open")),
        severity=tuple(kw.get("severities") or ()),  # type: ignore[arg-type]
        assignee=kw.get("assignee"),  # type: ignore[arg-type]
        unassigned=bool(kw.get("unassigned")),
        incident=kw.get("incident"),  # type: ignore[arg-type]
        sort=LISTING_SORT,
    )
    queued = Queue(ws.conn).page(view, 0, 100)
    assert [r["id"] for r in listed] == [r.id for r in queued]
    # the listing's order: most severe first, then the newest fired, then the newest id
    expected = sorted(listed, key=lambda r: (-RANK[r["severity"]], r["fired_at"], r["id"]), reverse=True)
    assert [r["id"] for r in listed] == [r["id"] for r in expected]
    counts = queries.status_counts(
        ws,
        **{k: v for k, v in kw.items() if k != "status"},  # type: ignore[arg-type]
    )
    every = Queue(ws.conn).status_counts(view)
    assert {s: counts.get(s, 0) for s in ("new", "acknowledged", "closed")} == {
        s: every[s] for s in ("new", "acknowledged", "closed")
    }


def test_the_running_target_of_an_alert_closed_without_an_acknowledgement(
    ws: Workspace, cmds: Commands, cli: Cli
) -> None:
    quick = cmds.ingest([make_alert(severity="high")]).alert_ids[0]
    plain = cmds.ingest([make_alert(severity="high")]).alert_ids[0]
    cmds.close(quick, "false_positive", "noise", override="known noise")
    cmds.reopen(quick, "came back")
    rows = {r.id: r for r in Queue(ws.conn).page(QueueView(analyst="alice", status="all"), 0, 10)}
    # the first close met the acknowledge target: after the reopen the close target runs
    assert rows[quick].status == "new" and rows[quick].due == rows[quick].close_due
    assert rows[plain].due == rows[plain].ack_due
    # the SQL rule behind the queue's due sort is the same rule
    sql = dict(ws.conn.execute(f"SELECT id, {DUE_AT} FROM alerts").fetchall())
    assert sql == {i: r.due for i, r in rows.items()}
    listing = Cli(ws.location)("alerts", "--status", "all").stdout
    line = next(ln for ln in listing.splitlines() if ln.startswith(f"{quick} "))
    assert " 7h59m" in line or " 8h" in line  # the close target (8h), not the acknowledge one (30m)


def test_a_workspace_from_before_the_first_close_column_gets_it_from_its_log(
    ws: Workspace, cmds: Commands
) -> None:
    alert = cmds.ingest([make_alert()]).alert_ids[0]
    cmds.close(alert, "false_positive", "noise", override="known noise")
    first = ws.conn.execute("SELECT first_closed_at FROM alerts").fetchone()[0]
    cmds.reopen(alert, "again")
    cmds.close(alert, "true_positive", "real", override="known")
    # the workspace as migration 4 left it: no column, the old index, migration 5 not applied
    with ws.write_telemetry() as conn:
        conn.execute("DROP INDEX alerts_q_due")
        conn.execute("DROP INDEX IF EXISTS alerts_qb_due")  # migration 9's, on the column (16 remade it)
        conn.execute("DROP INDEX alerts_duplicate_of")  # and migration 8's column after it
        conn.execute("ALTER TABLE alerts DROP COLUMN duplicate_of")
        conn.execute("ALTER TABLE alerts DROP COLUMN first_closed_at")
        later = (
            "('m005_first_close', 'm009_blanks_sort_last', 'm010_duplicate_of', 'm013_sparse_indexes',"
            " 'm016_blanks_last_by_nulls')"
        )
        conn.execute(f"DELETE FROM {ws.migrations_table} WHERE name IN {later}")
    path = ws.location
    ws.close()
    with Workspace.open(path) as again:
        assert again.conn.execute("SELECT first_closed_at FROM alerts").fetchone()[0] == first
        assert again.rebuild(dry_run=True)[1]


def test_a_query_that_cannot_be_read_is_refused_by_the_view() -> None:
    from triage.errors import QuerySyntaxError

    with pytest.raises(QuerySyntaxError, match="column 6: expected a value after 'host:'"):
        QueueView(text="host:")
    view = QueueView(text="host:web-01")
    with pytest.raises(QuerySyntaxError):
        view.with_(text="(")
    assert view.text == "host:web-01"


def test_a_query_on_time_is_read_again_when_the_minute_changes(ws: Workspace, cmds: Commands) -> None:
    from triage.clock import set_clock

    t0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    now = [t0]
    set_clock(lambda: now[0])
    try:
        ids = cmds.ingest([make_alert(severity="critical"), make_alert(severity="low")]).alert_ids
        q = Queue(ws.conn)
        view = QueueView(analyst="alice", text="breached:true")
        assert q.count(view) == 0
        now[0] = t0 + timedelta(hours=2)  # past the critical alert's acknowledge target, no new event
        assert [r.id for r in q.page(view, 0, 10)] == [ids[0]]
        assert q.status_counts(view)["open"] == 1
        now[0] = t0 + timedelta(days=30)
        assert q.count(view) == 2
    finally:
        set_clock(None)


@pytest.mark.parametrize(
    ("text", "plan"),
    [
        ("host:web-01", "USING INDEX alerts_q_host"),
        ("brute", "SCAN alerts"),
        ("src_ip:198.51.100.0/24", "alerts_q_src"),
    ],
)
def test_a_query_is_read_through_its_own_index_not_the_sorts(
    ws: Workspace, filled: list[int], text: str, plan: str
) -> None:
    if ws.postgres:
        pytest.skip("about SQLite's planner (its INDEXED BY / NOT INDEXED hints); PostgreSQL plans its own")
    view = QueueView(status="all", text=text)  # sorted by severity: alerts_q_rank would give that order
    where, args = view.where()
    sql = f"SELECT id FROM alerts{where}{view.order_by(by_index=False)}"
    steps = " | ".join(r[3] for r in ws.conn.execute(f"EXPLAIN QUERY PLAN {sql}", args))
    assert plan in steps and "alerts_q_rank" not in steps, steps


@pytest.mark.parametrize("column", ["assignee", "due", "host", "user", "src_ip"])
@pytest.mark.parametrize("descending", [False, True])
def test_blanks_sort_last_both_ways_on_an_index(
    ws: Workspace, cmds: Commands, column: str, descending: bool
) -> None:
    ids = cmds.ingest(
        [
            make_alert(doc_id="a", host="web-01", user="bob", src_ip="203.0.113.1"),
            make_alert(doc_id="b", host=None, user=None, src_ip=None),
            make_alert(doc_id="c", host="web-02", user="carol", src_ip="203.0.113.2"),
        ]
    ).alert_ids
    cmds.assign(ids[0], "bob")
    cmds.assign(ids[2], "carol")
    cmds.close(ids[1], "false_positive", "noise", override="known noise")  # no running target
    view = QueueView(analyst="alice", status="all", sort=column, descending=descending)
    rows = Queue(ws.conn).page(view, 0, 10)
    assert [r.id for r in rows][-1] == ids[1], [(r.id, _sort_value(r, column)) for r in rows]
    assert _sort_value(rows[-1], column) is None
    if ws.postgres:  # its plans: test_every_sort_walks_an_index
        return
    where, args = view.where()
    plan = ws.conn.execute(f"EXPLAIN QUERY PLAN SELECT id FROM alerts{where}{view.order_by()} LIMIT 50", args)
    details = " | ".join(str(r[-1]) for r in plan.fetchall())
    assert "TEMP B-TREE" not in details, details
