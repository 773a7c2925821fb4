"""An analyst's actions on an alert: assign, acknowledge, note, steps, severity, escalate,
link, close and reopen."""

from __future__ import annotations

import json
from typing import Any

from triage.commands.base import MAX_NAME, CommandBase, _text
from triage.domain import events as ev
from triage.domain.alert import Severity
from triage.domain.state import AlertState
from triage.domain.states import ANALYST_DISPOSITIONS, AlertStatus, Disposition
from triage.errors import CommandRejected, NotFound
from triage.store.workspace import Event


class AlertCommands(CommandBase):
    """Every state change of an alert an analyst makes."""

    def assign(self, alert_id: int, assignee: str, *, expected_seq: int | None = None) -> Event:
        assignee = _text(assignee, "assignee", limit=MAX_NAME)
        with self.ws.write() as w:
            row = self._alert(alert_id, expected_seq)
            self._open(row, "assign it")
            if row["assignee"] == assignee:
                raise CommandRejected(f"alert {alert_id} is already assigned to {assignee}")
            return self._alert_event(
                w, alert_id, ev.ALERT_ASSIGNED, {"assignee": assignee, "previous": row["assignee"]}
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
            return self._alert_event(w, alert_id, ev.ALERT_ACKNOWLEDGED, payload)

    def note(self, alert_id: int, text: str, *, expected_seq: int | None = None) -> Event:
        text = _text(text, "note text")
        with self.ws.write() as w:
            self._alert(alert_id, expected_seq)
            return self._alert_event(w, alert_id, ev.ALERT_NOTED, {"text": text})

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
            return self._alert_event(w, alert_id, ev.ALERT_STEP_COMPLETED, payload)

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
            return self._alert_event(w, alert_id, ev.ALERT_SEVERITY_CHANGED, payload)

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
            return self._alert_event(w, alert_id, ev.ALERT_ESCALATED, payload)

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
            return self._alert_event(w, alert_id, ev.ALERT_LINKED, {"incident": incident_id})

    def unlink(self, alert_id: int, *, expected_seq: int | None = None) -> Event:
        with self.ws.write() as w:
            row = self._alert(alert_id, expected_seq)
            if row["incident_id"] is None:
                raise CommandRejected(f"alert {alert_id} is not part of an incident")
            return self._alert_event(w, alert_id, ev.ALERT_UNLINKED, {"incident": row["incident_id"]})

    def close(
        self,
        alert_id: int,
        disposition: str,
        reason: str,
        *,
        override: str | None = None,
        duplicate_of: int | None = None,
        expected_seq: int | None = None,
    ) -> Event:
        """Close with a disposition and a reason. A duplicate may name the alert it repeats
        (``duplicate_of``): its playbook work is done there, so open required steps need no
        override then."""
        try:
            disp = Disposition(disposition)
            if disp not in ANALYST_DISPOSITIONS:
                raise ValueError(disp)
        except ValueError:
            known = ", ".join(d.value for d in ANALYST_DISPOSITIONS)
            raise CommandRejected(
                f"disposition {disposition!r} is not one an analyst closes with (use one of: {known};"
                " suppressed is set by suppression rules)"
                if disposition == Disposition.SUPPRESSED
                else f"unknown disposition {disposition!r} (use one of: {known})"
            ) from None
        reason = _text(reason, "a reason for closing")
        if duplicate_of is not None and disp is not Disposition.DUPLICATE:
            raise CommandRejected(f"only a duplicate names the alert it duplicates (not {disp.value})")
        if duplicate_of == alert_id:
            raise CommandRejected(f"alert {alert_id} cannot be a duplicate of itself")
        with self.ws.write() as w:
            row = self._alert(alert_id, expected_seq)
            if row["status"] == AlertStatus.CLOSED:
                raise CommandRejected(f"alert {alert_id} is already closed")
            if duplicate_of is not None:
                self._alert(duplicate_of, None)  # NotFound when there is no such alert

            open_steps = AlertState.from_row(row).open_steps  # the rule lives in the fold
            payload: dict[str, Any] = {"disposition": disp.value, "reason": reason, "override": None}
            if duplicate_of is not None:
                payload["duplicate_of"] = duplicate_of
                if not (override and override.strip()):
                    open_steps = []  # done on the original: nothing to override
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
            return self._alert_event(w, alert_id, ev.ALERT_CLOSED, payload)

    def reopen(self, alert_id: int, reason: str, *, expected_seq: int | None = None) -> Event:
        reason = _text(reason, "a reason for reopening")
        with self.ws.write() as w:
            row = self._alert(alert_id, expected_seq)
            if row["status"] != AlertStatus.CLOSED:
                raise CommandRejected(f"alert {alert_id} is not closed")
            return self._alert_event(
                w,
                alert_id,
                ev.ALERT_REOPENED,
                {"reason": reason, "previous_disposition": row["disposition"]},
            )
