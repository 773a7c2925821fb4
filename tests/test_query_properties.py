"""The query language's properties: SQL and Python give the same answers on generated alerts
and queries, and any text is a query or one syntax error."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from triage.errors import QuerySyntaxError
from triage.query import parse

from .query_helpers import DEFAULTS, NOW, QUERY, ROW, both, insert, table


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    c = table()
    yield c
    c.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, min_size=1, max_size=8), text=QUERY)
# cases a random search may take long to find: case folding beyond ASCII, NULLs under NOT, LIKE's
# own wildcards, JSON escapes in list columns, a time prefix, a network's boundaries
@example(rows=[{"title": "Éric"}, {"title": "éric"}, {"title": "ÉRIC"}], text="éric")
@example(rows=[{"title": "İstanbul"}, {"title": "istanbul"}], text="i")
@example(rows=[{"host": None}, {"host": "web-01"}], text="-host:web-01")
@example(rows=[{"title": "50%_x"}, {"title": "50ab"}], text="50%_")
@example(
    rows=[{"techniques": '["T\\"1"]'}, {"techniques": '["T1110.001"]'}],
    text="technique:T1110 OR technique:T*",
)
@example(
    rows=[{"fired_at": "2026-10-05T12:00:00.000000Z"}, {"fired_at": "2026-10-06T00:00:00.000000Z"}],
    text="fired:2026-10-05",
)
@example(
    rows=[
        {"src_ip": "172.15.255.255"},
        {"src_ip": "172.16.0.0"},
        {"src_ip": "172.31.9.9"},
        {"src_ip": "172.32.0.0"},
    ],
    text="src_ip:172.16.0.0/12",
)
@example(
    rows=[{"hashes": ["d41d8cd98f00b204e9800998ecf8427e"]}, {"hashes": []}, {}],
    text="-hash:D41D8CD98F00B204E9800998ECF8427E OR hash:d41d8*",
)
def test_sql_and_python_agree(rows: list[dict[str, Any]], text: str) -> None:
    conn = table()
    try:
        stored = insert(conn, rows)
        both(conn, stored, text)
    finally:
        conn.close()


_NOISE = st.text(
    st.sampled_from('abhostuserverity:<>=!-*"\\() #0123456789./nowTOR_ \x1b\u202eé'), max_size=40
)
_FIELDISH = st.builds(
    lambda f, op, v: f"{f}{op}{v}",
    st.sampled_from(
        [
            "host",
            "severity",
            "id",
            "fired",
            "due",
            "src_ip",
            "technique",
            "breached",
            "status",
            "hash",
            "nope",
        ]
    ),
    st.sampled_from([":", ">", ">=", "<", "<=", "="]),
    _NOISE,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(_NOISE, _FIELDISH, st.lists(st.one_of(_NOISE, _FIELDISH), max_size=4).map(" ".join)))
def test_any_text_is_a_query_or_one_syntax_error(conn: sqlite3.Connection, text: str) -> None:
    """The table is only read (the fixture's connection serves every example)."""
    try:
        q = parse(text)
    except QuerySyntaxError as exc:
        assert 1 <= exc.column <= len(text) + 1
        return
    where, params = q.sql(NOW)
    conn.execute(f"SELECT count(*) FROM alerts WHERE {where}", params).fetchone()
    assert q.matches(DEFAULTS | {"id": 1}, NOW) in (True, False)
