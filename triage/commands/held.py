"""What a workspace holds under each alert key, as an ingest batch reads it: the alert holding
the key, then every digest received under it. A key is one alert's: the ingest, which writes
every alert under the workspace's write lock, looks keys up here (by their numbers,
``identity.key_hash``) and keeps what its batch stores in the same mapping."""

from __future__ import annotations

from dataclasses import dataclass, field

from triage.store.backend import Conn, select_in
from triage.store.identity import key_hash


@dataclass
class Known:
    """What the workspace holds under one key: its first alert and every digest received."""

    alert_id: int | None = None
    content_seq: int | None = None
    source_status: str | None = None
    digests: set[str] = field(default_factory=set)


def known_keys(conn: Conn, keys: list[str]) -> dict[str, Known]:
    """What the workspace holds under each of ``keys`` (those it holds): the alert holding
    it, then every digest received under it (kept by that alert's id)."""
    known: dict[str, Known] = {}
    holders: dict[int, Known] = {}
    held = "SELECT id, dedup_key, content_seq, source_status FROM alerts WHERE key_hash"
    wanted = set(keys)
    for alert_id, key, seq, status in select_in(conn, held, sorted({key_hash(k) for k in wanted})):
        if key not in wanted:
            continue  # another key of the same number
        k = holders[alert_id] = known.setdefault(key, Known())
        k.alert_id, k.content_seq, k.source_status = alert_id, seq, status
    digests = "SELECT key_alert, digest FROM alert_content WHERE key_alert"
    for key_alert, digest in select_in(conn, digests, list(holders)):
        holders[key_alert].digests.add(digest)
    return known


def holds(conn: Conn, known: dict[str, Known], key: str) -> bool:
    """Whether an alert holds ``key``: as ``known`` has it where the batch looked it up or
    stored it, else as the workspace has it."""
    if key in known:
        return known[key].alert_id is not None
    held = "SELECT 1 FROM alerts WHERE key_hash = ? AND dedup_key = ?"
    return conn.execute(held, (key_hash(key), key)).fetchone() is not None
