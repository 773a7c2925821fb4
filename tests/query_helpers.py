"""What the query tests share: a bare alerts table filled with exactly the rows a test wants,
and strategies for generated alerts and queries."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from sqlite_utils import Database

from triage.clock import format_ts
from triage.query import parse
from triage.store.identity import key_hash
from triage.store.schema import recreate_projections

NOW = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)


def ts(hours: float) -> str:
    return format_ts(NOW + timedelta(hours=hours))


# -- a bare alerts table, filled with exactly the rows a test wants --------------------------


def table() -> sqlite3.Connection:
    db = Database(memory=True)
    recreate_projections(db)
    return db.conn


DEFAULTS: dict[str, Any] = {
    "dedup_key": None,
    "source": "test",
    "profile": "ecs",
    "rule_name": None,
    "rule_id": None,
    "title": "t",
    "severity": "high",
    "original_severity": "high",
    "fired_at": ts(-48),
    "ingested_at": ts(-47),
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
    "updated_at": ts(-47),
    "first_closed_at": None,
}


def insert(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows as alerts; a row's ``hashes`` (a list) go to the ``alert_hashes`` index, as the
    projection writes them, and stay in the row for the Python side."""
    conn.execute("DELETE FROM alerts")
    conn.execute("DELETE FROM alert_hashes")
    stored = []
    for n, row in enumerate(rows, 1):
        full = {**DEFAULTS, **row, "id": n}
        full["dedup_key"] = f"k{n}"
        full["key_hash"] = key_hash(full["dedup_key"])
        columns = {k: v for k, v in full.items() if k != "hashes"}
        cols = ", ".join(columns)
        conn.execute(
            f"INSERT INTO alerts ({cols}) VALUES ({', '.join('?' * len(columns))})", list(columns.values())
        )
        conn.executemany(
            "INSERT INTO alert_hashes (hash, alert_id) VALUES (?, ?)",
            [(h, n) for h in full.get("hashes", [])],
        )
        stored.append(full)
    return stored


def sql_ids(conn: sqlite3.Connection, text: str) -> set[int]:
    where, params = parse(text).sql(NOW)
    return {r[0] for r in conn.execute(f"SELECT id FROM alerts WHERE {where}", params)}


def py_ids(rows: list[dict[str, Any]], text: str) -> set[int]:
    q = parse(text)
    return {r["id"] for r in rows if q.matches(r, NOW)}


def both(conn: sqlite3.Connection, rows: list[dict[str, Any]], text: str) -> set[int]:
    """The ids a query matches, the same in SQL and in Python (asserted)."""
    in_sql, in_python = sql_ids(conn, text), py_ids(rows, text)
    assert in_sql == in_python, text
    return in_sql


# -- generated alerts and queries ---------------------------------------------------------------

_TEXTS = ["web-01", "WEB-01", "db-02", "web-01.corp", "a%b", "a_b", "back\\slash", "Éric", "éric", "İstanbul"]
# Hashes as the projection keeps them (lower case): two that share their first digits.
_HASHES = ["d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427f", "ab" * 20, "0f" * 32]
_TIMES = [ts(h) for h in (-72, -30, -24, -2, -0.5, 0, 1, 5, 48)]


def _opt(values: list[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(values))


def _lists(values: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(values), max_size=3).map(json.dumps)


ROW = st.fixed_dictionaries(
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
        "hashes": st.lists(st.sampled_from(_HASHES), max_size=3, unique=True),
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
    st.builds(
        lambda v: f"hash:{v}",
        st.sampled_from(
            [*_HASHES, _HASHES[0].upper(), "d41d8*", "D41D8CD98F00B204E9800998ECF8427*", "ab*", "*"]
        ),
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
        st.sampled_from(["now", "now-24h", "now+1h", "now-90m", ts(-30)[:16], "2026-10-05"]),
    ),
    st.builds(
        lambda f, t: f"{f}:{t}",
        st.sampled_from(["fired", "ingested", "due"]),
        st.sampled_from([ts(-2)[:10], ts(-30)[:13], "2026-10", "2026"]),
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


QUERY = st.recursive(st.one_of(_TERM, _TERM.map(lambda t: "-" + t)), _combine, max_leaves=6)
