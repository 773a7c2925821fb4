"""Shift work the log records: a handover report handed to the next shift (its SHA-256)."""

from __future__ import annotations

import re

from triage.clock import format_ts, parse_time
from triage.commands.base import CommandBase
from triage.domain import events as ev
from triage.errors import CommandRejected
from triage.store.workspace import Event

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
HANDOVER_FORMATS = ("markdown", "json")


class ShiftCommands(CommandBase):
    """Handovers."""

    def record_handover(self, since: str, until: str, fmt: str, sha256: str, counts: dict[str, int]) -> Event:
        """Record that the handover report of ``[since, until)`` was written: its format, the
        SHA-256 of its bytes and its counts (the report stays outside the log)."""
        try:
            start, end = parse_time(since), parse_time(until)
        except ValueError as exc:
            raise CommandRejected(f"handover window: {exc}") from None
        if end <= start:
            raise CommandRejected("a handover's window must end after it starts")
        if fmt not in HANDOVER_FORMATS:
            raise CommandRejected(f"handover format {fmt!r}: use {' or '.join(HANDOVER_FORMATS)}")
        digest = (sha256 or "").strip().lower()
        if not _SHA256_RE.match(digest):
            raise CommandRejected("the handover's SHA-256 must be 64 hex digits")
        with self.ws.write() as w:
            n = self.ws.conn.execute(
                "SELECT count(*) FROM timeline WHERE ref >= 'handover:' AND ref < 'handover;'"
            ).fetchone()[0]
            return w.append(
                self.actor,
                ev.SHIFT_HANDOVER,
                f"handover:{n + 1}",
                {
                    "since": format_ts(start),
                    "until": format_ts(end),
                    "format": fmt,
                    "sha256": digest,
                    "counts": {str(k): int(v) for k, v in counts.items()},
                },
            )
