"""The evidence pack's alert sections: every alert received in the month replayed as of month
end with the domain fold (``alerts.csv``), the targets that fell due (``breaches.csv``, also of
alerts carried over from earlier months) and the backlog at month end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from triage.clock import format_ts, parse_time
from triage.domain import events as ev
from triage.domain.state import AlertState
from triage.domain.states import Disposition
from triage.evidence import metrics, pack
from triage.evidence.replay import (
    alert_as_of,
    at,
    fmt,
    month_alerts,
)
from triage.evidence.writer_base import SectionWriter, _seconds


class AlertSections(SectionWriter):
    def _breach(
        self, a: AlertState, target: str, due: datetime | None, done: datetime | None, carried: bool
    ) -> None:
        if due is None or not (self.start <= due < self.end):
            return
        if done is not None and done <= due:
            return
        late = (done or self.end) - due
        self.scratch.execute(
            "INSERT OR REPLACE INTO breaches VALUES (?, ?, ?, ?, ?, ?, ?)",
            (a.id, a.severity, target, format_ts(due), fmt(done), late.total_seconds(), int(carried)),
        )

    def write_alerts(self, end_seq: int) -> int:
        n = 0
        every = max(1, self.req.progress_every // 10)
        sc = self.scratch
        sc.execute("BEGIN")
        with self.open_text(pack.ALERTS_CSV) as fh:
            w = pack.csv_writer(fh)
            w.writerow(pack.ALERT_COLUMNS)
            for a in month_alerts(sc):
                if a.exercise:
                    continue
                fired, ingested = parse_time(a.fired_at), parse_time(a.ingested_at)
                responded, closed = at(a.responded_at), at(a.resolved_at)
                ack_due, close_due = at(a.ack_due), at(a.close_due)
                ack_state = a.ack_target(self.end) or ""
                close_state = a.close_target(self.end) or ""
                ack_s = _seconds(responded, ingested)
                close_s = _seconds(closed, ingested)
                w.writerow(
                    pack.cells(
                        [
                            a.id, a.source, a.index_name, a.doc_id, a.rule_name, a.rule_id, a.title,
                            a.severity, a.original_severity, fmt(fired),
                            self.period.contains(fired), fmt(ingested), a.ingest_seq,
                            fmt(a.acknowledged_at), a.acknowledged_by, " > ".join(a.assignees),
                            a.status, fmt(closed), a.closed_by, a.disposition, a.close_reason,
                            a.close_override, a.reopened, a.playbook_id, a.required_done,
                            len(a.required_steps), fmt(ack_due), str(ack_state), fmt(close_due),
                            str(close_state), ack_s, close_s, a.incident_id, a.duplicate_of,
                        ]
                    )
                )  # fmt: skip
                # closed by a suppression rule at once: no analyst's response to time
                timed = not (a.status == "closed" and a.disposition == Disposition.SUPPRESSED)
                sc.execute(
                    "INSERT INTO month_alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        a.id,
                        a.severity,
                        a.rule,
                        self.period.local_day(ingested),
                        ack_s if timed else None,
                        close_s if timed else None,
                        a.disposition if a.status == "closed" else None,
                        a.status,
                    ),
                )
                self._breach(a, "acknowledge", ack_due, responded, carried=False)
                self._breach(a, "close", close_due, closed, carried=False)
                n += 1
                if n % every == 0:
                    self.say(f"alerts: {n:,} written")
        sc.execute("COMMIT")
        return n

    def _open_at(self, seq: int) -> Iterator[int]:
        """Ids of alerts in the log at ``seq`` and not closed at that point (by their events)."""
        rows = self.conn.execute(
            """SELECT a.id FROM alerts a WHERE a.ingest_seq <= :seq AND coalesce((
                   SELECT e.action FROM timeline t JOIN events e ON e.seq = t.seq
                   WHERE t.ref = 'alert:' || a.id AND t.seq <= :seq
                   AND e.action IN (:closed, :reopened) ORDER BY t.seq DESC LIMIT 1
               ), '') != :closed ORDER BY a.id""",
            {"seq": seq, "closed": ev.ALERT_CLOSED, "reopened": ev.ALERT_REOPENED},
        )
        for (alert_id,) in rows:
            yield alert_id

    def carried_over(self, before: int, end_seq: int) -> int:
        """Alerts still open when the month began: their targets that fell due this month."""
        n = 0
        self.scratch.execute("BEGIN")
        for alert_id in self._open_at(before):
            a = alert_as_of(self.conn, alert_id, end_seq)
            if a is None or a.exercise:
                continue
            self._breach(a, "acknowledge", at(a.ack_due), at(a.responded_at), carried=True)
            self._breach(a, "close", at(a.close_due), at(a.resolved_at), carried=True)
            n += 1
        self.scratch.execute("COMMIT")
        return n

    def write_backlog(self, before: int, end_seq: int) -> dict[str, Any]:
        by_sev = dict.fromkeys(metrics.SEVERITIES, 0)
        by_status: dict[str, int] = {"new": 0, "acknowledged": 0}
        total = oldest = 0
        with self.open_text(pack.BACKLOG_CSV) as fh:
            w = pack.csv_writer(fh)
            w.writerow(pack.BACKLOG_COLUMNS)
            for alert_id in self._open_at(end_seq):
                a = alert_as_of(self.conn, alert_id, end_seq)
                if a is None or a.exercise:
                    continue
                age = int((self.end - parse_time(a.ingested_at)).total_seconds())
                w.writerow(
                    pack.cells(
                        [
                            a.id, a.severity, a.status, a.assignee, a.rule, a.title, fmt(a.ingested_at), age,
                            fmt(a.ack_due), fmt(a.close_due), a.ingest_seq > before,
                        ]
                    )
                )  # fmt: skip
                total += 1
                by_sev[a.severity] = by_sev.get(a.severity, 0) + 1
                by_status[a.status] = by_status.get(a.status, 0) + 1
                oldest = max(oldest, age)
        return {"total": total, "by_severity": by_sev, "by_status": by_status, "oldest_age_s": oldest}

    def write_breaches(self) -> None:
        with self.open_text(pack.BREACHES_CSV) as fh:
            w = pack.csv_writer(fh)
            w.writerow(pack.BREACH_COLUMNS)
            for b in metrics.iter_breaches(self.scratch):
                w.writerow(pack.cells([b[c] for c in pack.BREACH_COLUMNS]))
