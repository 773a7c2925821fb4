"""The query language's properties: SQL and Python give the same answers on generated alerts
and queries, and any text is a query or one syntax error."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
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
        ["host", "severity", "id", "fired", "due", "src_ip", "technique", "breached", "status", "nope"]
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
