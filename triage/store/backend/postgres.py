"""The PostgreSQL backend: a workspace is one schema of a database a team shares.

Writers serialise on a transaction-scoped advisory lock (one per workspace schema), taken as the
first statement of every write transaction and released by its COMMIT or ROLLBACK: every event is
in one total order, and a writer reads the head only once it holds the lock, so ``expected_seq``
conflicts are found exactly as on SQLite. No "could not serialize" error can reach a user, since
the transactions run at READ COMMITTED and never contend for the same head row.

A write transaction that appended ends with ``pg_notify`` carrying the new head to every listener (the
terminal app); a listener that missed notifications catches up from the last head it saw.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql as pgsql

from triage.errors import WorkspaceBusy, WorkspaceError
from triage.store.backend import Cursor, expand_url, redact
from triage.store.backend.sql import translate

DEFAULT_SCHEMA = "triage"
CONNECT_TIMEOUT_S = 10
LOCK_TIMEOUT_MS = 120_000
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def split_url(url: str) -> tuple[str, str]:
    """The libpq URL and the workspace's schema (the ``schema`` query parameter, ours, which
    libpq would refuse)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), DEFAULT_SCHEMA)
    if not _SCHEMA_NAME.match(schema):
        raise WorkspaceError(f"schema {schema!r}: use lower-case letters, digits and _ (at most 63)")
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


class PgConn:
    """A psycopg connection that takes the store's SQLite-dialect statements."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = (), /) -> Cursor:
        named = isinstance(parameters, Mapping)
        text = translate(sql, named)
        if not parameters and not named:
            return self.raw.execute(text.replace("%%", "%"))
        return self.raw.execute(text, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        cur = self.raw.cursor()
        cur.executemany(translate(sql, False), parameters)
        return cur

    def stream(self, sql: str, parameters: Sequence[Any] = (), *, size: int = 2000) -> Iterator[Any]:
        """Rows through a server-side cursor, ``size`` at a time: memory stays flat however
        many rows there are. Runs inside the caller's transaction."""
        with self.raw.cursor(name=f"triage_stream_{id(self)}") as cur:
            cur.itersize = size
            cur.execute(translate(sql, False), parameters)
            yield from cur

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()


def connect(url: str) -> tuple[PgConn, str]:
    libpq_url, schema = split_url(expand_url(url))
    try:
        raw = psycopg.connect(libpq_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as exc:
        raise WorkspaceError(f"cannot connect to {redact(url)}: {_first_line(exc)}") from None
    raw.execute(pgsql.SQL("SET search_path TO {}").format(pgsql.Identifier(schema)))
    raw.execute(f"SET lock_timeout = {int(LOCK_TIMEOUT_MS)}".encode())
    return PgConn(raw), schema


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def lock_key(schema: str) -> int:
    """The advisory lock of one workspace schema: a signed 64-bit number derived from its name."""
    return int.from_bytes(hashlib.sha256(b"triage:" + schema.encode()).digest()[:8], "big", signed=True)


def channel(schema: str) -> str:
    return f"triage_events_{schema}"


@contextmanager
def write_transaction(conn: PgConn, schema: str, *, commit: bool = True) -> Iterator[None]:
    raw = conn.raw
    try:
        raw.execute("BEGIN")
        raw.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(schema),))
    except psycopg.errors.LockNotAvailable:
        if conn.in_transaction:
            raw.execute("ROLLBACK")
        raise WorkspaceBusy(
            f"the workspace stayed locked by other writers for {LOCK_TIMEOUT_MS // 1000}s; try again"
        ) from None
    try:
        yield
    except BaseException:
        if conn.in_transaction and not raw.closed:
            raw.execute("ROLLBACK")
        raise
    else:
        if not commit:
            raw.execute("ROLLBACK")
            return
        raw.execute("COMMIT")


def announce(conn: PgConn, schema: str, head: int) -> None:
    """Tell the listeners the new head; sent with the transaction's COMMIT (and never without)."""
    conn.raw.execute("SELECT pg_notify(%s, %s)", (channel(schema), str(head)))


class Listener:
    """The heads other processes announce: ``wait`` returns the newest one heard (or None on
    timeout). A dropped connection is opened again; the caller re-reads the head then, so it
    misses nothing it would have been told."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.raw: psycopg.Connection[Any] | None = None
        self.schema = split_url(expand_url(url))[1]

    def _open(self) -> psycopg.Connection[Any]:
        libpq_url, _ = split_url(expand_url(self.url))
        raw = psycopg.connect(libpq_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        raw.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(channel(self.schema))))
        return raw

    def wait(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        try:
            if self.raw is None or self.raw.closed:
                self.raw = self._open()
            newest: int | None = None
            remaining = max(0.0, deadline - time.monotonic())
            for note in self.raw.notifies(timeout=remaining, stop_after=1):
                newest = int(note.payload)
            if newest is not None:  # take what else is queued already, then return
                for note in self.raw.notifies(timeout=0.02):
                    newest = max(newest, int(note.payload))
            return newest
        except psycopg.Error:
            self.close()
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
            return -1  # "something may have happened": re-read the head

    def close(self) -> None:
        if self.raw is not None:
            try:
                self.raw.close()
            finally:
                self.raw = None
