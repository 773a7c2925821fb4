"""A workspace: one SQLite file holding the investigation log and its projections."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from triage.clock import now_ts
from triage.domain import events
from triage.errors import WorkspaceBusy, WorkspaceError
from triage.store import projection
from triage.store.chain import GENESIS, canonical, canonical_with, chain_hash
from triage.store.event import Event as Event  # re-exported: where callers have always found it
from triage.store.schema import migrations

BUSY_TIMEOUT_S = 30.0
WRITE_DEADLINE_S = 120.0
KIND_PRODUCTION = "production"
KIND_EXERCISE = "exercise"


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


class Writer:
    """Appends events inside one write transaction; each append updates the projections."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.conn = ws.conn
        row = self.conn.execute("SELECT seq, hash, ts FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        self.seq: int = row[0] if row else 0
        self.head: str = row[1] if row else GENESIS
        self.last_ts: str = row[2] if row else ""

    def append(
        self,
        actor: str,
        action: str,
        target: str,
        payload: dict[str, Any],
        *,
        payload_json: str | None = None,
    ) -> Event:
        """Append one event. ``payload_json``, when given, is the payload's encoding as it is to
        be stored (see ``canonical_with``); ``payload`` must be what it decodes to."""
        if not actor:
            raise WorkspaceError("every event needs an actor")
        events.validate(action, target, payload)  # InvalidEvent: not in the catalogue, or does not fit
        seq = self.seq + 1
        ts = max(now_ts(), self.last_ts)  # never go back in time, even across hosts' clocks
        exercise = self.ws.exercise
        envelope = {
            "v": 1,
            "seq": seq,
            "ts": ts,
            "actor": actor,
            "action": action,
            "target": target,
            "exercise": exercise,
        }
        body = canonical_with(envelope, "payload", payload_json or canonical(payload))
        digest = chain_hash(self.head, body)
        self.conn.execute(
            "INSERT INTO events (seq, ts, action, target, body, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, ts, action, target, body, self.head, digest),
        )
        event = Event(seq, ts, actor, action, target, exercise, payload, body, self.head, digest)
        projection.apply(self.conn, event)
        self.seq, self.head, self.last_ts = seq, digest, ts
        return event

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Appends that stand or fall together inside the transaction: on an exception they
        are rolled back (events and projections) and the writer's head with them."""
        state = (self.seq, self.head, self.last_ts)
        self.conn.execute("SAVEPOINT record")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK TO record")
            self.conn.execute("RELEASE record")
            self.seq, self.head, self.last_ts = state
            raise
        self.conn.execute("RELEASE record")


class Workspace:
    def __init__(self, path: str | Path, conn: sqlite3.Connection) -> None:
        self.path = Path(path)
        self.conn = conn
        self.db = Database(conn, execute_plugins=False)
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        self.meta = meta
        self.id: str = meta["workspace_id"]
        self.kind: str = meta.get("kind", KIND_PRODUCTION)
        self.exercise: str | None = meta.get("exercise") or None

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def create(
        cls, path: str | Path, *, kind: str = KIND_PRODUCTION, exercise: str | None = None
    ) -> Workspace:
        path = Path(path)
        if path.exists() and path.stat().st_size > 0:
            raise WorkspaceError(f"{path}: a file is already there; open it instead of creating it")
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = _connect(path)
        _migrate(conn)
        with _immediate(conn):
            for key, value in (
                ("schema", "triage"),
                ("workspace_id", str(uuid.uuid4())),
                ("kind", kind),
                ("exercise", exercise or ""),
                ("created_at", now_ts()),
            ):
                conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))
        return cls(path, conn)

    @classmethod
    def open(cls, path: str | Path) -> Workspace:
        path = Path(path)
        if not path.exists():
            raise WorkspaceError(f"no workspace at {path}; create one with `triage init`")
        try:
            conn = _connect(path)
            ok = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(f"{path} is not a triage workspace ({exc})") from None
        if not ok or ok[0] != "triage":
            raise WorkspaceError(f"{path} is not a triage workspace")
        _migrate(conn)
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
        into a deadlock and concurrent writers queue up instead of failing."""
        with _immediate(self.conn):
            yield Writer(self)

    @contextmanager
    def write_telemetry(self) -> Iterator[sqlite3.Connection]:
        """A write transaction for operational telemetry (``poll_status``) that is not state
        and not evidence: it never touches the log or a projection."""
        with _immediate(self.conn):
            yield self.conn

    def rebuild(self, *, dry_run: bool = False) -> tuple[int, bool]:
        """Replay the whole log into fresh projections. Returns the number of events and
        whether the rebuilt state equals the stored one; ``dry_run`` changes nothing."""
        with _immediate(self.conn, commit=not dry_run):
            before = projection.digest(self.conn)
            n = projection.rebuild(self.conn)
            return n, projection.digest(self.conn) == before

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


def _migrate(conn: sqlite3.Connection) -> None:
    db = Database(conn, execute_plugins=False)
    if not migrations.pending(db):
        return
    with _immediate(conn):
        migrations.apply(db)


@contextmanager
def _immediate(conn: sqlite3.Connection, *, commit: bool = True) -> Iterator[None]:
    """BEGIN IMMEDIATE with patience: SQLite's busy handler waits up to BUSY_TIMEOUT_S per
    try; we keep trying until WRITE_DEADLINE_S before telling the user."""
    deadline = time.monotonic() + WRITE_DEADLINE_S
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise WorkspaceBusy(
                    f"the workspace stayed locked by other writers for {WRITE_DEADLINE_S:.0f}s; try again"
                ) from None
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT" if commit else "ROLLBACK")
