"""What an ingest did with the records it read: each counted once under one outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class IngestResult:
    ingested: int = 0  # new alerts
    updated: int = 0  # new versions of alerts the source updates in place
    present: int = 0  # the same content under the same key, received before
    collisions: int = 0  # a known key with other content, stored as an alert of its own
    quarantined: int = 0
    quarantined_before: int = 0  # of ``present``: records quarantined when they were first read
    suppressed: int = 0  # of ``ingested`` and ``collisions``: closed at once by a suppression rule
    alert_ids: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "origin location: reason"
    collided: list[str] = field(default_factory=list)  # "origin location: what collided"

    def add(self, other: IngestResult) -> None:
        self.ingested += other.ingested
        self.updated += other.updated
        self.present += other.present
        self.collisions += other.collisions
        self.quarantined += other.quarantined
        self.quarantined_before += other.quarantined_before
        self.suppressed += other.suppressed
        self.alert_ids.extend(other.alert_ids)
        self.problems.extend(other.problems)
        self.collided.extend(other.collided)

    @property
    def records(self) -> int:
        """Every record read, each counted once under one outcome."""
        return self.ingested + self.updated + self.present + self.collisions + self.quarantined

    def counts(self) -> dict[str, int]:
        return {
            "ingested": self.ingested,
            "updated": self.updated,
            "present": self.present,
            "collisions": self.collisions,
            "quarantined": self.quarantined,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.counts(),
            "quarantined_before": self.quarantined_before,
            "suppressed": self.suppressed,
            "problems": self.problems,
            "collided": self.collided,
        }

    def summary(self) -> str:
        return (
            f"{self.ingested} ingested, {self.updated} updated, {self.present} already present, "
            f"{self.collisions} collisions, {self.quarantined} quarantined"
            + (f" ({self.suppressed} closed by suppression rules)" if self.suppressed else "")
        )
