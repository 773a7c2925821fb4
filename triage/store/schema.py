"""Workspace schema, applied with sqlite-utils migrations.

``events`` is the investigation log: append-only, hash-chained, the source of
truth. Every other table except ``meta``, ``checkpoints`` and the migrations
record is a projection that can be dropped and rebuilt from ``events``.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from triage.store.tables import (
    create_alert_hashes,
    create_notifications,
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
# which applies ``create_projections`` and then every later addition below, in order.

# The queue's sort keys that are expressions: an index on an expression is used only by a
# query that spells the expression the same way, so queries import these constants.
SEVERITY_RANK = (
    "(CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2"
    " WHEN 'low' THEN 1 ELSE 0 END)"
)
# The target that runs now, as SQL: the same rule as ``triage.domain.state.running_due`` (a test
# checks the two agree). The acknowledge target runs while the alert is new and was never closed
# (a first close meets it too); after that the close target runs until the alert is closed.
DUE_AT = (
    "(CASE WHEN status = 'new' AND first_closed_at IS NULL THEN ack_due"
    " WHEN status IN ('new', 'acknowledged') THEN close_due END)"
)
# The rule before alerts kept their first close (migration 3's index; migration 5 replaces it).
_DUE_AT_V1 = "(CASE status WHEN 'new' THEN ack_due WHEN 'acknowledged' THEN close_due END)"


def create_queue_indexes(db: Database) -> None:
    """Indexes behind the analyst's queue (sort by any column, one page at a time) and
    related-alert look-ups (same host, user or rule within a time window)."""
    db.executescript(
        f"""
        CREATE INDEX IF NOT EXISTS alerts_q_rank ON alerts({SEVERITY_RANK}, ingested_at);
        CREATE INDEX IF NOT EXISTS alerts_q_due ON alerts({_DUE_AT_V1});
        CREATE INDEX IF NOT EXISTS alerts_q_title ON alerts(title);
        CREATE INDEX IF NOT EXISTS alerts_q_host ON alerts(host, fired_at);
        CREATE INDEX IF NOT EXISTS alerts_q_user ON alerts(user_name, fired_at);
        CREATE INDEX IF NOT EXISTS alerts_q_src ON alerts(src_ip);
        CREATE INDEX IF NOT EXISTS alerts_q_rule ON alerts(rule_id, fired_at);
        CREATE INDEX IF NOT EXISTS alerts_q_playbook ON alerts(playbook_id);
        """
    )


# Columns that can be blank, and the key that sorts their blanks last when sorting up (down,
# SQLite puts NULL last already): the queue's order and these indexes spell it the same way.
NULLABLE_SORT = {
    "assignee": "assignee",
    "due": DUE_AT,
    "host": "host",
    "user": "user_name",
    "src_ip": "src_ip",
}


def blank_key(expr: str) -> str:
    return f"({expr} IS NULL)"


def create_blanks_last_indexes(db: Database) -> None:
    """Indexes for the queue's upward sorts of a column that can be blank, blanks last."""
    db.executescript(
        f"""
        CREATE INDEX IF NOT EXISTS alerts_qb_assignee ON alerts({blank_key("assignee")}, assignee);
        CREATE INDEX IF NOT EXISTS alerts_qb_due ON alerts({blank_key(DUE_AT)}, {DUE_AT});
        CREATE INDEX IF NOT EXISTS alerts_qb_host ON alerts({blank_key("host")}, host, fired_at);
        CREATE INDEX IF NOT EXISTS alerts_qb_user ON alerts({blank_key("user_name")}, user_name, fired_at);
        CREATE INDEX IF NOT EXISTS alerts_qb_src ON alerts({blank_key("src_ip")}, src_ip);
        """
    )


def create_content_tracking(db: Database) -> None:
    """What each alert's documents held: every (key, digest) received, so "already present"
    means the same content, not only the same key; per alert its current version, how often
    its source updated it, and the alert whose key it collided with."""
    db.executescript(
        """
        ALTER TABLE alerts ADD COLUMN content_digest TEXT;
        ALTER TABLE alerts ADD COLUMN content_seq INTEGER;
        ALTER TABLE alerts ADD COLUMN source_updates INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE alerts ADD COLUMN collision_of INTEGER;
        ALTER TABLE source_cursors ADD COLUMN updated INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE source_cursors ADD COLUMN collisions INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE alert_content (
            dedup_key TEXT NOT NULL,
            digest TEXT NOT NULL,
            alert_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (dedup_key, digest)
        ) WITHOUT ROWID;
        """
    )


def create_first_close(db: Database) -> None:
    """Each alert's first close (it meets the acknowledge target of an alert closed without an
    acknowledgement, and stays met after a reopen), and the queue's due index on the rule that
    uses it."""
    db.executescript(
        f"""
        ALTER TABLE alerts ADD COLUMN first_closed_at TEXT;
        DROP INDEX IF EXISTS alerts_q_due;
        CREATE INDEX alerts_q_due ON alerts({DUE_AT});
        """
    )


def create_duplicate_of(db: Database) -> None:
    """The alert a duplicate was closed as a duplicate of (and, by its index, an alert's duplicates)."""
    db.executescript(
        """
        ALTER TABLE alerts ADD COLUMN duplicate_of INTEGER;
        CREATE INDEX alerts_duplicate_of ON alerts(duplicate_of);
        """
    )


def create_incident_notes(db: Database) -> None:
    """An incident's description and how many notes it has (both new with their events)."""
    db.executescript(
        """
        ALTER TABLE incidents ADD COLUMN description TEXT;
        ALTER TABLE incidents ADD COLUMN notes INTEGER NOT NULL DEFAULT 0;
        """
    )


def recreate_projections(db: Database) -> None:
    """The projection tables as the latest migration leaves them (used by rebuild)."""
    create_projections(db)
    create_queue_indexes(db)
    create_content_tracking(db)
    create_content_by_alert(db)
    create_first_close(db)
    create_notifications(db)
    create_suppressions(db)
    create_blanks_last_indexes(db)
    create_duplicate_of(db)
    create_incident_notes(db)
    create_alert_hashes(db)
    create_sparse_indexes(db)


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


def create_content_by_alert(db: Database) -> None:
    """Content received is tracked by the alert holding the key it came under (``key_alert``),
    not by the key: a new alert's row goes at the end of the table's key, where the key's own
    text, random by nature, put it on a page of its own in a large workspace (the alerts' own
    unique key is the one look-up by key). Kept rows are moved to the alert holding their key.

    SQLite remakes the table; PostgreSQL changes it in place, which keeps a team's grants.
    Either way its columns end in the same order."""
    holder = (
        "coalesce((SELECT a.id FROM alerts a WHERE a.dedup_key = alert_content.dedup_key),"
        " alert_content.alert_id)"
    )
    if isinstance(db, Database):
        db.executescript(  # ``holder``: this function's own text
            f"""
            CREATE TABLE alert_content_by_alert (
                digest TEXT NOT NULL,
                alert_id INTEGER NOT NULL,
                seq INTEGER NOT NULL,
                key_alert INTEGER NOT NULL,
                PRIMARY KEY (key_alert, digest)
            ) WITHOUT ROWID;
            INSERT OR IGNORE INTO alert_content_by_alert (digest, alert_id, seq, key_alert)
                SELECT digest, alert_id, seq, {holder} FROM alert_content ORDER BY seq;
            DROP TABLE alert_content;
            ALTER TABLE alert_content_by_alert RENAME TO alert_content;
            """  # noqa: S608
        )
        return
    db.executescript(
        f"""
        ALTER TABLE alert_content ADD COLUMN key_alert INTEGER;
        UPDATE alert_content SET key_alert = {holder};
        DELETE FROM alert_content c USING alert_content d
            WHERE c.key_alert = d.key_alert AND c.digest = d.digest AND c.seq > d.seq;
        ALTER TABLE alert_content DROP COLUMN dedup_key;
        ALTER TABLE alert_content ALTER COLUMN key_alert SET NOT NULL;
        ALTER TABLE alert_content ADD PRIMARY KEY (key_alert, digest);
        """  # noqa: S608
    )


@migrations()
def m015_content_by_alert(db: Database) -> None:
    create_content_by_alert(db)


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
)
