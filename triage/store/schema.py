"""Workspace schema, applied with sqlite-utils migrations.

``events`` is the investigation log: append-only, hash-chained, the source of
truth. Every other table except ``meta``, ``checkpoints`` and the migrations
record is a projection that can be dropped and rebuilt from ``events``.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from triage.store.tables import (
    alerts_by_key_hash,
    blanks_last_by_nulls,
    create_alert_hashes,
    create_blanks_last_indexes,
    create_content_by_alert,
    create_content_tracking,
    create_duplicate_of,
    create_first_close,
    create_incident_notes,
    create_notifications,
    create_queue_indexes,
    create_sparse_indexes,
    create_suppressions,
)

migrations = Migrations("triage")

PROJECTION_TABLES = (
    "alerts", "incidents", "quarantine", "timeline", "source_cursors", "alert_content", "notifications",
    "suppressions", "alert_hashes",
)  # fmt: skip
# Each projection table in the order ``digest`` walks it.
PROJECTION_ORDER = {
    "timeline": "ref, seq",
    "source_cursors": "name",
    "alert_content": "key_alert, digest",
    "notifications": "target, key",
    "alert_hashes": "hash, alert_id",
}


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            ts TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            body TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX events_ts ON events(ts);
        CREATE INDEX events_target ON events(target, seq);

        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the investigation log is append-only: UPDATE refused'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the investigation log is append-only: DELETE refused'); END;

        CREATE TABLE checkpoints (
            n INTEGER PRIMARY KEY,
            seq INTEGER NOT NULL,
            record TEXT NOT NULL
        );
        CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only: UPDATE refused'); END;
        CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only: DELETE refused'); END;
        """
    )
    create_projections(db)


def create_projections(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            dedup_key TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL,
            profile TEXT NOT NULL,
            index_name TEXT,
            doc_id TEXT,
            rule_name TEXT,
            rule_id TEXT,
            title TEXT NOT NULL,
            severity TEXT NOT NULL,
            original_severity TEXT NOT NULL,
            risk_score REAL,
            fired_at TEXT NOT NULL,
            ingested_at TEXT NOT NULL,
            host TEXT,
            user_name TEXT,
            src_ip TEXT,
            dst_ip TEXT,
            tactics TEXT NOT NULL,
            techniques TEXT NOT NULL,
            tags TEXT NOT NULL,
            playbook_id TEXT,
            playbook_version INTEGER,
            playbook_steps TEXT NOT NULL,
            required_steps TEXT NOT NULL,
            steps_done TEXT NOT NULL,
            ack_due TEXT,
            close_due TEXT,
            status TEXT NOT NULL,
            assignee TEXT,
            acknowledged_at TEXT,
            acknowledged_by TEXT,
            closed_at TEXT,
            closed_by TEXT,
            disposition TEXT,
            close_reason TEXT,
            close_override TEXT,
            incident_id INTEGER,
            notes INTEGER NOT NULL,
            reopened INTEGER NOT NULL,
            ingest_seq INTEGER NOT NULL,
            last_seq INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            source_status TEXT
        );
        CREATE INDEX alerts_status ON alerts(status, severity);
        CREATE INDEX alerts_assignee ON alerts(assignee);
        CREATE INDEX alerts_fired ON alerts(fired_at);
        CREATE INDEX alerts_ingested ON alerts(ingested_at);
        CREATE INDEX alerts_incident ON alerts(incident_id);

        CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            severity TEXT NOT NULL,
            status TEXT NOT NULL,
            owner TEXT,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            closed_at TEXT,
            last_seq INTEGER NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE quarantine (
            id INTEGER PRIMARY KEY,
            dedup_key TEXT NOT NULL UNIQUE,
            origin TEXT NOT NULL,
            location TEXT NOT NULL,
            reason TEXT NOT NULL,
            seq INTEGER NOT NULL,
            ts TEXT NOT NULL
        );

        CREATE TABLE timeline (
            ref TEXT NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (ref, seq)
        ) WITHOUT ROWID;

        CREATE TABLE source_cursors (
            name TEXT PRIMARY KEY,
            cursor_ms INTEGER,
            pages INTEGER NOT NULL,
            ingested INTEGER NOT NULL,
            duplicates INTEGER NOT NULL,
            quarantined INTEGER NOT NULL,
            last_seq INTEGER NOT NULL,
            updated_at TEXT NOT NULL
        );
        """
    )


@migrations()
def m002_sources(db: Database) -> None:
    """Search-server polling: cursors per source (a projection) and write-back status on alerts,
    plus ``poll_status``: the poller's health (last pass, last error), which is telemetry, not
    state, and so is kept outside the log."""
    # A workspace made before this migration lacks the write-back column and the cursors table
    # (``create_projections`` has them now); a migration adds what was missing, by itself.
    if "source_status" not in db["alerts"].columns_dict:
        db.execute("ALTER TABLE alerts ADD COLUMN source_status TEXT")
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS source_cursors (
            name TEXT PRIMARY KEY,
            cursor_ms INTEGER,
            pages INTEGER NOT NULL,
            ingested INTEGER NOT NULL,
            duplicates INTEGER NOT NULL,
            quarantined INTEGER NOT NULL,
            last_seq INTEGER NOT NULL,
            updated_at TEXT NOT NULL
        );
        """
    )
    db.executescript(
        """
        CREATE TABLE poll_status (
            name TEXT PRIMARY KEY,
            pid INTEGER,
            last_pass_at TEXT,
            last_ok_at TEXT,
            last_error TEXT,
            newest_ms INTEGER,
            lag_s REAL,
            state TEXT NOT NULL
        );
        """
    )


# -- later additions ----------------------------------------------------------------------
# A rebuild drops the projection tables and recreates them with ``recreate_projections``,
# which applies ``create_projections`` and then every later addition (``triage.store.tables``),
# in order.


def recreate_projections(db: Database) -> None:
    """The projection tables as the latest migration leaves them (used by rebuild)."""
    create_projections(db)
    create_queue_indexes(db)
    create_content_tracking(db)
    create_content_by_alert(db)
    create_first_close(db)
    create_notifications(db)
    create_suppressions(db)
    create_duplicate_of(db)
    create_incident_notes(db)
    create_alert_hashes(db)
    create_sparse_indexes(db)
    alerts_by_key_hash(db)


@migrations()
def m003_queue_indexes(db: Database) -> None:
    create_queue_indexes(db)


@migrations()
def m004_content_digests(db: Database) -> None:
    """Content tracking for workspaces made before it: every alert so far has one version, the
    document its ingest event holds. Reads the log directly, so it depends on nothing later."""
    import json

    from triage.domain.events.alert import ALERT_INGESTED  # a name, as permanent as the log
    from triage.store.identity import content_digest, source_document

    create_content_tracking(db)
    conn = db.conn
    rows = conn.execute(
        "SELECT seq, target, body FROM events WHERE action = ? ORDER BY seq", (ALERT_INGESTED,)
    )
    for seq, target, body in rows.fetchall():
        payload = json.loads(body)["payload"]
        digest = content_digest(source_document(payload["alert"]["raw"]))
        alert_id = int(target.partition(":")[2])
        conn.execute(
            "INSERT OR IGNORE INTO alert_content (dedup_key, digest, alert_id, seq) VALUES (?, ?, ?, ?)",
            (payload["dedup_key"], digest, alert_id, seq),
        )
        conn.execute(
            "UPDATE alerts SET content_digest = ?, content_seq = ? WHERE id = ?", (digest, seq, alert_id)
        )


@migrations()
def m005_first_close(db: Database) -> None:
    """The first close of every alert so far, read from the log (its first ``alert.closed``)."""
    from triage.domain.events.alert import ALERT_CLOSED  # a name, as permanent as the log

    create_first_close(db)
    db.conn.execute(
        """UPDATE alerts SET first_closed_at = (
               SELECT e.ts FROM events e WHERE e.target = 'alert:' || alerts.id AND e.action = ?
               ORDER BY e.seq LIMIT 1)""",
        (ALERT_CLOSED,),
    )


@migrations()
def m006_escalation_leaves_the_previous_incident(db: Database) -> None:
    """An escalation from one incident to another is on the timeline of both: index it on the
    incident the alert left too (as the projection does now), read from the log."""
    import json

    from triage.domain.events.alert import ALERT_ESCALATED  # a name, as permanent as the log

    conn = db.conn
    rows = conn.execute("SELECT seq, body FROM events WHERE action = ? ORDER BY seq", (ALERT_ESCALATED,))
    for seq, body in rows.fetchall():
        d = json.loads(body)
        previous, incident = d["payload"].get("previous"), d["payload"]["incident"]
        if previous is None or int(previous) == int(incident):
            continue
        conn.execute(
            "INSERT OR IGNORE INTO timeline (ref, seq) VALUES (?, ?)", (f"incident:{int(previous)}", seq)
        )
        conn.execute(
            "UPDATE incidents SET last_seq = ?, updated_at = ? WHERE id = ? AND last_seq < ?",
            (seq, d["ts"], int(previous), seq),
        )


@migrations()
def m007_notifications(db: Database) -> None:
    """Notifications (a projection of ``notification.sent`` events; none were logged before) and
    each notify target's cursor over the log: how far its events were read, and since when it
    notifies (breaches of targets that fell due before are not news to send). The cursor is not
    state and not evidence (the notifications are); it is written in the same transaction as
    the notification that advances it."""
    create_notifications(db)
    db.executescript(
        """
        CREATE TABLE notify_cursors (
            target TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """
    )


@migrations()
def m008_suppressions(db: Database) -> None:
    """Suppression rules (a projection of their events; none were logged before)."""
    create_suppressions(db)


@migrations()
def m009_blanks_sort_last(db: Database) -> None:
    create_blanks_last_indexes(db)


@migrations()
def m010_duplicate_of(db: Database) -> None:
    """No close named its original before this column: nothing to read from the log."""
    create_duplicate_of(db)


@migrations()
def m011_incident_notes(db: Database) -> None:
    """No event described or noted an incident before these columns: nothing to read."""
    create_incident_notes(db)


@migrations()
def m012_alert_hashes(db: Database) -> None:
    """The hashes of every alert's current document, read from the log: its ingest, then each
    update that carried a new document. Reads the log directly, so it depends on nothing later."""
    import json

    from triage.domain.events.alert import ALERT_INGESTED, ALERT_UPDATED  # names, as permanent as the log
    from triage.store.hashes import replace_hashes, write_hashes

    create_alert_hashes(db)
    conn = db.conn
    rows = conn.execute(
        "SELECT target, action, body FROM events WHERE action IN (?, ?) ORDER BY seq",
        (ALERT_INGESTED, ALERT_UPDATED),
    )
    for target, action, body in rows.fetchall():
        payload = json.loads(body)["payload"]
        alert_id = int(target.partition(":")[2])
        if action == ALERT_INGESTED:
            write_hashes(conn, alert_id, payload["alert"]["raw"])
        elif payload.get("raw") is not None:
            replace_hashes(conn, alert_id, payload["raw"])


@migrations()
def m013_sparse_indexes(db: Database) -> None:
    create_sparse_indexes(db)


@migrations()
def m014_events_by_timeline(db: Database) -> None:
    """An event's own target is on the timeline too, which every look-up of an alert's or an
    incident's events reads: the log's second index by target went unread, and every append
    paid for it."""
    db.executescript("DROP INDEX IF EXISTS events_target;")


@migrations()
def m015_content_by_alert(db: Database) -> None:
    create_content_by_alert(db)


@migrations()
def m016_blanks_last_by_nulls(db: Database) -> None:
    blanks_last_by_nulls(db)


@migrations()
def m017_alerts_by_key_hash(db: Database) -> None:
    alerts_by_key_hash(db)


# Every migration in the order it applies: the PostgreSQL backend runs the same functions.
MIGRATION_ORDER = (
    m001_initial,
    m002_sources,
    m003_queue_indexes,
    m004_content_digests,
    m005_first_close,
    m006_escalation_leaves_the_previous_incident,
    m007_notifications,
    m008_suppressions,
    m009_blanks_sort_last,
    m010_duplicate_of,
    m011_incident_notes,
    m012_alert_hashes,
    m013_sparse_indexes,
    m014_events_by_timeline,
    m015_content_by_alert,
    m016_blanks_last_by_nulls,
    m017_alerts_by_key_hash,
)
