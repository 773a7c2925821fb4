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
    SUPPRESSED = "suppressed"  # closed by a suppression rule, never by an analyst's close


# The dispositions an analyst closes with (``suppressed`` is a suppression rule's alone).
ANALYST_DISPOSITIONS = tuple(d for d in Disposition if d is not Disposition.SUPPRESSED)


class IncidentStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
