"""The domain: alerts, incidents, dispositions and the events that change them."""

from triage.domain.alert import Alert, Severity
from triage.domain.states import AlertStatus, Disposition, IncidentStatus

__all__ = ["Alert", "AlertStatus", "Disposition", "IncidentStatus", "Severity"]
