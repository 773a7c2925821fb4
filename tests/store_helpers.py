"""Looking at a workspace's tables as the database holds them, and taking one back to before
a migration to see the migration bring it where a new workspace is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from triage.store.backend import Conn
from triage.store.workspace import Workspace


def alert_indexes(ws: Workspace) -> dict[str, str]:
    """Each index on the alert row and its definition, as the database holds it."""
    if ws.postgres:
        rows = ws.conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = ? AND tablename = 'alerts'",
            (ws.schema,),
        )
    else:
        rows = ws.conn.execute(
            "SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alerts'"
        )
    return {r[0]: r[1] for r in rows}


def columns(ws: Workspace, table: str) -> list[str]:
    return [d[0] for d in ws.conn.execute(f"SELECT * FROM {table} LIMIT 0").description]


def migrated_again(
    ws: Workspace, migration: str, undo: Callable[[Conn], None], looked_at: Callable[[Workspace], Any]
) -> Workspace:
    """``ws`` taken back to before ``migration`` (``undo`` puts its tables back as they were,
    and the migration's record goes), then opened again, which applies it: what ``looked_at``
    sees differs in between and is the same after as before. Closes ``ws``; the caller closes
    the workspace returned."""
    fresh = looked_at(ws)
    with ws.write_telemetry() as conn:
        undo(conn)
        conn.execute(f"DELETE FROM {ws.migrations_table} WHERE name = ?", (migration,))
    assert looked_at(ws) != fresh, "the undo changed nothing"
    location = ws.location
    ws.close()
    again = Workspace.open(location)
    assert looked_at(again) == fresh
    return again
