"""What every event payload model shares: its name, version, what it changes and its target.

A payload model validates what a command is about to write (``extra="forbid"``: a key the
catalogue does not know is refused) and reads what an older version of triage wrote
(``upgrade`` turns an earlier payload shape into the current one before validation).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class Changes(StrEnum):
    """Which state an event changes."""

    ALERT = "alert"
    INCIDENT = "incident"  # an incident only (alert events that touch incidents say ALERT)
    QUARANTINE = "quarantine"
    SOURCE = "source"
    SUPPRESSION = "suppression"  # a suppression rule
    NOTIFICATION = "notification"  # what was sent to whom (the notifier's record, once per key)
    NOTHING = "nothing"  # recorded and indexed by its target, no state


class Payload(BaseModel):
    """The payload of one kind of event."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    NAME: ClassVar[str]
    VERSION: ClassVar[int] = 1
    CHANGES: ClassVar[Changes]
    TARGET: ClassVar[str]  # the kind of its target: ``alert`` for ``alert:7``

    # An event can be marked as part of a tabletop exercise in its payload too (the envelope's
    # ``exercise`` is the usual place); such an event never counts in production figures.
    exercise: str | None = None

    @classmethod
    def upgrade(cls, payload: dict[str, Any]) -> dict[str, Any]:
        """An earlier version's payload in the current shape (the same dict if it already is)."""
        return payload

    @classmethod
    def read(cls, payload: dict[str, Any]) -> Payload:
        return cls.model_validate(cls.upgrade(payload))

    def describe(self) -> str:
        """One line on what the event did, for timelines (not yet made printable)."""
        return self.NAME

    def minutes(self) -> str:
        """The same for an exercise's minutes, which word some events their own way."""
        return self.NAME
