"""A workspace schema on PostgreSQL: created and migrated by the same migration functions as an
SQLite file (``triage.store.schema``), their DDL rewritten by ``sql.ddl``; plus what only
PostgreSQL has: TRUNCATE refused on the log, the actor held to the connected role, and the
privileges a team's roles need (printed by ``grants``, checked by ``privilege_problems``)."""

from __future__ import annotations

from typing import Any

from psycopg import sql as pgsql

from triage.clock import now_ts
from triage.store.backend.postgres import PgConn
from triage.store.backend.sql import REFUSE_FUNCTION, ddl

MIGRATIONS_TABLE = "triage_migrations"
LOG_TABLES = ("events", "checkpoints")
# Written by every command (the projections, in the command's own transaction) and the poller.
WRITTEN_TABLES = (
    "alerts",
    "incidents",
    "quarantine",
    "timeline",
    "source_cursors",
    "alert_content",
    "poll_status",
    "notifications",
    "notify_cursors",
    "suppressions",
    "alert_hashes",
)

_PG_ONLY = r"""
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT
    EXECUTE FUNCTION triage_refuse('the investigation log is append-only: TRUNCATE refused');
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints FOR EACH STATEMENT
    EXECUTE FUNCTION triage_refuse('checkpoints are append-only: TRUNCATE refused');

-- Who acted is the role that connected: only the workspace's owner (who migrates and copies
-- logs between workspaces) may record another name. The actor is read from the body's start
-- (its keys are sorted: action, then actor), not by parsing the body, which may hold escapes
-- (a lone surrogate of a source document) that PostgreSQL's JSON parser refuses.
CREATE OR REPLACE FUNCTION triage_check_actor() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE owner name; actor text;
BEGIN
    SELECT tableowner INTO owner FROM pg_tables
        WHERE schemaname = TG_TABLE_SCHEMA AND tablename = TG_TABLE_NAME;
    IF pg_has_role(session_user, owner, 'MEMBER') THEN
        RETURN NEW;
    END IF;
    actor := substring(NEW.body from '^\{"action":"[^"\\]*","actor":("(?:[^"\\]|\\.)*")');
    IF actor IS NULL OR (actor::json #>> '{}') IS DISTINCT FROM session_user::text THEN
        RAISE EXCEPTION 'the actor of an event must be the connected role (%)', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER events_actor BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION triage_check_actor();

-- The body as JSON, or NULL where it is not: the verifier's column check.
CREATE OR REPLACE FUNCTION triage_json(t text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN RETURN t::jsonb; EXCEPTION WHEN others THEN RETURN NULL; END $$;
"""


class PgDatabase:
    """What the migration functions use of a ``sqlite_utils.Database``, on PostgreSQL."""

    def __init__(self, conn: PgConn) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Any = ()) -> Any:
        return self.conn.execute(sql, params)

    def executescript(self, script: str) -> None:
        self.conn.raw.execute(ddl(script).encode())

    def __getitem__(self, table: str) -> _Table:
        return _Table(self.conn, table)


class _Table:
    def __init__(self, conn: PgConn, name: str) -> None:
        self.conn, self.name = conn, name

    @property
    def columns_dict(self) -> dict[str, str]:
        rows = self.conn.raw.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s",
            (self.name,),
        ).fetchall()
        return {r[0]: r[1] for r in rows}


def exists(conn: PgConn) -> bool:
    row = conn.raw.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()
    return bool(row and row[0])


def refuse_without_usage(conn: PgConn, schema: str) -> None:
    """A schema this role may not look into hides its tables: say so, not "no workspace"."""
    row = conn.raw.execute(
        "SELECT has_schema_privilege(session_user, n.oid, 'USAGE') FROM pg_namespace n WHERE nspname = %s",
        (schema,),
    ).fetchone()
    if row is not None and not row[0]:
        from triage.errors import WorkspaceError

        raise WorkspaceError(
            f"permission denied for schema {schema}: this role has no grants on the workspace"
            " (its owner runs what `triage grants` prints)"
        )


def pending(conn: PgConn) -> list[Any]:
    from triage.store.schema import MIGRATION_ORDER

    if conn.raw.execute("SELECT to_regclass(%s)", (MIGRATIONS_TABLE,)).fetchone()[0] is None:  # type: ignore[index]
        return list(MIGRATION_ORDER)
    done = {r[0] for r in conn.raw.execute(f"SELECT name FROM {MIGRATIONS_TABLE}").fetchall()}  # noqa: S608
    return [m for m in MIGRATION_ORDER if m.__name__ not in done]


def create(conn: PgConn, schema: str) -> None:
    """The schema, its log tables and projections at the latest migration (inside the caller's
    write transaction)."""
    conn.raw.execute(pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(pgsql.Identifier(schema)))
    conn.raw.execute(REFUSE_FUNCTION.encode())
    conn.raw.execute(
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE}"
        " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)".encode()
    )
    apply_pending(conn, first=True)


def apply_pending(conn: PgConn, *, first: bool = False) -> None:
    db = PgDatabase(conn)
    for fn in pending(conn):
        fn(db)
        conn.raw.execute(f"INSERT INTO {MIGRATIONS_TABLE} VALUES (%s, %s)", (fn.__name__, now_ts()))  # noqa: S608
        if first and fn.__name__ == "m001_initial":
            conn.raw.execute(_PG_ONLY.encode())


def grants(schema: str, group: str = "triage_analysts") -> str:
    """The SQL an administrator runs once so that analysts, pollers and evidence jobs can work
    in this workspace and do nothing else: read everything, append to the log, keep the
    projections; never change or remove an event or a checkpoint."""
    s = pgsql.Identifier(schema).as_string()
    written = ", ".join(f"{s}.{t}" for t in WRITTEN_TABLES)
    return "\n".join(
        [
            f"CREATE ROLE {group} NOLOGIN;",
            f"GRANT USAGE ON SCHEMA {s} TO {group};",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {group};",
            f"GRANT INSERT ON {s}.events, {s}.checkpoints TO {group};",
            f"GRANT INSERT, UPDATE, DELETE ON {written} TO {group};",
            f"-- one login role per analyst (and one for the poller), each a member of {group}:",
            f"CREATE ROLE alice LOGIN PASSWORD '...' IN ROLE {group};",
        ]
    )


def is_owner(conn: PgConn) -> bool:
    """Whether the connected role owns the workspace (or is a superuser): the one role the
    log's privileges and the actor check do not bind."""
    row = conn.raw.execute(
        "SELECT pg_has_role(session_user, tableowner, 'MEMBER') FROM pg_tables"
        " WHERE schemaname = current_schema() AND tablename = 'events'"
    ).fetchone()
    return bool(row and row[0])


def privilege_problems(conn: PgConn) -> list[str]:
    """What is wrong with the connected role's rights on this workspace (empty: all is well)."""
    problems: list[str] = []
    raw = conn.raw

    def has(table: str, priv: str) -> bool:
        row = raw.execute(
            "SELECT has_table_privilege(session_user,"
            " format('%%I.%%I', current_schema(), %s::text), %s::text)",
            (table, priv),
        ).fetchone()
        return bool(row and row[0])

    if is_owner(conn):
        problems.append(
            "warning: you connect as the workspace's owner (or a superuser): the log's privileges and the"
            " actor check do not bind you; analysts should connect with their own roles"
        )
        return problems
    for table in LOG_TABLES:
        if not has(table, "SELECT") or not has(table, "INSERT"):
            problems.append(f"{table}: this role may not read it or append to it (GRANT SELECT, INSERT)")
        for priv in ("UPDATE", "DELETE", "TRUNCATE"):
            if has(table, priv):
                problems.append(f"{table}: this role may {priv} it; REVOKE {priv} (the log is append-only)")
    for table in WRITTEN_TABLES:
        if not all(has(table, p) for p in ("SELECT", "INSERT", "UPDATE")):
            problems.append(f"{table}: this role may not keep it (GRANT SELECT, INSERT, UPDATE, DELETE)")
    return problems


def trigger_problems(conn: PgConn) -> list[str]:
    rows = conn.raw.execute(
        "SELECT t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
        " AND NOT t.tgisinternal"
    ).fetchall()
    found = {r[0]: r[1] for r in rows}
    wanted = (
        "events_no_update",
        "events_no_delete",
        "events_no_truncate",
        "events_actor",
        "checkpoints_no_update",
        "checkpoints_no_delete",
        "checkpoints_no_truncate",
    )
    out = []
    for name in wanted:
        if name not in found:
            out.append(f"trigger {name} is missing")
        elif found[name] == "D":
            out.append(f"trigger {name} is disabled")
    return out
