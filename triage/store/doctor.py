"""``triage doctor``: is this workspace set up as it should be, for the role that connects?"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from triage.store.backend import pg_schema
from triage.store.backend.postgres import PgConn
from triage.store.schema import migrations
from triage.store.workspace import Workspace

SQLITE_TRIGGERS = ("events_no_update", "events_no_delete", "checkpoints_no_update", "checkpoints_no_delete")


@dataclass
class Checkup:
    ok: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems


def check(ws: Workspace) -> Checkup:
    c = Checkup()
    seq, _ = ws.head()
    c.ok.append(f"workspace {ws.id} ({ws.kind}) at {ws.display}: {seq:,} events")
    if isinstance(ws.conn, PgConn):
        _postgres(ws, ws.conn, c)
    else:
        _sqlite(ws, c)
    return c


def _postgres(ws: Workspace, conn: PgConn, c: Checkup) -> None:
    raw = conn.raw
    version = raw.execute("SHOW server_version").fetchone()
    c.ok.append(
        f"PostgreSQL {version[0] if version else '?'}, schema {ws.schema}, connected as {ws.session_user()}"
    )
    pending = pg_schema.pending(conn)
    if pending:
        c.problems.append(
            f"{len(pending)} migrations pending (the workspace's owner applies them by opening it)"
        )
    ssl = raw.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
    if ssl and ssl[0]:
        c.ok.append("the connection is encrypted (TLS)")
    elif (raw.info.host or "").startswith(("/", "127.", "localhost", "::1")):
        c.ok.append("the connection is local (no TLS needed)")
    else:
        c.warnings.append(
            "the connection is not encrypted: set sslmode=verify-full and sslrootcert in the URL"
        )
    c.problems.extend(pg_schema.trigger_problems(conn))
    for line in pg_schema.privilege_problems(conn):
        (c.warnings if line.startswith("warning:") else c.problems).append(line.removeprefix("warning: "))
    if not c.problems:
        c.ok.append(
            "privileges: read everything, append to the log, keep the projections; nothing more on the log"
        )


def _sqlite(ws: Workspace, c: Checkup) -> None:
    assert ws.path is not None
    mode = ws.conn.execute("PRAGMA journal_mode").fetchone()[0]
    (c.ok if mode == "wal" else c.problems).append(f"journal mode {mode}")
    rows = ws.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    missing = sorted(set(SQLITE_TRIGGERS) - {r[0] for r in rows})
    c.problems.extend(f"trigger {name} is missing" for name in missing)
    from sqlite_utils import Database

    if migrations.pending(Database(ws.conn)):  # type: ignore[arg-type]
        c.problems.append("migrations pending")
    try:
        perms = stat.S_IMODE(os.stat(ws.path).st_mode)
    except OSError as exc:
        c.problems.append(f"{ws.path}: {exc.strerror}")
        return
    if perms & 0o007:
        c.warnings.append(f"{ws.path} can be read by every user of this host (mode {perms:o}); chmod o-rwx")
    else:
        c.ok.append(f"file mode {perms:o}")
