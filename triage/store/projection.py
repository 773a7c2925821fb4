"""Projections: alert, incident, quarantine and source state derived from the log alone.

``apply`` is the only code that writes projection tables. Commands reach it through
``Writer.append`` (so no state changes without an event) and ``rebuild`` replays the whole
log through it (so state can always be recreated). What an event means is not decided here:
an alert's or incident's row is the row of its ``triage.domain.state`` after the event (the
stored row read back as a state, the event applied, the changed columns written); this module
adds what only the tables keep (the timeline index, content tracking, quarantine, source
cursors). The catalogue (``triage.domain.events``) says which state each event changes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlite_utils import Database

from triage.domain import events as ev
from triage.domain.events import Changes
from triage.domain.state import ALERT_COLUMNS, LIST_COLUMNS, AlertState, IncidentState, list_text
from triage.domain.suppression import SuppressionState
from triage.store.backend import Conn, row_dict, select_in
from triage.store.event import Event
from triage.store.hashes import replace_hashes, write_hashes
from triage.store.identity import content_digest, key_hash, source_document
from triage.store.schema import PROJECTION_ORDER, PROJECTION_TABLES, recreate_projections


def known_actions() -> frozenset[str]:
    return frozenset(ev.CATALOGUE)


def apply(conn: Conn, event: Event) -> None:
    model = ev.CATALOGUE.get(event.action)
    if model is None:
        raise ValueError(f"event {event.seq}: unknown action {event.action!r}")
    changes = model.CHANGES
    if changes is Changes.ALERT:
        if event.action == ev.ALERT_INGESTED:
            _ingested(conn, event)
        else:
            _alert_event(conn, event)
    elif changes is Changes.INCIDENT:
        _incident_updated(conn, event)
    elif changes is Changes.QUARANTINE:
        _quarantined(conn, event)
    elif changes is Changes.SOURCE:
        _polled(conn, event)
    elif changes is Changes.NOTIFICATION:
        _notified(conn, event)
    elif changes is Changes.SUPPRESSION:
        _suppression(conn, event)
    # Sign-offs, exercise records and an exercise's own start, injects and end change no alert
    # or incident; they are only indexed by their target (``evidence:2026-10``,
    # ``exercise:<id>``) so they can be found again.
    _ref(conn, event.target, event.seq)


_REF_INSERT = "INSERT OR IGNORE INTO timeline (ref, seq) VALUES (?, ?)"
_CONTENT_INSERT = "INSERT OR IGNORE INTO alert_content (key_alert, digest, alert_id, seq) VALUES (?, ?, ?, ?)"


def _ref(conn: Conn, ref: str, seq: int) -> None:
    conn.execute(_REF_INSERT, (ref, seq))


def target_id(target: str, kind: str) -> int | None:
    """The id a target of ``kind`` names (``alert:7``, and ``alert:07``, are alert 7), or None
    where it names none."""
    k, _, ident = target.partition(":")
    if k != kind:
        return None
    try:
        return int(ident)
    except ValueError:
        return None


def _id(event: Event, kind: str) -> int:
    ident = target_id(event.target, kind)
    if ident is None:
        raise ValueError(f"event {event.seq}: target {event.target!r} is not an {kind}")
    return ident


def _row(conn: Conn, table: str, ident: int, event: Event) -> dict[str, Any]:
    row = row_dict(conn.execute(f"SELECT * FROM {table} WHERE id = ?", (ident,)))  # noqa: S608
    if row is None:
        raise ValueError(f"event {event.seq}: {table[:-1]} {ident} does not exist")
    return row


def _write(conn: Conn, table: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Write the columns that changed. Column names come from the state's own list, never
    from a payload: a crafted log replayed by ``rebuild`` cannot put its keys into SQL."""
    changed = {k: v for k, v in after.items() if before[k] != v}
    if changed:
        cols = ", ".join(f"{k} = ?" for k in changed)
        conn.execute(f"UPDATE {table} SET {cols} WHERE id = ?", (*changed.values(), after["id"]))  # noqa: S608


def _insert(conn: Conn, table: str, row: dict[str, Any]) -> None:
    cols = ", ".join(row)
    marks = ", ".join("?" * len(row))
    conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", tuple(row.values()))  # noqa: S608


def _content(conn: Conn, key_alert: int, digest: str, alert_id: int, seq: int) -> None:
    conn.execute(_CONTENT_INSERT, (key_alert, digest, alert_id, seq))


_COLS = ", ".join(ALERT_COLUMNS)
# A new alert's row: its state's columns, then its key's number (``alert_row``).
_ALERT_INSERT = f"INSERT INTO alerts ({_COLS}, key_hash) VALUES ({', '.join('?' * (len(ALERT_COLUMNS) + 1))})"  # noqa: S608
_ALERT_SELECT = f"SELECT {_COLS} FROM alerts WHERE id = ?"  # noqa: S608
_SCALAR_COLUMNS = tuple(k for k in ALERT_COLUMNS if k not in LIST_COLUMNS)


def alert_row(state: AlertState) -> tuple[Any, ...]:
    """The values of ``_ALERT_INSERT`` for a new alert."""
    return (*state.row_values(), key_hash(state.dedup_key))


def _ingested_state(event: Event) -> AlertState:
    _id(event, "alert")
    state = AlertState.ingested(event)
    if state.content_digest is None:  # logged before ingest events carried their digest
        state.content_digest = content_digest(source_document(event.payload["alert"]["raw"]))
    return state


def _ingested(conn: Conn, event: Event) -> None:
    """The hot path: one INSERT of the new state's row, no read."""
    state = _ingested_state(event)
    assert state.content_digest is not None
    conn.execute(_ALERT_INSERT, alert_row(state))
    _content(conn, state.key_alert, state.content_digest, state.id, event.seq)
    write_hashes(conn, state.id, event.payload["alert"]["raw"], event.body)


def read_alert(conn: Conn, event: Event) -> tuple[dict[str, Any], dict[str, list[Any]], AlertState]:
    """The row of the alert ``event`` is about, its lists as decoded, and its state (not yet
    changed by the event). Lists are decoded once and encoded again only if they change."""
    alert_id = _id(event, "alert")
    found = conn.execute(_ALERT_SELECT, (alert_id,)).fetchone()
    if found is None:
        raise ValueError(f"event {event.seq}: alert {alert_id} does not exist")
    return _read(found)


def read_alerts(
    conn: Conn, ids: list[int]
) -> dict[int, tuple[dict[str, Any], dict[str, list[Any]], AlertState]]:
    """``read_alert`` for many alerts at once (those that exist)."""
    rows = select_in(conn, f"SELECT {_COLS} FROM alerts WHERE id", ids)  # noqa: S608
    return {held[2].id: held for held in map(_read, rows)}


def _read(found: tuple[Any, ...]) -> tuple[dict[str, Any], dict[str, list[Any]], AlertState]:
    before = dict(zip(ALERT_COLUMNS, found, strict=True))
    lists = {k: json.loads(before[k]) if before[k] != "[]" else [] for k in LIST_COLUMNS}
    was = {k: list(v) for k, v in lists.items()}
    return before, was, AlertState(**{**before, **lists})


def changed_columns(before: dict[str, Any], was: dict[str, list[Any]], state: AlertState) -> dict[str, Any]:
    """The columns of the alert's row that ``state`` changed, as the row stores them."""
    now = state.__dict__
    changed = {k: now[k] for k in _SCALAR_COLUMNS if now[k] != before[k]}
    for k in LIST_COLUMNS:
        if now[k] != was[k]:
            changed[k] = list_text(now[k])
    if "dedup_key" in changed:  # no event changes it; were one to, its number follows
        changed["key_hash"] = key_hash(changed["dedup_key"])
    return changed


def _alert_event(conn: Conn, event: Event) -> None:
    """Read the row back as a state, apply the event, write the columns that changed."""
    before, was, state = read_alert(conn, event)
    alert_id = state.id
    state.apply(event)
    if event.action in (ev.ALERT_ESCALATED, ev.ALERT_LINKED, ev.ALERT_UNLINKED):
        _incident_of_alert_event(conn, event)
    changed = changed_columns(before, was, state)
    if changed:
        cols = ", ".join(f"{k} = ?" for k in changed)
        conn.execute(f"UPDATE alerts SET {cols} WHERE id = ?", (*changed.values(), alert_id))  # noqa: S608
    if event.action == ev.ALERT_CLOSED and event.payload.get("suppression") is not None:
        _suppression(conn, event)  # the rule counts the alerts it closed
    if event.action == ev.ALERT_UPDATED:
        assert state.content_digest is not None
        # under the alert updated, whose own key the new version came under
        _content(conn, alert_id, state.content_digest, alert_id, event.seq)
        if event.payload.get("raw") is not None:
            replace_hashes(conn, alert_id, event.payload["raw"], event.body)


def _incident_of_alert_event(conn: Conn, event: Event) -> None:
    """An escalation (which may create the incident), a link or an unlink: the incident's
    timeline gets the event too, and so does the incident an escalation moves the alert from."""
    incident_id = int(event.payload["incident"])
    created = IncidentState.created(event)
    if created is not None:
        _insert(conn, "incidents", created.row())
    else:
        _apply_to_incident(conn, incident_id, event)
    _ref(conn, f"incident:{incident_id}", event.seq)
    previous = event.payload.get("previous")
    if event.action == ev.ALERT_ESCALATED and previous is not None and int(previous) != incident_id:
        _apply_to_incident(conn, int(previous), event)
        _ref(conn, f"incident:{int(previous)}", event.seq)


def _apply_to_incident(conn: Conn, incident_id: int, event: Event) -> None:
    before = _row(conn, "incidents", incident_id, event)
    state = IncidentState.from_row(before)
    state.apply(event)
    _write(conn, "incidents", before, state.row())


def _incident_updated(conn: Conn, event: Event) -> None:
    before = _row(conn, "incidents", _id(event, "incident"), event)
    state = IncidentState.from_row(before)
    state.apply(event)
    _write(conn, "incidents", before, state.row())


_QUARANTINE_INSERT = (
    "INSERT INTO quarantine (id, dedup_key, origin, location, reason, seq, ts) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _quarantine_row(event: Event) -> tuple[Any, ...]:
    p = event.payload
    qid = _id(event, "quarantine")
    return (qid, p["dedup_key"], p["origin"], p["location"], p["reason"], event.seq, event.ts)


def _quarantined(conn: Conn, event: Event) -> None:
    conn.execute(_QUARANTINE_INSERT, _quarantine_row(event))


def _suppression(conn: Conn, event: Event) -> None:
    """A rule created, changed or ended, or an alert it closed (on the rule's timeline too)."""
    if event.action == ev.SUPPRESSION_CREATED:
        _insert(conn, "suppressions", SuppressionState.created(event).row())
        return
    rule = int(event.payload["suppression"]) if event.action == ev.ALERT_CLOSED else _id(event, "suppression")
    before = _row(conn, "suppressions", rule, event)
    state = SuppressionState.from_row(before)
    state.apply(event)
    _write(conn, "suppressions", before, state.row())
    if event.action == ev.ALERT_CLOSED:
        _ref(conn, f"suppression:{rule}", event.seq)


def _notified(conn: Conn, event: Event) -> None:
    """A notification recorded: once per (notify target, key), and on its alert's timeline."""
    p = event.payload
    conn.execute(
        "INSERT INTO notifications (target, key, kind, alert_id, outcome, seq, ts)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            event.target.partition(":")[2],
            p["key"],
            p["kind"],
            int(p["alert"]),
            p["outcome"],
            event.seq,
            event.ts,
        ),
    )
    _ref(conn, f"alert:{int(p['alert'])}", event.seq)


def _polled(conn: Conn, event: Event) -> None:
    """A poller committed a page: the alerts it ingested precede this event in the same
    transaction, and the cursor moves to the newest timestamp it covered."""
    # pages logged before content digests counted "duplicates": the same meaning as "present"
    p = ev.CATALOGUE[ev.SOURCE_POLLED].upgrade(event.payload)
    name = event.target.partition(":")[2]
    conn.execute(
        """INSERT INTO source_cursors
               (name, cursor_ms, pages, ingested, duplicates, quarantined, last_seq, updated_at,
                updated, collisions)
           VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET
               cursor_ms = excluded.cursor_ms,
               pages = source_cursors.pages + 1,
               ingested = source_cursors.ingested + excluded.ingested,
               duplicates = source_cursors.duplicates + excluded.duplicates,
               quarantined = source_cursors.quarantined + excluded.quarantined,
               last_seq = excluded.last_seq,
               updated_at = excluded.updated_at,
               updated = source_cursors.updated + excluded.updated,
               collisions = source_cursors.collisions + excluded.collisions""",
        (
            name,
            p.get("cursor_ms"),
            p["ingested"],
            p["present"],
            p["quarantined"],
            event.seq,
            event.ts,
            p.get("updated", 0),
            p.get("collisions", 0),
        ),
    )


# -- rebuild and comparison -------------------------------------------------------------


REPLAY_BATCH = 5000  # events applied together (``fold.apply_many``)


def rebuild(conn: Conn, db: Database | None) -> int:
    """Drop every projection and replay the whole log; returns the number of events replayed.
    With ``db`` (SQLite) the tables are made again as the latest migration leaves them; without
    (PostgreSQL, where the tables carry the team's privileges) they are emptied.

    Runs inside the caller's transaction."""
    if db is None:
        conn.execute("TRUNCATE " + ", ".join(PROJECTION_TABLES))
    else:
        for table in PROJECTION_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        recreate_projections(db)
    from triage.store.fold import apply_many  # it builds on this module

    n = 0
    rows = conn.execute("SELECT seq, body, prev_hash, hash FROM events ORDER BY seq").fetchall()
    for i in range(0, len(rows), REPLAY_BATCH):
        batch = [Event.from_row(*row) for row in rows[i : i + REPLAY_BATCH]]
        apply_many(conn, batch)
        n += len(batch)
    return n


def digest(conn: Conn) -> str:
    """A SHA-256 over every projection row in primary-key order, its columns in the order of
    their names (a table a migration changed may hold them in another order than a rebuilt
    one): equal digests, equal state."""
    h = hashlib.sha256()
    for table in PROJECTION_TABLES:
        order = PROJECTION_ORDER.get(table, "id")
        names = sorted(d[0] for d in conn.execute(f"SELECT * FROM {table} LIMIT 0").description)  # noqa: S608
        h.update(f"\x00{table}\x00{','.join(names)}\x00".encode())
        for row in conn.execute(f"SELECT {', '.join(names)} FROM {table} ORDER BY {order}"):  # noqa: S608
            h.update(repr(row).encode())
    return h.hexdigest()
