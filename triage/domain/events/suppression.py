"""Events about suppression rules (target ``suppression:<id>``): created, changed, ended.

A rule closes new alerts its query matches while it is active (from ``starts_at``, before
``expires_at``, not ended); each close is an ``alert.closed`` event of its own with the
disposition ``suppressed`` and the rule's id, recorded right after the ingest, so a replay of
the log never decides anything again."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import field_validator

from triage.domain.events.base import Changes, Payload

SUPPRESSION_CREATED = "suppression.created"
SUPPRESSION_CHANGED = "suppression.changed"
SUPPRESSION_ENDED = "suppression.ended"

# What ``suppression.changed`` may change.
SUPPRESSION_FIELDS = ("expires_at", "owner", "reason")


class _SuppressionEvent(Payload):
    CHANGES: ClassVar[Changes] = Changes.SUPPRESSION
    TARGET: ClassVar[str] = "suppression"


class SuppressionCreated(_SuppressionEvent):
    NAME: ClassVar[str] = SUPPRESSION_CREATED

    query: str
    reason: str
    owner: str
    starts_at: str
    expires_at: str
    apply_to_open: bool = False

    def describe(self) -> str:
        return f"suppression created by {self.owner} until {self.expires_at}: {self.query} ({self.reason})"

    def minutes(self) -> str:
        return f"suppression rule made: {self.query} until {self.expires_at} ({self.reason})"


class SuppressionChanged(_SuppressionEvent):
    NAME: ClassVar[str] = SUPPRESSION_CHANGED

    changes: dict[str, Any]
    why: str

    @field_validator("changes")
    @classmethod
    def _known(cls, v: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(str(k) for k in v if k not in SUPPRESSION_FIELDS)
        if unknown or not v:
            raise ValueError(f"suppression.changed changes only {', '.join(SUPPRESSION_FIELDS)}")
        return v

    def describe(self) -> str:
        return (
            "suppression changed: "
            + ", ".join(f"{k}={v}" for k, v in self.changes.items())
            + f" ({self.why})"
        )

    def minutes(self) -> str:
        return self.describe()


class SuppressionEnded(_SuppressionEvent):
    NAME: ClassVar[str] = SUPPRESSION_ENDED

    reason: str

    def describe(self) -> str:
        return f"suppression ended: {self.reason}"

    def minutes(self) -> str:
        return self.describe()


SUPPRESSION_EVENTS: tuple[type[Payload], ...] = (SuppressionCreated, SuppressionChanged, SuppressionEnded)
