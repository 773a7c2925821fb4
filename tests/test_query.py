"""The query language: its syntax, its errors and what its queries mean, in SQL and Python alike."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from triage.commands import Commands
from triage.errors import ArgumentError, QuerySyntaxError
from triage.query import parse
from triage.store.workspace import Workspace

from .conftest import make_alert
from .query_helpers import NOW, both, insert, table, ts


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    c = table()
    yield c
    c.close()


# -- syntax errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "reason"),
    [
        ("host:", 6, "expected a value after 'host:'"),
        ("(brute OR scan", 1, "this parenthesis is never closed"),
        ("brute)", 6, "unmatched ')'"),
        ("sev:high", 1, "unknown field 'sev'"),
        ("severity>=hgh", 11, "unknown severity 'hgh'"),
        ('rule:"ET SCAN', 6, "this quote is never closed"),
        ("brute OR", 7, "nothing after OR"),
        ("OR brute", 1, "OR needs something before it"),
        ("- brute", 1, "nothing to negate after '-'"),
        ("host>web", 1, "'host' takes ':' only"),
        ("src_ip:fe80::/10", 8, "IPv6 networks are not supported"),
        ("src_ip:10.0.0.0/33", 8, "is not a network"),
        ("technique:T*1", 11, "list fields take one '*', at the end"),
        ("status:opne", 8, "unknown status 'opne'"),
        ("breached:maybe", 10, "use true or false"),
        ("id:seven", 4, "'seven' is not a number"),
        ("incident>1234567890123456789", 10, "is too large"),
        ("due>now+99999999w", 5, "is too far from now"),
        ("fired>yesterday", 7, "is not a time"),
        ("fired:now-1h", 7, "compare relative times with > or <"),
        ("()", 2, "empty parentheses"),
        ('a"b', 2, "a quote inside a word"),
        ("host:web-01 AND", 13, "nothing after AND"),
    ],
)
def test_a_syntax_error_says_where_and_why(text: str, column: int, reason: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(text)
    err = info.value
    assert isinstance(err, ArgumentError)  # a usage error: exit code 2
    assert err.column == column, str(err)
    assert reason in err.reason
    assert str(err).startswith(f"query, column {column}: ")


# -- what queries mean -----------------------------------------------------------------------

ROWS: list[dict[str, Any]] = [
    {  # 1
        "title": "SSH brute force against web-01",
        "rule_name": "SSH Brute Force",
        "rule_id": "r-1",
        "severity": "high",
        "host": "web-01",
        "user_name": "alice",
        "src_ip": "10.1.2.3",
        "techniques": json.dumps(["T1110.001"]),
        "ack_due": ts(-1),
        "close_due": ts(20),
    },
    {  # 2
        "title": "Port scan",
        "rule_name": "ET SCAN Nmap",
        "severity": "medium",
        "host": "web-02",
        "src_ip": "172.20.0.9",
        "assignee": "bob",
        "status": "acknowledged",
        "ack_due": ts(-30),
        "close_due": ts(2),
    },
    {  # 3
        "title": "Malware beacon",
        "rule_name": "Beacon",
        "severity": "critical",
        "host": "db-01",
        "src_ip": "172.32.0.1",
        "techniques": json.dumps(["T1071"]),
        "tags": json.dumps(["c2", "prod"]),
        "status": "closed",
        "assignee": "carol",
        "disposition": "true_positive",
        "fired_at": ts(-2),
    },
    {  # 4
        "title": "Odd 50%_share",
        "severity": "low",
        "host": None,
        "src_ip": "2001:db8::1",
        "ack_due": ts(3),
        "incident_id": 7,
    },
]


@pytest.fixture
def rows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return insert(conn, ROWS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {1, 2, 3, 4}),
        ("host:web-01", {1}),
        ("host:WEB-01", set()),  # exact is case-sensitive
        ("host:WEB-*", {1, 2}),  # a pattern ignores case
        ("host:*", {1, 2, 3}),
        ("-host:*", {4}),
        ("-assignee:bob", {1, 3, 4}),  # the unassigned ones too
        ("-assignee:*", {1, 4}),
        ("user:alice severity>=high", {1}),
        ("severity>=high", {1, 3}),
        ("severity<medium", {4}),
        ("severity:medium", {2}),
        ("status:open", {1, 2, 4}),
        ("status:closed", {3}),
        ('rule:"ET SCAN*"', {2}),
        ("rule:r-1", {1}),
        ("technique:T1110", {1}),  # a sub-technique of it
        ("technique:T1110.001", {1}),
        ("technique:T107*", {3}),
        ("tag:prod", {3}),
        ("tag:pro", set()),
        ("src_ip:10.0.0.0/8", {1}),
        ("src_ip:172.16.0.0/12", {2}),
        ("src_ip:172.20.0.9/32", {2}),
        ("src_ip:2001:db8::1", {4}),
        ("breached:true", {1}),  # 1's acknowledge target is over; 2 runs its close target, due later
        ("breached:false", {2, 3, 4}),
        ("brute", {1}),
        ("BRUTE -web", set()),
        ('"port scan"', {2}),
        ("nmap", {2}),  # the rule name
        ("50%_", {4}),  # LIKE's own wildcards are literal
        ("5_%", set()),
        ("#3", {3}),
        ("#1234567890123456789", set()),  # too long for an id: a word
        ("id>=3", {3, 4}),
        ("incident:7", {4}),
        ("-incident:7", {1, 2, 3}),
        ("fired>=now-24h", {3}),
        ("fired<now-24h", {1, 2, 4}),
        (f"fired:{ts(-2)[:10]}", {3}),
        ("due<now", {1}),
        ("disposition:true_positive", {3}),
        ("(host:web-01 OR host:db-01) -status:closed", {1}),
        ("host:web-01 OR host:db-01 severity:critical", {1, 3}),  # AND binds tighter
        ("NOT (brute OR scan)", {3, 4}),
        ("scan AND host:web-02", {2}),
        (r"title:Odd\ 50\*", set()),
        (r'title:"Odd 50%\_share"', {4}),
    ],
)
def test_what_a_query_matches(
    conn: sqlite3.Connection, rows: list[dict[str, Any]], text: str, expected: set[int]
) -> None:
    assert both(conn, rows, text) == expected


def test_breached_follows_the_running_target(conn: sqlite3.Connection) -> None:
    # Acknowledged: the acknowledge target is over, the close target runs (and is due later).
    rows = insert(conn, [{"status": "acknowledged", "ack_due": ts(-5), "close_due": ts(5)}])
    assert both(conn, rows, "breached:true") == set()
    assert both(conn, rows, "due>now") == {1}


def test_the_sql_is_portable_and_parameterised(conn: sqlite3.Connection) -> None:
    text = (
        'host:web-01 user:alice severity>=high status:open rule:"ET SCAN*" technique:T1110'
        ' src_ip:10.0.0.0/8 breached:true -assignee:bob (x OR "it\'s") fired>now-1h'
    )
    where, params = parse(text).sql(NOW)
    assert "GLOB" not in where.upper()
    assert "'" not in re.sub(r"'(closed|critical|high|medium|low|new|acknowledged|\\)'", "", where)
    functions = set(re.findall(r"([A-Za-z_]+)\s*\(", where)) - {"AND", "OR", "NOT", "IN"}
    assert not functions, functions  # LIKE folds ASCII case itself: no LOWER per row
    assert where.count("?") == len(params)
    assert "it's" in " ".join(str(p) for p in params)  # values travel as parameters only
    conn.execute(f"SELECT count(*) FROM alerts WHERE {where}", params)


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("host:web-01", "alerts_q_host"),
        ("user:alice", "alerts_q_user"),
        ("assignee:bob", "alerts_assignee"),
        ("src_ip:10.0.0.0/8", "alerts_q_src"),
        ("fired:2026-10", "alerts_fired"),
        ("incident:3", "alerts_incident"),
    ],
)
def test_field_terms_use_their_index(conn: sqlite3.Connection, text: str, index: str) -> None:
    where, params = parse(text).sql(NOW)
    plan = " ".join(
        r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN SELECT id FROM alerts WHERE {where}", params)
    )
    assert index in plan, plan


def test_the_text_is_kept_and_an_empty_query_matches_everything() -> None:
    q = parse("  host:web-01  ")
    assert q.text == "  host:web-01  "
    assert not q.empty
    assert parse("   ").empty
    assert parse("").matches({"id": 1}, NOW)


def test_matches_takes_a_workspace_row_and_lists_as_lists(ws: Workspace, cmds: Commands) -> None:
    ids = cmds.ingest(
        [
            make_alert(host="web-01", techniques=("T1110",), tags=("prod",)),
            make_alert(host="db-01", techniques=("T1078",)),
        ]
    ).alert_ids
    q = parse("technique:T1110 tag:prod")
    where, params = q.sql(NOW)
    found = [r[0] for r in ws.conn.execute(f"SELECT id FROM alerts WHERE {where}", params)]
    assert found == [ids[0]]
    names = [d[0] for d in ws.conn.execute("SELECT * FROM alerts LIMIT 0").description]
    stored = [dict(zip(names, r, strict=True)) for r in ws.conn.execute("SELECT * FROM alerts ORDER BY id")]
    assert [q.matches(r, NOW) for r in stored] == [True, False]
    as_lists = {**stored[0], "techniques": ["T1110"], "tags": ("prod",)}
    assert q.matches(as_lists, NOW)
