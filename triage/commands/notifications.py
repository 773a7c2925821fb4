"""The notifier's record: each notification sent (or given up on) is an event, written in
the same transaction as the notify target's cursor over the log, so a crash or a restart
neither loses nor repeats one."""

from __future__ import annotations

from typing import Any

from triage.clock import now_ts
from triage.commands.base import CommandBase
from triage.domain import events as ev
from triage.errors import CommandRejected
from triage.store.workspace import Event, Writer


class NotificationCommands(CommandBase):
    """Notifications and the notify targets' cursors."""

    def notify_cursor(self, target: str) -> int | None:
        row = self.ws.conn.execute("SELECT seq FROM notify_cursors WHERE target = ?", (target,)).fetchone()
        return int(row[0]) if row else None

    def notifying_since(self, target: str) -> str | None:
        """When ``target`` began notifying (its cursor was made)."""
        sql = "SELECT started_at FROM notify_cursors WHERE target = ?"
        row = self.ws.conn.execute(sql, (target,)).fetchone()
        return str(row[0]) if row else None

    def notified(self, target: str, key: str) -> bool:
        """Whether this notification of this target was recorded (sent or failed) already."""
        sql = "SELECT 1 FROM notifications WHERE target = ? AND key = ?"
        return self.ws.conn.execute(sql, (target, key)).fetchone() is not None

    def _move_cursor(self, w: Writer, target: str, seq: int) -> None:
        w.conn.execute(
            "INSERT INTO notify_cursors (target, seq, started_at, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (target) DO UPDATE SET seq = CASE WHEN excluded.seq > notify_cursors.seq"
            " THEN excluded.seq ELSE notify_cursors.seq END,"
            " updated_at = excluded.updated_at",
            (target, seq, now_ts(), now_ts()),
        )

    def advance_notify_cursor(self, target: str, seq: int) -> None:
        """Events up to ``seq`` were read and needed no notification of this target."""
        with self.ws.write() as w:
            self._move_cursor(w, target, seq)

    def record_notification(self, target: str, payload: dict[str, Any], *, cursor: int | None) -> Event:
        """Record one notification of ``target`` (``notification.sent``) and, in the same
        transaction, move the target's cursor to ``cursor`` (the event it came from)."""
        with self.ws.write() as w:
            if self.notified(target, str(payload.get("key"))):
                raise CommandRejected(f"notification {payload.get('key')} of {target} is already recorded")
            event = w.append(self.actor, ev.NOTIFICATION_SENT, f"notification:{target}", payload)
            if cursor is not None:
                self._move_cursor(w, target, cursor)
            return event
