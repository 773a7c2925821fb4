"""What a verification found: the report of the chain and checkpoint checks, and its problems.

Shared by the chain check (``triage.store.verify``) and the checkpoint check
(``triage.store.anchor``), which both fill one ``VerifyReport``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from triage.store.chain import GENESIS


@dataclass
class Problem:
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event {self.seq}" if self.seq is not None else "log"
        return f"{where}: {self.reason}"


@dataclass
class VerifyReport:
    events_total: int = 0
    events_valid: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    checkpoints_total: int = 0
    checkpoints_valid: int = 0
    # checkpoints that agree with the log but whose signatures could not be checked (never
    # counted valid), and why
    checkpoints_unchecked: int = 0
    unchecked_reason: str | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        verdict = "VALID" if self.ok else "INVALID"
        events = f"{self.events_valid} of {self.events_total} events valid"
        head = f"head {self.head_seq} {self.head_hash[:16]}"
        unchecked, total = self.checkpoints_unchecked, self.checkpoints_total
        if not unchecked:
            return f"{verdict}: {events}; {self.checkpoints_valid} of {total} checkpoints valid; {head}"
        why = self.unchecked_reason or "not checked"
        if unchecked == total:
            cannot = f"{unchecked} checkpoint{'s' if unchecked != 1 else ''} could not be checked: {why}"
        else:
            cannot = (
                f"{self.checkpoints_valid} of {total} checkpoints valid and {unchecked} could not be "
                f"checked: {why}"
            )
        joint = ", but" if self.events_valid == self.events_total else ";"
        return f"{verdict}: {events}{joint} {cannot}; {head}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events_total": self.events_total,
            "events_valid": self.events_valid,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "checkpoints_total": self.checkpoints_total,
            "checkpoints_valid": self.checkpoints_valid,
            "checkpoints_unchecked": self.checkpoints_unchecked,
            "problems": [{"seq": p.seq, "reason": p.reason} for p in self.problems],
            "notes": self.notes,
        }
