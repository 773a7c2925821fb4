"""Projection tables added after the first schema (notifications, suppression rules and the
alerts' hashes) and later changes to the indexes of the alert row. Their migrations are in
``triage.store.schema`` (which ``recreate_projections`` applies in order)."""

from __future__ import annotations

from sqlite_utils import Database


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
