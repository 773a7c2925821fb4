"""The words of an alert's and an incident's life: statuses and the dispositions a close takes."""

from __future__ import annotations

from enum import StrEnum


class AlertStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class Disposition(StrEnum):
    TRUE_POSITIVE = "true_positive"
    BENIGN_TRUE_POSITIVE = "benign_true_positive"
    FALSE_POSITIVE = "false_positive"
    DUPLICATE = "duplicate"
    AUTHORIZED_TEST = "authorized_test"
    INCONCLUSIVE = "inconclusive"


class IncidentStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
