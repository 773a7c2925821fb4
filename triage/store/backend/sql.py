"""The store's SQL (SQLite's dialect) as PostgreSQL reads it: one rewrite per statement text.

Only what the store's queries use is rewritten, and a test runs every query of the suite through
both databases:

- ``?`` placeholders become ``%s``, ``:name`` ones (with a mapping) ``%(name)s``; a literal ``%``
  is doubled, because psycopg reads ``%`` as a placeholder everywhere;
- ``INSERT OR IGNORE INTO ...`` becomes ``INSERT INTO ... ON CONFLICT DO NOTHING``;
- ``LIKE`` becomes ``ILIKE``: SQLite's LIKE ignores case (for ASCII letters), PostgreSQL's does not;
- ``x IS ?`` / ``x IS NOT ?`` become ``IS [NOT] DISTINCT FROM``, SQLite's null-safe comparison;
- SQLite's planner hints ``NOT INDEXED`` and ``INDEXED BY`` are dropped;
- ``ASC`` and ``DESC`` say where NULL goes as SQLite has it (NULL is the smallest value there:
  ``ASC NULLS FIRST``, ``DESC NULLS LAST``), and every index column of ``ddl`` is ``NULLS FIRST``
  so that an index walked either way gives those orders (a column that says where NULL goes
  keeps it).

DDL (``ddl``) maps the column types (``TEXT`` compares bytewise in both, through the "C" collation),
drops ``WITHOUT ROWID`` and turns SQLite's ``RAISE(ABORT, ...)`` triggers into PostgreSQL triggers
that call ``triage_refuse``.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _tokens(sql: str) -> list[tuple[str, str]]:
    """(kind, text) pieces: 'q' for a quoted literal or identifier, 'c' for code."""
    out: list[tuple[str, str]] = []
    i, n, start = 0, len(sql), 0
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            if start < i:
                out.append(("c", sql[start:i]))
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            out.append(("q", sql[i : j + 1]))
            i = start = j + 1
            continue
        i += 1
    if start < n:
        out.append(("c", sql[start:]))
    return out


_IS_PARAM = re.compile(r"\bIS(\s+NOT)?\s+\?", re.IGNORECASE)
_LIKE = re.compile(r"\bLIKE\b", re.IGNORECASE)
_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_NOT_INDEXED = re.compile(r"\s+(NOT\s+INDEXED|INDEXED\s+BY\s+\w+)\b", re.IGNORECASE)  # planner hints
_DIRECTION = re.compile(r"\b(ASC|DESC)\b(?!\s+NULLS)", re.IGNORECASE)
# our primary keys are never NULL, and their own index (which says nothing of NULLs) orders them
_KEY_DIRECTION = re.compile(r"\b((?:\w+\.)?(?:id|seq))\s+(ASC|DESC) NULLS (?:FIRST|LAST)", re.IGNORECASE)
_NULLS = re.compile(r"\bNULLS\s+(FIRST|LAST)\s*$", re.IGNORECASE)
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")


@lru_cache(maxsize=2048)
def translate(sql: str, named: bool = False) -> str:
    ignore = bool(_OR_IGNORE.match(sql))
    if ignore:
        sql = _OR_IGNORE.sub("INSERT INTO", sql, count=1)
    parts: list[str] = []
    for kind, text in _tokens(sql):
        if kind == "q":
            parts.append(text.replace("%", "%%"))
            continue
        text = text.replace("%", "%%")
        text = _IS_PARAM.sub(
            lambda m: "IS NOT DISTINCT FROM ?" if not m.group(1) else "IS DISTINCT FROM ?", text
        )
        text = _LIKE.sub("ILIKE", text)
        text = _NOT_INDEXED.sub("", text)
        text = _DIRECTION.sub(
            lambda m: m.group(1) + (" NULLS FIRST" if m.group(1).upper() == "ASC" else " NULLS LAST"), text
        )
        text = _KEY_DIRECTION.sub(r"\1 \2", text)
        text = _NAMED.sub(r"%(\1)s", text) if named else text.replace("?", "%s")
        parts.append(text)
    out = "".join(parts)
    if ignore:
        out = out.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    return out


_TRIGGER = re.compile(
    r"CREATE\s+TRIGGER\s+(\w+)\s+BEFORE\s+(UPDATE|DELETE)\s+ON\s+(\w+)\s+"
    r"BEGIN\s+SELECT\s+RAISE\(ABORT,\s*'([^']*)'\);\s*END;",
    re.IGNORECASE,
)
_TYPES = {
    "INTEGER": "BIGINT",
    "REAL": "DOUBLE PRECISION",
    "TEXT": 'TEXT COLLATE "C"',
}
_TYPE = re.compile(r"\b(INTEGER|REAL|TEXT)\b")

REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION triage_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'insufficient_privilege'; END $$;
"""


def ddl(script: str) -> str:
    """SQLite DDL as PostgreSQL DDL (see the module's docstring)."""

    def trigger(m: re.Match[str]) -> str:
        name, op, table, message = m.groups()
        return (
            f"CREATE TRIGGER {name} BEFORE {op.upper()} ON {table} FOR EACH ROW"
            f" EXECUTE FUNCTION triage_refuse('{message}');"
        )

    out = _indexes_nulls_first(_TRIGGER.sub(trigger, script))
    pieces = []
    for kind, text in _tokens(out):
        if kind == "c":
            text = re.sub(r"\)\s*WITHOUT\s+ROWID", ")", text, flags=re.IGNORECASE)
            text = _TYPE.sub(lambda m: _TYPES[m.group(1)], text)
        pieces.append(text)
    return "".join(pieces)


_INDEX = re.compile(
    r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?\w+\s+ON\s+\w+\s*\(", re.IGNORECASE
)


def _nulls_first(column: str) -> str:
    return column if _NULLS.search(column) else column + " NULLS FIRST"


def _indexes_nulls_first(script: str) -> str:
    """Every column of every ``CREATE INDEX`` ordered ``NULLS FIRST`` (SQLite's order)."""
    out, pos = [], 0
    for m in _INDEX.finditer(script):
        start = m.end()
        depth, i = 1, start
        while depth:
            depth += {"(": 1, ")": -1}.get(script[i], 0)
            i += 1
        inner = script[start : i - 1]
        parts, depth, last = [], 0, 0
        for j, ch in enumerate(inner):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if ch == "," and depth == 0:
                parts.append(inner[last:j])
                last = j + 1
        parts.append(inner[last:])
        out.append(script[pos:start] + ", ".join(_nulls_first(p.strip()) for p in parts))
        pos = i - 1
    out.append(script[pos:])
    return "".join(out)
