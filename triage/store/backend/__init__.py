"""Where a workspace lives: an SQLite file (the embedded default) or a PostgreSQL schema (a team's).

Everything above the store speaks one SQL, SQLite's, through a ``Conn``: ``execute`` with ``?``
placeholders (or ``:name`` with a mapping), ``executemany``, and plain ``BEGIN`` / ``COMMIT`` /
``SAVEPOINT`` statements. The PostgreSQL backend translates that SQL once per statement text (see
``triage.store.backend.sql``) instead of keeping a second copy of every query. What differs for
real between the two (how a writer takes the lock, how a schema is created and migrated, who the
connected user is, how other processes hear of new events) is a method of the backend.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import psycopg

from triage.errors import WorkspaceError

# Every error either database raises: callers that report a failed read or write catch this.
DatabaseError: tuple[type[Exception], ...] = (sqlite3.Error, psycopg.Error)
# The database itself failed (locked, full, unwritable, gone): never one record's fault.
OperationalError: tuple[type[Exception], ...] = (sqlite3.OperationalError, psycopg.OperationalError)

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class Cursor(Protocol):
    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Conn(Protocol):
    """The part of a DB-API connection the store and its readers use, in SQLite's dialect."""

    def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...

    @property
    def in_transaction(self) -> bool: ...

    def close(self) -> None: ...


def is_postgres(location: str | Path) -> bool:
    return isinstance(location, str) and location.startswith(POSTGRES_SCHEMES)


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_url(url: str) -> str:
    """``postgresql://triage:${TRIAGE_DB_PASSWORD}@db/soc``: a secret named, not written down.
    Every ``${NAME}`` is replaced by that environment variable (which must be set)."""

    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in os.environ:
            raise WorkspaceError(f"the database URL names ${{{name}}}, which is not set in the environment")
        from urllib.parse import quote

        return quote(os.environ[name], safe="")

    return _ENV_REF.sub(value, url)


def redact(location: str | Path) -> str:
    """A location as it may be shown or logged: a URL's password (given or expanded) never is."""
    text = str(location)
    if not is_postgres(text):
        return text
    return re.sub(r"^(postgres(?:ql)?://[^:/@]*):[^@]*@", r"\1:***@", text)


def row_dict(cursor: Cursor) -> dict[str, Any] | None:
    """The next row of ``cursor`` as a mapping of column name to value (None when none is left)."""
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip((d[0] for d in cursor.description), row, strict=True))


IN_CHUNK = 500  # values per ``IN (...)`` list: well under either database's limit on parameters


def select_in(conn: Conn, select: str, values: Sequence[Any]) -> Iterator[Any]:
    """The rows of ``{select} IN (...)`` over ``values``, a statement per IN_CHUNK of them
    (``select`` is the statement up to the column it matches, from the caller's own text)."""
    for i in range(0, len(values), IN_CHUNK):
        chunk = list(values[i : i + IN_CHUNK])
        yield from conn.execute(f"{select} IN ({','.join('?' * len(chunk))})", chunk)
