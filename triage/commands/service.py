"""The command layer's front: every state change, for one actor over one workspace."""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Iterable
from typing import Any

from triage.clock import format_ts, parse_time, utc_now
from triage.commands.ingest import Ingest, IngestResult
from triage.domain.alert import Alert, Severity
from triage.domain.states import AlertStatus, Disposition
from triage.errors import CommandRejected, Conflict, NotFound
from triage.playbooks.loader import PlaybookSet
from triage.sources.base import RawRecord
from triage.store.workspace import KIND_EXERCISE, Event, Workspace, Writer

_EXERCISE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_TEXT = 64 * 1024
MAX_NAME = 128


def _text(value: str | None, what: str, *, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if not value:
        raise CommandRejected(f"{what} is required")
    if len(value) > limit:
        raise CommandRejected(f"{what} is too long ({len(value)} characters, at most {limit})")
    if _SURROGATE.search(value):
        # what a terminal hands over as bytes that are not UTF-8 (Python keeps them as lone
        # surrogates): no text can hold it, so it is refused before anything is written
        raise CommandRejected(f"{what} holds bytes that are not UTF-8 text; type it again")
    return value


class Commands:
    """Every state change in triage, for one actor over one workspace."""

    def __init__(self, ws: Workspace, playbooks: PlaybookSet, actor: str) -> None:
        self.ws = ws
        self.playbooks = playbooks
        self.actor = _text(actor, "analyst name", limit=MAX_NAME)

    # -- helpers -----------------------------------------------------------------------

    def _alert(self, alert_id: int, expected_seq: int | None = None) -> sqlite3.Row:
        cur = self.ws.conn.cursor()
        cur.row_factory = sqlite3.Row
        row = cur.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        if row is None:
            raise NotFound(f"no alert {alert_id}")
        if expected_seq is not None and row["last_seq"] != expected_seq:
            raise Conflict(
                f"alert {alert_id} changed since you looked at it (event {row['last_seq']}, "
                f"you saw {expected_seq}); reload and try again"
            )
        return row  # type: ignore[no-any-return]

    def _incident_exists(self, incident_id: int) -> bool:
        return bool(self.ws.conn.execute("SELECT 1 FROM incidents WHERE id = ?", (incident_id,)).fetchone())

    def _open(self, row: sqlite3.Row, doing: str) -> None:
        if row["status"] == AlertStatus.CLOSED:
            raise CommandRejected(f"alert {row['id']} is closed; reopen it before you {doing}")

    def _alert_event(self, w: Writer, alert_id: int, action: str, payload: dict[str, Any]) -> Event:
        return w.append(self.actor, action, f"alert:{alert_id}", payload)

    # -- ingest (triage.commands.ingest) ---------------------------------------------------

    def ingest_records(
        self, records: Iterable[RawRecord], *, source: str | None = None, profile: str | None = None
    ) -> IngestResult:
        """Map and store records; what cannot be read, mapped or stored is quarantined."""
        return Ingest(self).records(records, source=source, profile=profile)

    def ingest(self, alerts: Iterable[Alert]) -> IngestResult:
        return Ingest(self).alerts(alerts)

    def ingest_polled(
        self,
        records: list[RawRecord],
        *,
        source: str,
        profile: str | None,
        cursor_ms: int | None,
    ) -> IngestResult:
        """One page from a search server: its alerts and the source's new cursor, in one
        transaction, so a crash can never commit one without the other."""
        ingest = Ingest(self)
        items = ingest.map(records, source, profile)
        with self.ws.write() as w:
            # Two clusters can hold the same index name and id: the source name keeps them apart.
            result = ingest.store(w, items, namespace=f"source:{source}")
            row = self.ws.conn.execute(
                "SELECT cursor_ms FROM source_cursors WHERE name = ?", (source,)
            ).fetchone()
            moved = cursor_ms is not None and (row is None or row[0] is None or cursor_ms > row[0])
            counts = result.counts()
            if moved or any(v for k, v in counts.items() if k != "present"):
                w.append(
                    self.actor,
                    "source.polled",
                    f"source:{source}",
                    {"cursor_ms": cursor_ms if moved else (row[0] if row else None), **counts},
                )
        return result

    def record_source_update(self, alert_id: int, status: str) -> Event:
        """Log that the alert's workflow status was set to ``status`` in its source."""
        with self.ws.write() as w:
            self._alert(alert_id)
            return self._alert_event(w, alert_id, "alert.source_updated", {"status": status})

    # -- analyst actions ---------------------------------------------------------------

    def assign(self, alert_id: int, assignee: str, *, expected_seq: int | None = None) -> Event:
        assignee = _text(assignee, "assignee", limit=MAX_NAME)
        with self.ws.write() as w:
            row = self._alert(alert_id, expected_seq)
            self._open(row, "assign it")
            if row["assignee"] == assignee:
                raise CommandRejected(f"alert {alert_id} is already assigned to {assignee}")
            return self._alert_event(
                w, alert_id, "alert.assigned", {"assignee": assignee, "previous": row["assignee"]}
            )

    def acknowledge(self, alert_id: int, *, expected_seq: int | None = None) -> Event:
        with self.ws.write() as w:
            row = self._alert(alert_id, expected_seq)
            self._open(row, "acknowledge it")
            if row["status"] == AlertStatus.ACKNOWLEDGED:
                raise CommandRejected(
                    f"alert {alert_id} was already acknowledged by {row['acknowledged_by']}"
                    f" at {row['acknowledged_at']}"
                )
            payload: dict[str, Any] = {}
            if row["assignee"] is None:
                payload["assignee"] = self.actor  # who acknowledges an unowned alert owns it
            return self._alert_event(w, alert_id, "alert.acknowledged", payload)

    def note(self, alert_id: int, text: str, *, expected_seq: int | None = None) -> Event:
        text = _text(text, "note text")
        with self.ws.write() as w:
            self._alert(alert_id, expected_seq)
            return self._alert_event(w, alert_id, "alert.noted", {"text": text})

    def complete_step(
        self, alert_id: int, step: str, *, note: str | None = None, expected_seq: int | None = None
    ) -> Event:
        with self.ws.write() as w:
            row = self._alert(alert_id, expected_seq)
            self._open(row, "complete steps")

            steps = json.loads(row["playbook_steps"])
            if step not in steps:
                known = ", ".join(steps) or "none"
                raise CommandRejected(
                    f"playbook {row['playbook_id']} of alert {alert_id} has no step {step!r} (steps: {known})"
                )
            if step in json.loads(row["steps_done"]):
                raise CommandRejected(f"step {step!r} of alert {alert_id} is already done")
            payload: dict[str, Any] = {"step": step, "playbook": row["playbook_id"]}
            if note and note.strip():
                payload["note"] = _text(note, "step note")
            return self._alert_event(w, alert_id, "alert.step_completed", payload)

    def change_severity(
        self, alert_id: int, severity: str, reason: str, *, expected_seq: int | None = None
    ) -> Event:
        try:
            new = Severity.parse(severity)
        except ValueError as exc:
            raise CommandRejected(str(exc)) from None
        reason = _text(reason, "a reason for the severity change")
        with self.ws.write() as w:
            row = self._alert(alert_id, expected_seq)
            self._open(row, "change its severity")
            if row["severity"] == new:
                raise CommandRejected(f"alert {alert_id} is already {new}")
            payload: dict[str, Any] = {"from": row["severity"], "to": new.value, "reason": reason}
            pb = self.playbooks.get(row["playbook_id"]) if row["playbook_id"] else None
            if pb is not None:
                target = pb.target_for(new)
                payload["ack_within"] = int(target.acknowledge.total_seconds())
                payload["close_within"] = int(target.close.total_seconds())
            return self._alert_event(w, alert_id, "alert.severity_changed", payload)

    def escalate(
        self,
        alert_id: int,
        *,
        incident_id: int | None = None,
        title: str | None = None,
        severity: str | None = None,
        expected_seq: int | None = None,
    ) -> Event:
        """Escalate to an existing incident, or to a new one (``incident_id`` None)."""
        with self.ws.write() as w:
            row = self._alert(alert_id, expected_seq)
            self._open(row, "escalate it")
            payload: dict[str, Any]
            if incident_id is not None:
                if not self._incident_exists(incident_id):
                    raise NotFound(f"no incident {incident_id}")
                if row["incident_id"] == incident_id:
                    raise CommandRejected(f"alert {alert_id} is already in incident {incident_id}")
                payload = {"incident": incident_id, "previous": row["incident_id"]}
            else:
                try:
                    sev = Severity.parse(severity) if severity else Severity(row["severity"])
                except ValueError as exc:
                    raise CommandRejected(str(exc)) from None
                new_id = (self.ws.conn.execute("SELECT max(id) FROM incidents").fetchone()[0] or 0) + 1
                payload = {
                    "incident": new_id,
                    "previous": row["incident_id"],
                    "new_incident": {
                        "title": _text(title or row["title"], "incident title", limit=512),
                        "severity": sev.value,
                        "owner": self.actor,
                    },
                }
            return self._alert_event(w, alert_id, "alert.escalated", payload)

    def link(self, alert_id: int, incident_id: int, *, expected_seq: int | None = None) -> Event:
        with self.ws.write() as w:
            row = self._alert(alert_id, expected_seq)
            if not self._incident_exists(incident_id):
                raise NotFound(f"no incident {incident_id}")
            if row["incident_id"] == incident_id:
                raise CommandRejected(f"alert {alert_id} is already in incident {incident_id}")
            if row["incident_id"] is not None:
                raise CommandRejected(
                    f"alert {alert_id} belongs to incident {row['incident_id']}; unlink it first"
                )
            return self._alert_event(w, alert_id, "alert.linked", {"incident": incident_id})

    def unlink(self, alert_id: int, *, expected_seq: int | None = None) -> Event:
        with self.ws.write() as w:
            row = self._alert(alert_id, expected_seq)
            if row["incident_id"] is None:
                raise CommandRejected(f"alert {alert_id} is not part of an incident")
            return self._alert_event(w, alert_id, "alert.unlinked", {"incident": row["incident_id"]})

    def close(
        self,
        alert_id: int,
        disposition: str,
        reason: str,
        *,
        override: str | None = None,
        expected_seq: int | None = None,
    ) -> Event:
        try:
            disp = Disposition(disposition)
        except ValueError:
            raise CommandRejected(
                f"unknown disposition {disposition!r} (use one of: {', '.join(d.value for d in Disposition)})"
            ) from None
        reason = _text(reason, "a reason for closing")
        with self.ws.write() as w:
            row = self._alert(alert_id, expected_seq)
            if row["status"] == AlertStatus.CLOSED:
                raise CommandRejected(f"alert {alert_id} is already closed")

            done = set(json.loads(row["steps_done"]))
            open_steps = [s for s in json.loads(row["required_steps"]) if s not in done]
            payload: dict[str, Any] = {"disposition": disp.value, "reason": reason, "override": None}
            if open_steps:
                if not (override and override.strip()):
                    raise CommandRejected(
                        f"alert {alert_id} has required playbook steps still open: "
                        f"{', '.join(open_steps)}; complete them or close with an override "
                        "and its justification"
                    )
                payload["override"] = {
                    "justification": _text(override, "override justification"),
                    "open_steps": open_steps,
                }
            return self._alert_event(w, alert_id, "alert.closed", payload)

    def reopen(self, alert_id: int, reason: str, *, expected_seq: int | None = None) -> Event:
        reason = _text(reason, "a reason for reopening")
        with self.ws.write() as w:
            row = self._alert(alert_id, expected_seq)
            if row["status"] != AlertStatus.CLOSED:
                raise CommandRejected(f"alert {alert_id} is not closed")
            return self._alert_event(
                w,
                alert_id,
                "alert.reopened",
                {"reason": reason, "previous_disposition": row["disposition"]},
            )

    def update_incident(
        self,
        incident_id: int,
        *,
        status: str | None = None,
        owner: str | None = None,
        severity: str | None = None,
        title: str | None = None,
        reason: str | None = None,
    ) -> Event:
        changes: dict[str, Any] = {}
        if status is not None:
            if status not in ("open", "closed"):
                raise CommandRejected(f"unknown incident status {status!r} (use open or closed)")
            changes["status"] = status
        if owner is not None:
            changes["owner"] = _text(owner, "owner", limit=MAX_NAME)
        if severity is not None:
            try:
                changes["severity"] = Severity.parse(severity).value
            except ValueError as exc:
                raise CommandRejected(str(exc)) from None
        if title is not None:
            changes["title"] = _text(title, "title", limit=512)
        if not changes:
            raise CommandRejected("nothing to change")
        with self.ws.write() as w:
            if not self._incident_exists(incident_id):
                raise NotFound(f"no incident {incident_id}")
            payload: dict[str, Any] = {"changes": changes}
            if reason:
                payload["reason"] = _text(reason, "reason")
            return w.append(self.actor, "incident.updated", f"incident:{incident_id}", payload)

    # -- evidence ----------------------------------------------------------------------

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
                "evidence.signed",
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
                "exercise.recorded",
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

    # -- a tabletop exercise, in its own workspace ------------------------------------------

    def _exercise_target(self) -> str:
        if self.ws.kind != KIND_EXERCISE or not self.ws.exercise:
            raise CommandRejected(
                f"{self.ws.path} is a {self.ws.kind} workspace; exercises run in their own"
                " (triage tabletop run creates one)"
            )
        return f"exercise:{self.ws.exercise}"

    def _exercise_events(self, target: str) -> list[str]:
        return [
            action
            for (action,) in self.ws.conn.execute(
                "SELECT e.action FROM timeline t JOIN events e ON e.seq = t.seq"
                " WHERE t.ref = ? ORDER BY t.seq",
                (target,),
            )
        ]

    def start_exercise(self, scenario: dict[str, Any], *, settings: dict[str, Any]) -> Event:
        """Open the exercise: the scenario as played (expectations, roles, injects) and how
        (speed, participants, target), so the minutes can be written from the log alone."""
        target = self._exercise_target()
        with self.ws.write() as w:
            if self._exercise_events(target):
                raise CommandRejected(f"exercise {self.ws.exercise} has already started in this workspace")
            return w.append(self.actor, "exercise.started", target, {"scenario": scenario, **settings})

    def record_inject(self, label: str, at_s: float, text: str) -> Event:
        """An inject fell due and was shown to the participants."""
        target = self._exercise_target()
        text = _text(text, "inject text")
        with self.ws.write() as w:
            actions = self._exercise_events(target)
            if "exercise.started" not in actions or "exercise.ended" in actions:
                raise CommandRejected(f"exercise {self.ws.exercise} is not running")
            return w.append(self.actor, "exercise.inject", target, {"at": label, "at_s": at_s, "text": text})

    def end_exercise(self, *, alerts: int, injects: int, stopped: bool, position_s: float) -> Event:
        """The replay is over (played to the end, or stopped early)."""
        target = self._exercise_target()
        with self.ws.write() as w:
            actions = self._exercise_events(target)
            if "exercise.started" not in actions:
                raise CommandRejected(f"exercise {self.ws.exercise} has not started")
            if "exercise.ended" in actions:
                raise CommandRejected(f"exercise {self.ws.exercise} has already ended")
            return w.append(
                self.actor,
                "exercise.ended",
                target,
                {"alerts": alerts, "injects": injects, "stopped": stopped, "position_s": position_s},
            )
