"""What the production log records besides alert work: management's sign-off of a month's
evidence and the record that a tabletop exercise was held."""

from __future__ import annotations

import math
import re

from triage.clock import format_ts, parse_time, utc_now
from triage.commands.base import CommandBase, _text
from triage.domain import events as ev
from triage.errors import CommandRejected
from triage.store.workspace import Event

_EXERCISE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class SignoffCommands(CommandBase):
    """Sign-offs and exercise records."""

    def sign_evidence(self, month: str, statement: str, *, timezone: str = "UTC") -> Event:
        """Management's sign-off of a month's evidence, recorded in the log itself."""
        from triage.evidence.period import month_period

        period = month_period(month, timezone)
        statement = _text(statement, "a sign-off statement")
        if period.end > utc_now():
            raise CommandRejected(
                f"month {period.month} is not over yet (it ends {period.end_ts}); sign it off afterwards"
            )
        with self.ws.write() as w:
            return w.append(
                self.actor,
                ev.EVIDENCE_SIGNED,
                f"evidence:{period.month}",
                {"month": period.month, "timezone": period.timezone, "statement": statement},
            )

    def record_exercise(
        self,
        exercise_id: str,
        title: str,
        started_at: str,
        ended_at: str,
        minutes_sha256: str,
        score: float | None = None,
    ) -> Event:
        """Record, in this (production) log, that a tabletop exercise was held.

        The exercise itself runs in its own workspace; only this summary and the SHA-256
        of its minutes come here, so its alerts never mix into production figures."""
        exercise_id = _text(exercise_id, "exercise id", limit=64)
        if not _EXERCISE_ID_RE.match(exercise_id):
            raise CommandRejected(
                f"exercise id {exercise_id!r}: use letters, digits, '.', '-' or '_' (e.g. tt-2026-10)"
            )
        title = _text(title, "exercise title", limit=512)
        try:
            start, end = parse_time(started_at), parse_time(ended_at)
        except ValueError as exc:
            raise CommandRejected(f"exercise times: {exc}") from None
        if end < start:
            raise CommandRejected("an exercise cannot end before it starts")
        digest = (minutes_sha256 or "").strip().lower()
        if not _SHA256_RE.match(digest):
            raise CommandRejected("minutes_sha256 must be the SHA-256 of the minutes file (64 hex digits)")
        if score is not None and (
            isinstance(score, bool) or not math.isfinite(score) or not 0 <= score <= 100
        ):
            raise CommandRejected(f"exercise score {score!r}: give a number from 0 to 100, or none")
        target = f"exercise:{exercise_id}"
        with self.ws.write() as w:
            if self.ws.conn.execute("SELECT 1 FROM timeline WHERE ref = ? LIMIT 1", (target,)).fetchone():
                raise CommandRejected(f"exercise {exercise_id} is already recorded")
            return w.append(
                self.actor,
                ev.EXERCISE_RECORDED,
                target,
                {
                    "exercise_id": exercise_id,
                    "title": title,
                    "started_at": format_ts(start),
                    "ended_at": format_ts(end),
                    "minutes_sha256": digest,
                    "score": score,
                },
            )
