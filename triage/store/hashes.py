"""The ``alert_hashes`` projection: the hashes of each alert's current document, by hash.

Written by the projection from the event that brings a document (an ingest, a source's
update) and rebuilt by replaying them; what counts as a hash is ``triage.domain.hashes``.
"""

from __future__ import annotations

from typing import Any

from triage.domain.hashes import document_hashes
from triage.store.backend import Conn

HASH_INSERT = "INSERT OR IGNORE INTO alert_hashes (hash, alert_id) VALUES (?, ?)"


def hash_rows(alert_id: int, raw: Any, text: str | None = None) -> list[tuple[str, int]]:
    """``text``: the JSON text holding ``raw`` (its event's body), which may save the walk."""
    return [(h, alert_id) for h in document_hashes(raw, text)]


def write_hashes(conn: Conn, alert_id: int, raw: Any, text: str | None = None) -> None:
    rows = hash_rows(alert_id, raw, text)
    if rows:
        conn.executemany(HASH_INSERT, rows)


def replace_hashes(conn: Conn, alert_id: int, raw: Any, text: str | None = None) -> None:
    """A new version of the document: its hashes instead of the last one's."""
    conn.execute("DELETE FROM alert_hashes WHERE alert_id = ?", (alert_id,))
    write_hashes(conn, alert_id, raw, text)
