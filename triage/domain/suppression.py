"""A suppression rule's state, folded from its events (pure, like the alert's): who owns it,
why, from when until when, whether it was ended, and the alerts it closed. The projection's
``suppressions`` rows, the evidence pack's month-end view and ``triage suppress`` read it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from triage.domain import events as ev
from triage.domain.logged import Logged, RowLike, is_exercise

SUPPRESSION_COLUMNS = (
    "id", "query", "reason", "owner", "created_at", "created_by", "starts_at", "expires_at",
    "ended_at", "ended_by", "end_reason", "alerts_closed", "last_alert", "last_closed_at", "exercise",
    "last_seq",
)  # fmt: skip


@dataclass
class SuppressionState:
    id: int
    query: str
    reason: str
    owner: str
    created_at: str
    created_by: str
    starts_at: str
    expires_at: str
    ended_at: str | None = None
    ended_by: str | None = None
    end_reason: str | None = None
    alerts_closed: int = 0
    last_alert: int | None = None
    last_closed_at: str | None = None
    exercise: int = 0
    last_seq: int = 0

    @classmethod
    def created(cls, e: Logged) -> SuppressionState:
        p = e.payload
        return cls(
            id=int(e.target.partition(":")[2]), query=p["query"], reason=p["reason"], owner=p["owner"],
            created_at=e.ts, created_by=e.actor, starts_at=p["starts_at"], expires_at=p["expires_at"],
            exercise=int(is_exercise(e)), last_seq=e.seq,
        )  # fmt: skip

    @classmethod
    def fold(cls, events: Iterable[Logged]) -> SuppressionState | None:
        state: SuppressionState | None = None
        for e in events:
            if state is None:
                if e.action != ev.SUPPRESSION_CREATED:
                    return None
                state = cls.created(e)
            else:
                state.apply(e)
        return state

    @classmethod
    def from_row(cls, row: RowLike) -> SuppressionState:
        return cls(**{k: row[k] for k in SUPPRESSION_COLUMNS})

    def row(self) -> dict[str, Any]:
        return {k: self.__dict__[k] for k in SUPPRESSION_COLUMNS}

    def apply(self, e: Logged) -> None:
        """One event of this rule: changed, ended, or an alert it closed (``alert.closed``)."""
        p = e.payload
        if e.action == ev.SUPPRESSION_CHANGED:
            for k in ev.SUPPRESSION_FIELDS:
                if k in p["changes"]:
                    setattr(self, k, p["changes"][k])
        elif e.action == ev.SUPPRESSION_ENDED:
            self.ended_at, self.ended_by, self.end_reason = e.ts, e.actor, p["reason"]
        elif e.action == ev.ALERT_CLOSED and p.get("suppression") == self.id:
            self.alerts_closed += 1
            self.last_alert, self.last_closed_at = int(e.target.partition(":")[2]), e.ts
        else:
            raise ValueError(f"event {e.seq}: {e.action} is not an event of suppression {self.id}")
        self.last_seq = e.seq

    def active_at(self, ts: str) -> bool:
        """Whether it matches alerts at ``ts`` (log time text: string order is time order)."""
        return self.ended_at is None and self.starts_at <= ts < self.expires_at
