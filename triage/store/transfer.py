"""Moving a workspace between backends: the log, its checkpoints and its identity copied as they
are, then the projections rebuilt from the copied log on the other side. The copy is the same
workspace: the same id, the same events byte for byte, so the same head and the same signed
checkpoints (they verify against the same anchor files)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from triage.errors import WorkspaceError
from triage.store.backend import is_postgres, redact
from triage.store.workspace import Workspace

BATCH = 2000


@dataclass
class Transferred:
    events: int
    checkpoints: int
    head: tuple[int, str]
    target: str


def copy_workspace(
    source: Workspace, target_location: str | Path, *, progress: Callable[[str], None] | None = None
) -> Transferred:
    """Copy ``source`` into a new, empty workspace at ``target_location`` (a file that does not
    exist yet, or a PostgreSQL schema with no workspace in it) and rebuild its projections."""
    if str(target_location) == source.location or (
        not is_postgres(target_location)
        and source.path is not None
        and Path(target_location).resolve() == source.path.resolve()
    ):
        raise WorkspaceError("the target is the workspace itself")
    say = progress or (lambda _m: None)
    try:
        target = Workspace.create(target_location, kind=source.kind, exercise=source.exercise)
    except WorkspaceError:
        target = Workspace.open(target_location)  # an empty one (checked below) may be filled
    try:
        with target.write_telemetry() as tconn:  # one transaction: all of it lands, or nothing
            if tconn.execute("SELECT count(*) FROM events").fetchone()[0]:
                raise WorkspaceError(f"{redact(target_location)} holds a workspace with events already")
            tconn.execute("DELETE FROM meta")
            for key, value in sorted(source.meta.items()):
                tconn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
            n = 0
            with source.snapshot():
                batch: list[tuple[object, ...]] = []
                for row in source.stream(
                    "SELECT seq, ts, action, target, body, prev_hash, hash FROM events ORDER BY seq"
                ):
                    batch.append(tuple(row))
                    if len(batch) >= BATCH:
                        _insert_events(tconn, batch)
                        n += len(batch)
                        batch = []
                        say(f"copied {n:,} events")
                if batch:
                    _insert_events(tconn, batch)
                    n += len(batch)
                checkpoints = source.conn.execute(
                    "SELECT n, seq, record FROM checkpoints ORDER BY n"
                ).fetchall()
                for cp in checkpoints:
                    tconn.execute("INSERT INTO checkpoints (n, seq, record) VALUES (?, ?, ?)", tuple(cp))
            say(f"copied {n:,} events and {len(checkpoints)} checkpoints; rebuilding the projections")
            target.replay_projections()
        target.close()
        target = Workspace.open(target_location)
        head = target.head()
        if head != source.head():
            raise WorkspaceError("the copy's head differs from the source's; nothing is usable")
        return Transferred(n, len(checkpoints), head, target.display)
    finally:
        target.close()


def _insert_events(conn: object, rows: list[tuple[object, ...]]) -> None:
    conn.executemany(  # type: ignore[attr-defined]
        "INSERT INTO events (seq, ts, action, target, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
