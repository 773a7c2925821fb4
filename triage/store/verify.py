"""Recompute the chain and check it against the signed checkpoints, like an auditor would.

``verify_chain`` recomputes every hash; ``verify_workspace`` adds the checkpoint check of
``triage.store.anchor``. The report they fill is ``triage.store.verdict.VerifyReport``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from triage.store.anchor import verify_checkpoints
from triage.store.backend import Conn
from triage.store.backend.postgres import PgConn
from triage.store.chain import GENESIS, hashed_bytes
from triage.store.verdict import Problem, VerifyReport


def verify_chain(conn: Conn, report: VerifyReport | None = None) -> VerifyReport:
    """Walk the log in order and recompute every hash from the stored canonical bytes."""
    report = report or VerifyReport()
    if isinstance(conn, PgConn):
        return _verify_pg(conn, report)
    # The column check is SQLite's work alone: run it on a second connection while this one
    # hashes, so the two use both cores (SQLite releases the GIL while it steps).
    columns = _ColumnCheck(conn)  # type: ignore[arg-type]
    _walk(conn.execute("SELECT seq, body, prev_hash, hash FROM events ORDER BY seq"), report)
    report.problems.extend(columns.result())
    return _finish(conn, report)


def _verify_pg(conn: PgConn, report: VerifyReport) -> VerifyReport:
    """On PostgreSQL: one snapshot, the log streamed through a server-side cursor, then the
    column check in SQL."""
    started = not conn.in_transaction
    if started:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    try:
        _walk(conn.stream("SELECT seq, body, prev_hash, hash FROM events ORDER BY seq"), report)
        for seq, ts, action, target, body in conn.execute(_PG_COLUMN_CHECK).fetchall():
            if not _agrees_in_python(seq, ts, action, target, body):
                report.problems.append(Problem(seq, "indexed columns disagree with the hashed event body"))
        return _finish(conn, report)
    finally:
        if started and conn.in_transaction:
            conn.execute("ROLLBACK")


def _walk(rows: Iterable[Any], report: VerifyReport) -> None:
    prev_hash = GENESIS
    expected = 1
    total = valid = 0
    sha = hashlib.sha256
    problems = report.problems
    for seq, body, stored_prev, stored_hash in rows:
        total += 1
        ok = True
        if seq != expected:
            ok = False
            if seq > expected:
                missing = f"{expected}" if seq == expected + 1 else f"{expected} to {seq - 1}"
                problems.append(Problem(seq, f"sequence gap: event {missing} missing (deleted)"))
            else:
                problems.append(Problem(seq, f"out of order: expected {expected}"))
        if stored_prev != prev_hash:
            ok = False
            problems.append(
                Problem(seq, "chain broken: prev_hash does not match the hash of the event before it")
            )
        try:
            actual = sha(hashed_bytes(stored_prev, body)).hexdigest()
        except UnicodeEncodeError:
            actual = ""
        if actual != stored_hash:
            ok = False
            problems.append(Problem(seq, "hash mismatch: the event's content was changed"))
        if ok:
            valid += 1
        prev_hash = stored_hash
        expected = seq + 1
    report.events_total = total
    report.events_valid = valid


def _finish(conn: Conn, report: VerifyReport) -> VerifyReport:
    row = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    if row:
        report.head_seq, report.head_hash = row
    report.problems.sort(key=lambda p: (p.seq is None, p.seq or 0))
    return report


def _agrees_in_python(seq: int, ts: str, action: str, target: str, body: str | None) -> bool:
    """A body PostgreSQL's JSON parser refused (it refuses a lone surrogate's escape, which a
    source document may hold) is read again by Python's, as the writer wrote it."""
    if body is None:  # PostgreSQL parsed it, and it disagrees
        return False
    try:
        d = json.loads(body)
    except ValueError:
        return False
    return bool(
        d.get("seq") == seq and d.get("ts") == ts and d.get("action") == action and d.get("target") == target
    )


_PG_COLUMN_CHECK = """SELECT seq, ts, action, target, CASE WHEN j IS NULL THEN body END
    FROM (SELECT seq, ts, action, target, body, triage_json(body) AS j FROM events) e
    WHERE j IS NULL OR (j ->> 'seq') IS DISTINCT FROM seq::text OR (j ->> 'ts') IS DISTINCT FROM ts
    OR (j ->> 'action') IS DISTINCT FROM action OR (j ->> 'target') IS DISTINCT FROM target
    ORDER BY seq"""
_COLUMN_CHECK = """SELECT seq FROM events WHERE NOT json_valid(body)
    OR json_extract(body, '$.seq') IS NOT seq
    OR json_extract(body, '$.ts') IS NOT ts
    OR json_extract(body, '$.action') IS NOT action
    OR json_extract(body, '$.target') IS NOT target
    ORDER BY seq"""


class _ColumnCheck:
    """The indexed columns must agree with the hashed body (they drive range queries)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.found: list[Problem] = []
        self.error: sqlite3.Error | None = None
        rows = conn.execute("PRAGMA database_list").fetchall()
        path = next((r[2] for r in rows if r[1] == "main"), "")
        self.thread: threading.Thread | None = None
        if path:
            self.thread = threading.Thread(target=self._run_on, args=(path,), name="verify-columns")
            self.thread.start()
        else:  # an in-memory database cannot be opened twice
            self._run(conn)

    def _run_on(self, path: str) -> None:
        try:
            other = sqlite3.connect(Path(path).as_uri() + "?mode=ro", uri=True, timeout=30)
        except sqlite3.Error as exc:
            self.error = exc
            return
        try:
            self._run(other)
        except sqlite3.Error as exc:
            self.error = exc
        finally:
            other.close()

    def _run(self, conn: sqlite3.Connection) -> None:
        for (seq,) in conn.execute(_COLUMN_CHECK):
            self.found.append(Problem(seq, "indexed columns disagree with the hashed event body"))

    def result(self) -> list[Problem]:
        if self.thread is not None:
            self.thread.join()
        if self.error is not None:
            return [Problem(None, f"the column check could not run: {self.error}")]
        return self.found


def verify_workspace(
    conn: Conn,
    workspace_id: str,
    *,
    anchor_files: list[Path] | None = None,
    public_key: bytes | None = None,
) -> VerifyReport:
    report = verify_chain(conn)
    verify_checkpoints(conn, workspace_id, report, anchor_files or [], public_key)
    return report
