"""The notifier: reads the log from each notify target's cursor and the alerts' running
targets at the injected clock's time, sends each notification once and records it.

Once: a notification is recorded (``notification.sent``, sent or failed) under its key, and a
key already recorded is never sent again; the target's cursor moves past an event in the same
transaction as the last of that event's notifications, and only after it was delivered (a 2xx,
an SMTP accept) or given up on (``max_attempts`` tries with doubling backoff, or an answer that
retrying cannot change). A crash before the record loses nothing: the event is read again and
the notification sent then. What remains is the moment between the receiver's 2xx and the
commit; each attempt at one notification carries the same ``Idempotency-Key`` header (and an
email the same Message-ID) so a receiver can recognise that one repeat.

One notifier per workspace: a second one is refused (an exclusive lock beside the workspace).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from triage.app.notify.channels import Attempt, Channel, channel_for
from triage.app.notify.rules import Notice, from_event, from_targets, horizon
from triage.clock import Clock, RealClock, utc_now
from triage.commands import Commands
from triage.config import NotifyTarget
from triage.errors import TriageError
from triage.store.backend import DatabaseError
from triage.store.tables import DUE_AT

BACKOFF_CAP_S = 60.0
PAGE = 500

Report = Callable[[str], None]
# Open alerts whose running target falls due by a time (``DUE_AT``: the fold's rule in SQL).
_DUE_SQL = (
    "SELECT id, severity, status, assignee, title, rule_name, host, ack_due, close_due, first_closed_at"  # noqa: S608
    f" FROM alerts WHERE status != 'closed' AND {DUE_AT} <= ? ORDER BY {DUE_AT}, id"
)


_PASS_FAILURES: tuple[type[Exception], ...] = (TriageError, *DatabaseError)


class NotifierBusy(TriageError):
    exit_code = 3


@dataclass
class NotifyResult:
    sent: int = 0
    failed: int = 0
    events_read: int = 0
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.sent} sent, {self.failed} failed, {self.events_read} events read"


class Notifier:
    """Notifications of the configured targets into the workspace of ``commands``."""

    def __init__(
        self,
        targets: list[NotifyTarget],
        commands: Commands,
        *,
        clock: Clock | None = None,
        now: Callable[[], datetime] = utc_now,
        report: Report | None = None,
        stop: threading.Event | None = None,
        start_seq: int | None = None,
        channels: dict[str, Channel] | None = None,
    ) -> None:
        self.targets = targets
        self.commands = commands
        self.ws = commands.ws
        self.clock = clock or RealClock()
        self.now = now
        self.report = report or (lambda _msg: None)
        self.stop = stop or threading.Event()
        self.start_seq = start_seq
        self.channels = channels if channels is not None else {t.name: channel_for(t) for t in targets}
        self._lock: IO[str] | None = None
        self._unaddressed: set[tuple[str, str | None]] = set()

    # -- one notifier per workspace ----------------------------------------------------

    def lock(self) -> None:
        if self.ws.path is None:  # PostgreSQL: a lock of the server's, held by this connection
            if not self.ws.try_session_lock("notify"):
                raise NotifierBusy(f"another notifier is running on {self.ws.display}")
            return
        path = Path(str(self.ws.path) + ".notify.lock")
        fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - held until unlock
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise NotifierBusy(f"another notifier is running on {self.ws.path} (lock {path})") from None
        fh.truncate(0)
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._lock = fh

    def unlock(self) -> None:
        if self.ws.path is None:
            self.ws.release_session_lock("notify")
            return
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    # -- sending -----------------------------------------------------------------------

    def deliver(self, target: NotifyTarget, notice: Notice) -> tuple[Attempt, int] | None:
        """Try until delivered, refused for good, or out of attempts; None when stopped
        between attempts (nothing decided: it is tried again next time)."""
        channel = self.channels[target.name]
        attempt = Attempt(False, False, "not tried")
        for n in range(1, target.max_attempts + 1):
            attempt = channel.send(notice)
            if attempt.ok or not attempt.retry:
                return attempt, n
            if n < target.max_attempts:
                wait = min(BACKOFF_CAP_S, target.backoff * 2 ** (n - 1))
                self.report(f"{target.name}: {notice.key}: {attempt.detail}; retrying in {wait:.1f}s")
                self.clock.sleep(wait, self.stop)
                if self.stop.is_set():
                    return None
        return attempt, target.max_attempts

    def _handle(self, target: NotifyTarget, notice: Notice, result: NotifyResult, cursor: int | None) -> bool:
        """Send one notification unless recorded already, and record it; False when stopped."""
        if self.commands.notified(target.name, notice.key):
            return True
        channel = self.channels[target.name]
        recipient = channel.recipient(notice) if target.kind == "email" else None
        if target.kind == "email" and recipient is None:
            # nobody at this target to tell: an analyst without an address (said once), or no ``to``
            who = notice.recipient_analyst if notice.kind == "assigned" else "to"
            if (target.name, who) not in self._unaddressed:
                self._unaddressed.add((target.name, who))
                what = f"analyst {who} has no address in analysts" if notice.kind == "assigned" else "no to"
                self.report(f"{target.name}: {what}; {notice.kind} notifications for them are not sent")
            return True
        done = self.deliver(target, notice)
        if done is None:
            return False
        attempt, attempts = done
        payload: dict[str, Any] = {
            "kind": notice.kind,
            "key": notice.key,
            "alert": notice.alert,
            "outcome": "sent" if attempt.ok else "failed",
            "channel": target.kind,
            "attempts": attempts,
            "detail": attempt.detail,
            "recipient": attempt.recipient or recipient,
            "incident": notice.incident,
            "seq": notice.seq,
            "due": notice.due,
        }
        self.commands.record_notification(target.name, payload, cursor=cursor)
        if attempt.ok:
            result.sent += 1
        else:
            result.failed += 1
            self.report(f"{target.name}: {notice.key} failed after {attempts} attempts: {attempt.detail}")
        result.lines.append(f"{target.name}: {notice.kind} alert {notice.alert}: {payload['outcome']}")
        return True

    # -- reading -----------------------------------------------------------------------

    def _row(self, alert_id: int) -> dict[str, Any] | None:
        cur = self.ws.conn.execute(
            "SELECT id, severity, status, assignee, title, rule_name, host, disposition, ack_due, close_due,"
            " acknowledged_at, first_closed_at FROM alerts WHERE id = ?",
            (alert_id,),
        )
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None

    def _cursor(self, target: NotifyTarget) -> int:
        seq = self.commands.notify_cursor(target.name)
        if seq is None:
            seq = self.start_seq if self.start_seq is not None else self.ws.head()[0]
            self.commands.advance_notify_cursor(target.name, seq)
            self.report(f"{target.name}: notifying of events after {seq}")
        return seq

    def _from_log(self, target: NotifyTarget, result: NotifyResult) -> bool:
        cursor = self._cursor(target)
        while not self.stop.is_set():
            page = list(self.ws.events(after_seq=cursor, limit=PAGE))
            if not page:
                return True
            for e in page:
                result.events_read += 1
                alert = int(e.target[6:]) if e.target.startswith("alert:") else None
                notices = from_event(target, e, self._row(alert) if alert is not None else None)
                for notice in notices:
                    # everything before this event is done; this event is done once all are recorded
                    if not self._handle(target, notice, result, cursor=e.seq - 1):
                        return False
                cursor = e.seq
            self.commands.advance_notify_cursor(target.name, cursor)
        return False

    def _from_targets(self, target: NotifyTarget, result: NotifyResult) -> bool:
        if not {"breach", "due_soon"} & set(target.events) or self.ws.kind != "production":
            return True
        now = self.now()
        cur = self.ws.conn.execute(_DUE_SQL, (horizon(target, now),))
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        for notice in from_targets(target, rows, now, self.commands.notifying_since(target.name)):
            if not self._handle(target, notice, result, cursor=None):
                return False
        return True

    def run_once(self) -> NotifyResult:
        """One pass over every target: the log since its cursor, then the running targets."""
        result = NotifyResult()
        for target in self.targets:
            if not self._from_log(target, result) or not self._from_targets(target, result):
                break
        return result

    def run(self, interval: float, *, passes: int | None = None) -> None:
        done = 0
        while not self.stop.is_set() and (passes is None or done < passes):
            try:
                result = self.run_once()
            except _PASS_FAILURES as exc:  # the workspace busy or unreadable: next pass
                self.report(f"notify: pass failed: {exc}; trying again in {interval:.0f}s")
                result = NotifyResult()
            done += 1
            if result.sent or result.failed:
                self.report(f"notify: {result.summary()}")
            if passes is not None and done >= passes:
                break
            self.clock.sleep(interval, self.stop)
