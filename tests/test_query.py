"""The query language: its syntax, its errors, its meaning, and SQL and Python agreeing."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from triage.clock import format_ts
from triage.commands import Commands
from triage.errors import ArgumentError, QuerySyntaxError
from triage.query import parse
from triage.store.schema import recreate_projections
from triage.store.workspace import Workspace

from .conftest import make_alert

NOW = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)


def _ts(hours: float) -> str:
    return format_ts(NOW + timedelta(hours=hours))


# -- a bare alerts table, filled with exactly the rows a test wants --------------------------


def _table() -> sqlite3.Connection:
    db = Database(memory=True)
    recreate_projections(db)
    return db.conn


_DEFAULTS: dict[str, Any] = {
    "dedup_key": None,
    "source": "test",
    "profile": "ecs",
    "rule_name": None,
    "rule_id": None,
    "title": "t",
    "severity": "high",
    "original_severity": "high",
    "fired_at": _ts(-48),
    "ingested_at": _ts(-47),
    "host": None,
    "user_name": None,
    "src_ip": None,
    "dst_ip": None,
    "tactics": "[]",
    "techniques": "[]",
    "tags": "[]",
    "playbook_id": None,
    "playbook_steps": "[]",
    "required_steps": "[]",
    "steps_done": "[]",
    "ack_due": None,
    "close_due": None,
    "status": "new",
    "assignee": None,
    "disposition": None,
    "incident_id": None,
    "notes": 0,
    "reopened": 0,
    "ingest_seq": 1,
    "last_seq": 1,
    "updated_at": _ts(-47),
    "first_closed_at": None,
}


def _insert(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    conn.execute("DELETE FROM alerts")
    stored = []
    for n, row in enumerate(rows, 1):
        full = {**_DEFAULTS, **row, "id": n}
        full["dedup_key"] = f"k{n}"
        cols = ", ".join(full)
        conn.execute(
            f"INSERT INTO alerts ({cols}) VALUES ({', '.join('?' * len(full))})", list(full.values())
        )
        stored.append(full)
    return stored


def _sql_ids(conn: sqlite3.Connection, text: str) -> set[int]:
    where, params = parse(text).sql(NOW)
    return {r[0] for r in conn.execute(f"SELECT id FROM alerts WHERE {where}", params)}


def _py_ids(rows: list[dict[str, Any]], text: str) -> set[int]:
    q = parse(text)
    return {r["id"] for r in rows if q.matches(r, NOW)}


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    c = _table()
    yield c
    c.close()


def _both(conn: sqlite3.Connection, rows: list[dict[str, Any]], text: str) -> set[int]:
    in_sql, in_python = _sql_ids(conn, text), _py_ids(rows, text)
    assert in_sql == in_python, text
    return in_sql


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
        "ack_due": _ts(-1),
        "close_due": _ts(20),
    },
    {  # 2
        "title": "Port scan",
        "rule_name": "ET SCAN Nmap",
        "severity": "medium",
        "host": "web-02",
        "src_ip": "172.20.0.9",
        "assignee": "bob",
        "status": "acknowledged",
        "ack_due": _ts(-30),
        "close_due": _ts(2),
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
        "fired_at": _ts(-2),
    },
    {  # 4
        "title": "Odd 50%_share",
        "severity": "low",
        "host": None,
        "src_ip": "2001:db8::1",
        "ack_due": _ts(3),
        "incident_id": 7,
    },
]


@pytest.fixture
def rows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return _insert(conn, ROWS)


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
        ("id>=3", {3, 4}),
        ("incident:7", {4}),
        ("-incident:7", {1, 2, 3}),
        ("fired>=now-24h", {3}),
        ("fired<now-24h", {1, 2, 4}),
        (f"fired:{_ts(-2)[:10]}", {3}),
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
    assert _both(conn, rows, text) == expected


def test_breached_follows_the_running_target(conn: sqlite3.Connection) -> None:
    # Acknowledged: the acknowledge target is over, the close target runs (and is due later).
    rows = _insert(conn, [{"status": "acknowledged", "ack_due": _ts(-5), "close_due": _ts(5)}])
    assert _both(conn, rows, "breached:true") == set()
    assert _both(conn, rows, "due>now") == {1}


def test_the_sql_is_portable_and_parameterised(conn: sqlite3.Connection) -> None:
    text = (
        'host:web-01 user:alice severity>=high status:open rule:"ET SCAN*" technique:T1110'
        ' src_ip:10.0.0.0/8 breached:true -assignee:bob (x OR "it\'s") fired>now-1h'
    )
    where, params = parse(text).sql(NOW)
    assert "GLOB" not in where.upper()
    assert "'" not in re.sub(r"'(closed|critical|high|medium|low|new|acknowledged|\\)'", "", where)
    functions = set(re.findall(r"([A-Za-z_]+)\s*\(", where)) - {"AND", "OR", "NOT", "IN"}
    assert functions <= {"LOWER"}, functions
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


# -- SQL and Python agree ---------------------------------------------------------------------

_TEXTS = ["web-01", "WEB-01", "db-02", "web-01.corp", "a%b", "a_b", "back\\slash", "Éric", "éric", "İstanbul"]
_TIMES = [_ts(h) for h in (-72, -30, -24, -2, -0.5, 0, 1, 5, 48)]


def _opt(values: list[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(values))


def _lists(values: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(values), max_size=3).map(json.dumps)


_ROW = st.fixed_dictionaries(
    {
        "title": st.one_of(st.sampled_from(_TEXTS), st.text(st.sampled_from("abAB %_\\É é-*"), max_size=8)),
        "rule_name": _opt(["SSH Brute Force", "ET SCAN Nmap", "et scan", "Beacon", "50%"]),
        "rule_id": _opt(["r-1", "R-1", "et-9"]),
        "severity": st.sampled_from(["critical", "high", "medium", "low", "informational"]),
        "status": st.sampled_from(["new", "acknowledged", "closed"]),
        "assignee": _opt(["alice", "bob", "Bob"]),
        "host": _opt(_TEXTS),
        "user_name": _opt(_TEXTS),
        "src_ip": _opt(
            [
                "10.1.2.3",
                "10.200.0.1",
                "100.1.1.1",
                "172.16.5.4",
                "172.31.0.9",
                "172.32.0.1",
                "192.168.1.1",
                "2001:db8::1",
                "10.x",
            ]
        ),
        "dst_ip": _opt(["10.1.2.3", "8.8.8.8"]),
        "techniques": _lists(["T1110", "T1110.001", "T1078", "t1110", 'T"1']),
        "tactics": _lists(["credential-access", "discovery"]),
        "tags": _lists(["prod", "Prod", "lab"]),
        "fired_at": st.sampled_from(_TIMES),
        "ingested_at": st.sampled_from(_TIMES),
        "ack_due": _opt(_TIMES),
        "close_due": _opt(_TIMES),
        "first_closed_at": _opt(_TIMES),
        "playbook_id": _opt(["brute-force", "phishing"]),
        "incident_id": st.one_of(st.none(), st.integers(1, 3)),
        "disposition": _opt(["duplicate", "false_positive"]),
    }
)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value(values: list[str]) -> st.SearchStrategy[str]:
    """A value, quoted, with a trailing wildcard, with wildcards around a part, or ``*``."""

    def shape(v: str, kind: int) -> str:
        inner = _quote(v)[1:-1]
        if kind == 0:
            return _quote(v)
        if kind == 1:
            return '"' + _quote(v[: len(v) // 2])[1:-1] + '*"'
        if kind == 2:
            return '"*' + _quote(v[1:-1])[1:-1] + '*"' if len(v) > 2 else f'"*{inner}*"'
        return "*"

    return st.builds(shape, st.sampled_from(values), st.integers(0, 3))


_TERM = st.one_of(
    st.builds(lambda f, v: f"{f}:{v}", st.sampled_from(["host", "user"]), _value(_TEXTS)),
    st.builds(lambda v: f"assignee:{v}", _value(["alice", "bob", "Bob"])),
    st.builds(lambda v: f"rule:{v}", _value(["SSH Brute Force", "ET SCAN", "et-9", "R-1"])),
    st.builds(lambda v: f"title:{v}", _value(["ab", "A", "%", "_", "\\"])),
    st.sampled_from(["playbook:brute-force", "playbook:*", "disposition:duplicate", "-disposition:*"]),
    st.builds(
        lambda f, v: f"{f}:{v}",
        st.sampled_from(["technique", "tag", "tactic"]),
        st.sampled_from(["T1110", "T1110.001", "t1110", "T1*", "prod", "Prod", "pro*", "discovery", "*"]),
    ),
    st.builds(
        lambda f, v: f"{f}:{v}",
        st.sampled_from(["src_ip", "dst_ip"]),
        st.sampled_from(
            [
                "10.0.0.0/8",
                "10.1.2.3",
                "172.16.0.0/12",
                "100.0.0.0/6",
                "10.*",
                "0.0.0.0/0",
                "2001:db8::1",
                "192.168.1.1/32",
            ]
        ),
    ),
    st.builds(
        lambda op, s: f"severity{op}{s}",
        st.sampled_from([":", ">", ">=", "<", "<="]),
        st.sampled_from(["critical", "high", "medium", "low", "informational"]),
    ),
    st.sampled_from(["status:open", "status:new", "status:acknowledged", "status:closed"]),
    st.sampled_from(["breached:true", "breached:false"]),
    st.builds(
        lambda f, op, n: f"{f}{op}{n}",
        st.sampled_from(["id", "incident"]),
        st.sampled_from([":", ">", "<=", ">="]),
        st.integers(0, 6),
    ),
    st.builds(
        lambda f, op, t: f"{f}{op}{t}",
        st.sampled_from(["fired", "ingested", "due"]),
        st.sampled_from([">", ">=", "<", "<="]),
        st.sampled_from(["now", "now-24h", "now+1h", "now-90m", _ts(-30)[:16], "2026-10-05"]),
    ),
    st.builds(
        lambda f, t: f"{f}:{t}",
        st.sampled_from(["fired", "ingested", "due"]),
        st.sampled_from([_ts(-2)[:10], _ts(-30)[:13], "2026-10", "2026"]),
    ),
    st.sampled_from(["ab", "AB", "scan", "brute", "50%", "_", "é", "É", "#2", "#5", "éric", "ÉRIC", "İ"]),
    st.sampled_from(['"a b"', '"et scan"', r'"\\"', "a*b", "*"]),
)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(" ".join),
        st.lists(children, min_size=2, max_size=3).map(" OR ".join),
        st.lists(children, min_size=2, max_size=2).map(" AND ".join),
        children.map(lambda c: f"-({c})"),
        children.map(lambda c: f"NOT {c}"),
        children.map(lambda c: f"({c})"),
    )


_QUERY = st.recursive(st.one_of(_TERM, _TERM.map(lambda t: "-" + t)), _combine, max_leaves=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_ROW, min_size=1, max_size=8), text=_QUERY)
def test_sql_and_python_agree(rows: list[dict[str, Any]], text: str) -> None:
    conn = _table()
    try:
        stored = _insert(conn, rows)
        _both(conn, stored, text)
    finally:
        conn.close()
