"""A workspace: the investigation log and its projections, in one SQLite file or one PostgreSQL
schema (``triage.store.backend``)."""

from __future__ import annotations

import contextlib
import operator
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from triage.clock import now_ts
from triage.domain import events
from triage.errors import CommandRejected, WorkspaceError
from triage.store import fold, projection
from triage.store.backend import Conn, is_postgres, pg_schema, redact
from triage.store.backend import postgres as pg
from triage.store.backend import sqlite as sqlite_backend
from triage.store.chain import GENESIS, chain_hash, event_text
from triage.store.collector import collector_paused
from triage.store.event import Event as Event  # re-exported: where callers have always found it
from triage.store.schema import migrations

KIND_PRODUCTION = "production"
KIND_EXERCISE = "exercise"


_EVENT_INSERT = (
    "INSERT INTO events (seq, ts, action, target, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


# An event's row: seq, ts, action, target, body, prev_hash, hash (the fields' places in Event).
_event_row: Callable[[Event], tuple[Any, ...]] = operator.itemgetter(0, 1, 3, 4, 7, 8, 9)


class Writer:
    """Appends events inside one write transaction; each append updates the projections."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.conn = ws.conn
        row = self.conn.execute("SELECT seq, hash, ts FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        self.seq: int = row[0] if row else 0
        self.head: str = row[1] if row else GENESIS
        self.last_ts: str = row[2] if row else ""
        self.exercise = ws.exercise

    def prepare(
        self,
        actor: str,
        action: str,
        target: str,
        payload: dict[str, Any],
        *,
        payload_json: str | None = None,
    ) -> Event:
        """The next event, checked, encoded and chained onto the head, which moves past it, but
        not written: ``write`` it with the others prepared after it, in order, or ``restore``
        the head it was prepared on. ``payload_json``, when given, is the payload's encoding as
        it is to be stored (see ``canonical_with``); ``payload`` must be what it decodes to."""
        if not actor:
            raise WorkspaceError("every event needs an actor")
        events.validate(action, target, payload)  # InvalidEvent: not in the catalogue, or does not fit
        seq = self.seq + 1
        ts = now_ts()
        if ts < self.last_ts:
            ts = self.last_ts  # never go back in time, even across hosts' clocks
        exercise = self.exercise
        body = event_text(seq, ts, actor, action, target, exercise, payload, payload_json)
        head = self.head
        digest = chain_hash(head, body)
        self.seq, self.head, self.last_ts = seq, digest, ts
        return Event(seq, ts, actor, action, target, exercise, payload, body, head, digest)

    def append(
        self,
        actor: str,
        action: str,
        target: str,
        payload: dict[str, Any],
        *,
        payload_json: str | None = None,
    ) -> Event:
        """Append one event (see ``prepare``) and update the projections."""
        mark = self.mark()
        event = self.prepare(actor, action, target, payload, payload_json=payload_json)
        try:
            self.conn.execute(_EVENT_INSERT, _event_row(event))
            projection.apply(self.conn, event)
        except BaseException:
            self.restore(mark)
            raise
        return event

    def write(self, prepared: list[Event]) -> None:
        """Write events ``prepare`` made, in their order, with one statement per table (the
        same rows as appending them one by one)."""
        if prepared:
            self.conn.executemany(_EVENT_INSERT, map(_event_row, prepared))
            fold.apply_many(self.conn, prepared)

    def mark(self) -> tuple[int, str, str]:
        return self.seq, self.head, self.last_ts

    def restore(self, mark: tuple[int, str, str]) -> None:
        """Back to a head ``mark`` gave: events prepared since are dropped, never written."""
        self.seq, self.head, self.last_ts = mark

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Appends that stand or fall together inside the transaction: on an exception they
        are rolled back (events and projections) and the writer's head with them."""
        state = self.mark()
        self.conn.execute("SAVEPOINT record")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK TO record")
            self.conn.execute("RELEASE record")
            self.restore(state)
            raise
        self.conn.execute("RELEASE record")


class Workspace:
    def __init__(self, location: str | Path, conn: Conn, *, schema: str | None = None) -> None:
        self.location = str(location)  # as given: open it again with this (never shown)
        self.display = redact(location)  # as shown and logged
        self.postgres = schema is not None
        self.schema = schema
        self.path = Path(location) if schema is None else None
        self.conn: Conn = conn
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        self.meta = meta
        self.id: str = meta["workspace_id"]
        self.kind: str = meta.get("kind", KIND_PRODUCTION)
        self.exercise: str | None = meta.get("exercise") or None
        self._checkpointer: sqlite_backend.Checkpointer | None = None

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def create(
        cls, location: str | Path, *, kind: str = KIND_PRODUCTION, exercise: str | None = None
    ) -> Workspace:
        rows = (
            ("schema", "triage"),
            ("workspace_id", str(uuid.uuid4())),
            ("kind", kind),
            ("exercise", exercise or ""),
            ("created_at", now_ts()),
        )
        if is_postgres(location):
            pconn, schema = pg.connect(str(location))
            try:
                with pg.write_transaction(pconn, schema):
                    if pg_schema.exists(pconn):
                        raise WorkspaceError(
                            f"{redact(location)}: a workspace is already there; open it instead"
                        )
                    pg_schema.create(pconn, schema)
                    for key, value in rows:
                        pconn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
            except BaseException:
                pconn.close()
                raise
            return cls(str(location), pconn, schema=schema)
        path = Path(location)
        if path.exists() and path.stat().st_size > 0:
            raise WorkspaceError(f"{path}: a file is already there; open it instead of creating it")
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite_backend.connect(path)
        sqlite_backend.migrate(conn)
        with sqlite_backend.immediate(conn):
            for key, value in rows:
                conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))
        return cls(path, conn)

    @classmethod
    def open(cls, location: str | Path) -> Workspace:
        if is_postgres(location):
            pconn, schema = pg.connect(str(location))
            try:
                if not pg_schema.exists(pconn):
                    pg_schema.refuse_without_usage(pconn, schema)
                    raise WorkspaceError(
                        f"no workspace at {redact(location)} (schema {schema}); create one with `triage init`"
                    )
                if pg_schema.pending(pconn):
                    with pg.write_transaction(pconn, schema):
                        pg_schema.apply_pending(pconn)
            except BaseException:
                pconn.close()
                raise
            return cls(str(location), pconn, schema=schema)
        path = Path(location)
        if not path.exists():
            raise WorkspaceError(f"no workspace at {path}; create one with `triage init`")
        try:
            conn = sqlite_backend.connect(path)
            ok = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(f"{path} is not a triage workspace ({exc})") from None
        if not ok or ok[0] != "triage":
            raise WorkspaceError(f"{path} is not a triage workspace")
        sqlite_backend.migrate(conn)
        return cls(path, conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Writer]:
        """One write transaction: take the write lock first, so readers never block us
        into a deadlock and concurrent writers queue up instead of failing. The cycle
        collector is paused while it is open (``collector_paused``)."""
        checkpointer = self._checkpointer
        with collector_paused(), self._write_lock():
            w = Writer(self)
            start = w.seq
            yield w
            if self.schema is not None and w.seq != start:  # the head the writer knows, no re-read
                pg.announce(self.conn, self.schema, w.seq)  # type: ignore[arg-type]
        if checkpointer is not None:
            checkpointer.committed()

    @contextmanager
    def background_checkpoints(self) -> Iterator[None]:
        """For a bulk writer (an ingest, a poll): while the block runs, an SQLite file's
        checkpoints run in a thread of their own, one after each write transaction's commit
        (``Checkpointer``). Nothing to do on PostgreSQL."""
        if self.path is None or self._checkpointer is not None:
            yield
            return
        with sqlite_backend.background_checkpoints(self.conn, self.path) as checkpointer:  # type: ignore[arg-type]
            self._checkpointer = checkpointer
            try:
                yield
            finally:
                self._checkpointer = None

    @contextmanager
    def write_telemetry(self) -> Iterator[Conn]:
        """A write transaction for operational telemetry (``poll_status``) that is not state
        and not evidence: it never touches the log or a projection."""
        with self._write_lock():
            yield self.conn

    def _write_lock(self, *, commit: bool = True) -> contextlib.AbstractContextManager[None]:
        if self.schema is not None:
            return pg.write_transaction(self.conn, self.schema, commit=commit)  # type: ignore[arg-type]
        return sqlite_backend.immediate(self.conn, commit=commit)  # type: ignore[arg-type]

    @contextmanager
    def snapshot(self) -> Iterator[Conn]:
        """One consistent read of the whole workspace (an export): nothing committed meanwhile
        is seen."""
        self.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ" if self.postgres else "BEGIN")
        try:
            yield self.conn
        finally:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")

    def rebuild(self, *, dry_run: bool = False) -> tuple[int, bool]:
        """Replay the whole log into fresh projections. Returns the number of events and
        whether the rebuilt state equals the stored one; ``dry_run`` changes nothing."""
        with self._write_lock(commit=not dry_run):
            before = projection.digest(self.conn)
            n = self.replay_projections()
            return n, projection.digest(self.conn) == before

    def replay_projections(self) -> int:
        """Rebuild the projections from the log inside the caller's write transaction. On
        PostgreSQL the tables stay (with the team's privileges on them) and are emptied."""
        if self.postgres:
            return projection.rebuild(self.conn, None)
        return projection.rebuild(self.conn, Database(self.conn, execute_plugins=False))  # type: ignore[arg-type]

    @property
    def migrations_table(self) -> str:
        return pg_schema.MIGRATIONS_TABLE if self.postgres else migrations.migrations_table

    def session_user(self) -> str | None:
        """The database role this connection acts as (PostgreSQL), None for a file."""
        if not self.postgres:
            return None
        return str(self.conn.execute("SELECT session_user").fetchone()[0])

    def listener(self) -> pg.Listener | None:
        """Heads announced by other processes' commits, on a connection of its own (PostgreSQL's
        LISTEN/NOTIFY); None for a file, whose readers look at the head instead."""
        return pg.Listener(self.location) if self.postgres else None

    def try_session_lock(self, name: str) -> bool:
        """PostgreSQL: take the workspace's lock called ``name`` for as long as this connection
        lives (one notifier per workspace, whichever host it runs on); False if another holds it."""
        key = pg.lock_key(f"{self.schema}:{name}")
        return bool(self.conn.execute("SELECT pg_try_advisory_lock(?)", (key,)).fetchone()[0])

    def release_session_lock(self, name: str) -> None:
        key = pg.lock_key(f"{self.schema}:{name}")
        self.conn.execute("SELECT pg_advisory_unlock(?)", (key,)).fetchone()

    def is_owner(self) -> bool:
        """Whether the connected role owns the workspace (PostgreSQL; a file's user always does)."""
        return not self.postgres or pg_schema.is_owner(self.conn)  # type: ignore[arg-type]

    def acting_as(self, claimed: str | None) -> str:
        """The actor of this connection's events: on PostgreSQL the connected role, and a name
        claimed that is not that role's is refused (the workspace's owner may act for others:
        it migrates logs and sets workspaces up); on a file, the name claimed."""
        role = self.session_user()
        if role is None:
            if not claimed:
                raise WorkspaceError("no analyst: pass --analyst NAME or set TRIAGE_ANALYST")
            return claimed
        if not claimed or claimed == role or self.is_owner():
            return claimed or role
        raise CommandRejected(
            f"you are connected to the workspace as {role}; --analyst {claimed} would record"
            f" someone else: on PostgreSQL who acted is the role that connected"
        )

    def stream(self, sql: str, args: tuple[object, ...] | list[object] = ()) -> Iterator[Any]:
        """Rows of a long read without holding them all (a server-side cursor on PostgreSQL;
        inside ``snapshot``)."""
        if isinstance(self.conn, pg.PgConn):
            yield from self.conn.stream(sql, list(args))
        else:
            yield from self.conn.execute(sql, args)

    # -- reading -----------------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        row = self.conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def event(self, seq: int) -> Event | None:
        row = self.conn.execute(
            "SELECT seq, body, prev_hash, hash FROM events WHERE seq = ?", (seq,)
        ).fetchone()
        return Event.from_row(*row) if row else None

    def events(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        ref: str | None = None,
        after_seq: int = 0,
        limit: int | None = None,
    ) -> Iterator[Event]:
        """Events in log order; ``since``/``until`` bound ``ts`` (half-open), ``ref`` an alert
        or incident (``alert:7``, ``incident:2``)."""
        sql = "SELECT e.seq, e.body, e.prev_hash, e.hash FROM events e"
        where: list[str] = ["e.seq > ?"]
        args: list[object] = [after_seq]
        if ref is not None:
            sql += " JOIN timeline t ON t.seq = e.seq"
            where.append("t.ref = ?")
            args.append(ref)
        if since is not None:
            where.append("e.ts >= ?")
            args.append(since)
        if until is not None:
            where.append("e.ts < ?")
            args.append(until)
        sql += " WHERE " + " AND ".join(where) + " ORDER BY e.seq"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        for row in self.conn.execute(sql, args):
            yield Event.from_row(*row)
