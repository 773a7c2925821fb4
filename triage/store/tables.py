"""What the projections gained after the first schema: tables (notifications, suppression rules,
the alerts' hashes), columns (content tracking, the first close, the duplicate's original, an
incident's notes), the queue's indexes and later changes to them, and the content tracked by
the alert holding the key. Their migrations are in ``triage.store.schema`` (whose
``recreate_projections`` applies these in order)."""

from __future__ import annotations

import re

from sqlite_utils import Database

from triage.errors import WorkspaceError
from triage.store.identity import KEY_HASH_SQL_PG, key_hash


def create_notifications(db: Database) -> None:
    """Every notification the notifier recorded, once per (notify target, key): what makes
    each one sent once."""
    db.executescript(
        """
        CREATE TABLE notifications (
            target TEXT NOT NULL,
            key TEXT NOT NULL,
            kind TEXT NOT NULL,
            alert_id INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            seq INTEGER NOT NULL,
            ts TEXT NOT NULL,
            PRIMARY KEY (target, key)
        ) WITHOUT ROWID;
        CREATE INDEX notifications_alert ON notifications(alert_id);
        """
    )


def create_suppressions(db: Database) -> None:
    """Suppression rules (``triage.domain.suppression``): who, why, until when, what they closed."""
    db.executescript(
        """
        CREATE TABLE suppressions (
            id INTEGER PRIMARY KEY,
            query TEXT NOT NULL,
            reason TEXT NOT NULL,
            owner TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            starts_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            ended_at TEXT,
            ended_by TEXT,
            end_reason TEXT,
            alerts_closed INTEGER NOT NULL,
            last_alert INTEGER,
            last_closed_at TEXT,
            exercise INTEGER NOT NULL,
            last_seq INTEGER NOT NULL
        );
        CREATE INDEX suppressions_expires ON suppressions(expires_at);
        """
    )


def create_alert_hashes(db: Database) -> None:
    """The hashes each alert's current document holds (``triage.domain.hashes``): the index of
    the query's ``hash:``, by hash; by alert to replace them when the source updates it."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS alert_hashes (
            hash TEXT NOT NULL,
            alert_id INTEGER NOT NULL,
            PRIMARY KEY (hash, alert_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS alert_hashes_alert ON alert_hashes(alert_id);
        """
    )


# Indexes whose column a new alert leaves blank, and that only a look-up of a value reads (an
# incident's alerts): blanks are left out of them, so that no ingest writes to them (a look-up
# ``column = ?`` implies the column is not NULL, for SQLite's planner and PostgreSQL's alike).
# The duplicate-of index stays whole: a count of every alert walks it, the narrowest index that
# holds every row.
SPARSE_INDEXES = {"alerts_incident": "incident_id"}


def create_sparse_indexes(db: Database) -> None:
    db.executescript(
        "".join(
            f"DROP INDEX IF EXISTS {name};"
            f" CREATE INDEX {name} ON alerts({column}) WHERE {column} IS NOT NULL;\n"
            for name, column in SPARSE_INDEXES.items()
        )
    )


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


# The queue's sorts by a column that can be blank: its blanks come last either way. Going down,
# both databases put NULL last already (PostgreSQL once told, see ``backend.sql``); going up the
# queue says ``NULLS LAST`` of the first key (``triage.queue``).
NULLABLE_SORT = frozenset({"assignee", "due", "host", "user", "src_ip"})


def blank_key(expr: str) -> str:
    return f"({expr} IS NULL)"


# Migration 9's indexes for those upward sorts: a key that is 1 for a blank, then the column.
BLANKS_LAST_KEYS = {
    "alerts_qb_assignee": ("assignee",),
    "alerts_qb_due": (DUE_AT,),
    "alerts_qb_host": ("host", "fired_at"),
    "alerts_qb_user": ("user_name", "fired_at"),
    "alerts_qb_src": ("src_ip",),
}


def create_blanks_last_indexes(db: Database) -> None:
    """Indexes for the queue's upward sorts of a column that can be blank, blanks last."""
    db.executescript(
        "".join(
            f"CREATE INDEX IF NOT EXISTS {name} ON alerts({blank_key(keys[0])}, {', '.join(keys)});\n"
            for name, keys in BLANKS_LAST_KEYS.items()
        )
    )


def blanks_last_by_nulls(db: Database) -> None:
    """The upward sorts say ``NULLS LAST``. SQLite walks the column's own index for it (its
    entries past the blanks, then the blanks), so migration 9's five indexes go, and with them
    an entry per alert in each (the source IP's at a random place of a large index). PostgreSQL
    walks an index in one order only, so its five are remade on the columns, ``NULLS LAST``."""
    drop = "".join(f"DROP INDEX IF EXISTS {name};\n" for name in BLANKS_LAST_KEYS)
    if isinstance(db, Database):
        db.executescript(drop)
        return
    db.executescript(
        drop
        + "".join(
            f"CREATE INDEX {name} ON alerts({keys[0]} NULLS LAST{''.join(', ' + k for k in keys[1:])});\n"
            for name, keys in BLANKS_LAST_KEYS.items()
        )
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


# The alert row's columns that are the store's means of finding rows, not the alert's record
# (``triage show`` and the listing leave them out).
STORE_COLUMNS = frozenset({"key_hash"})


def alerts_by_key_hash(db: Database) -> None:
    """Alerts are looked up by their key's number (``identity.key_hash``), not by the key's
    text, which their first schema made unique: an index on that text (a hundred bytes and
    more a key, random by nature, under 30 to a page) put each new alert on a page of its own
    of a large one, and split a page often enough that an alert wrote 1.6 of its pages. The
    ingest, which writes every alert, keeps a key to one alert (``commands.held``); an index on
    the number holds about 250 to a page.

    SQLite remakes the table (its columns in their order, then ``key_hash``) and the indexes it
    had; PostgreSQL changes it in place, which keeps a team's grants."""
    if not isinstance(db, Database):
        db.executescript(
            f"""
            ALTER TABLE alerts DROP CONSTRAINT IF EXISTS alerts_dedup_key_key;
            ALTER TABLE alerts ADD COLUMN key_hash INTEGER;
            UPDATE alerts SET key_hash = {KEY_HASH_SQL_PG.format("dedup_key")};
            ALTER TABLE alerts ALTER COLUMN key_hash SET NOT NULL;
            CREATE INDEX alerts_key_hash ON alerts(key_hash);
            """  # noqa: S608 - this module's own text
        )
        return
    conn = db.conn
    table = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'alerts'").fetchone()[
        0
    ]
    remade, n = re.subn(r"\bdedup_key TEXT NOT NULL UNIQUE\b", "dedup_key TEXT NOT NULL", table)
    if n != 1:
        raise WorkspaceError(f"the alerts table is not as its migrations left it: {table}")
    remade = re.sub(r'^CREATE TABLE "?alerts"?(?=\s*\()', "CREATE TABLE alerts_by_key_hash", remade)
    remade = remade.rstrip().removesuffix(")") + ", key_hash INTEGER NOT NULL)"
    indexes = [
        r[0]
        for r in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alerts' AND sql IS NOT NULL"
        )
    ]
    columns = ", ".join(r[1] for r in conn.execute("PRAGMA table_info(alerts)"))
    conn.create_function("triage_key_hash", 1, key_hash, deterministic=True)
    conn.execute(remade)
    conn.execute(
        f"INSERT INTO alerts_by_key_hash ({columns}, key_hash)"  # noqa: S608 - the table's own columns
        f" SELECT {columns}, triage_key_hash(dedup_key) FROM alerts ORDER BY id"
    )
    conn.execute("DROP TABLE alerts")
    conn.execute("ALTER TABLE alerts_by_key_hash RENAME TO alerts")
    for sql in indexes:
        conn.execute(sql)
    conn.execute("CREATE INDEX alerts_key_hash ON alerts(key_hash)")
