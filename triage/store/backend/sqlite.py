"""The SQLite backend: a workspace is one file, in WAL mode, written by one writer at a time
(``BEGIN IMMEDIATE``, with patience), migrated by sqlite-utils' ``Migrations``."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from triage.errors import WorkspaceBusy
from triage.store.schema import migrations

BUSY_TIMEOUT_S = 30.0
WRITE_DEADLINE_S = 120.0
# A large workspace's random-keyed indexes (the dedup key's, the source IP's two: hundreds of MB
# at a million alerts) put each new alert on a page of its own in each: the page cache (allocated
# as used, so a small workspace never holds this much) keeps more of them than the default 2 MiB.
# 256 MiB ingested within the noise of 64 MiB into a million alerts (+7%) and doubled the
# poller's peak memory over 100,000 alerts (165 to 378 MB), so it stays at 64 MiB.
# Fewer checkpoints write each such page fewer times, but a longer write-ahead log slows every
# read (each page is looked for in the log first): a checkpoint every 100,000 pages ingested a
# fifth faster into a million alerts and made full scans a tenth to a third slower.
CACHE_KIB = 64 * 1024
WAL_CHECKPOINT_PAGES = 20_000
# While a bulk writer (an ingest, a poller) runs its checkpoints in a thread of its own, its
# connection checkpoints only past this many pages: the bound on the log should that thread
# fall behind.
BACKGROUND_BACKSTOP_PAGES = 40_000


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    return conn


def migrate(conn: sqlite3.Connection) -> None:
    db = Database(conn, execute_plugins=False)
    if not migrations.pending(db):
        return
    with immediate(conn):
        migrations.apply(db)


@contextmanager
def immediate(conn: sqlite3.Connection, *, commit: bool = True) -> Iterator[None]:
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


class Checkpointer:
    """Checkpoints of one workspace file, in a thread of its own on a connection of its own,
    one after each commit of the writer: copying the log's pages into the file (a page per
    alert in each index keyed by something random, in a large workspace) overlaps the
    writer's reading and mapping of its next batch instead of stopping it. (A writer that
    waited for it before its next transaction, so that the log could start again from its
    beginning, ingested slower into a million alerts.) PASSIVE: never waits for the writer
    or a reader; what it cannot copy yet the next one does."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.wake = threading.Event()
        self.stopping = False
        self.done = 0
        self.thread = threading.Thread(target=self._run, name="triage-checkpoints", daemon=True)

    def committed(self) -> None:
        """The writer committed: copy what it wrote."""
        self.wake.set()

    def _run(self) -> None:
        conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            while True:
                self.wake.wait()
                self.wake.clear()
                stopping = self.stopping  # read first: the last commit's pages are copied too
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.done += 1
                except sqlite3.Error:
                    pass  # the writer's own checkpoints still run
                if stopping:
                    return
        finally:
            conn.close()


@contextmanager
def background_checkpoints(conn: sqlite3.Connection, path: Path) -> Iterator[Checkpointer]:
    """A ``Checkpointer`` running while the block runs. The connection's own checkpoints wait
    until the log holds BACKGROUND_BACKSTOP_PAGES, and are back at WAL_CHECKPOINT_PAGES after."""
    checkpointer = Checkpointer(path)
    checkpointer.thread.start()
    conn.execute(f"PRAGMA wal_autocheckpoint={BACKGROUND_BACKSTOP_PAGES}")
    try:
        yield checkpointer
    finally:
        checkpointer.stopping = True
        checkpointer.wake.set()
        checkpointer.thread.join()
        conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
