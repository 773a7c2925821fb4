"""Elastic SIEM signals (``signal.*``, the 7.x ``.siem-signals`` indices)."""

from __future__ import annotations

from typing import Any

from triage.domain.alert import Severity
from triage.errors import MappingError
from triage.mapping.coerce import as_list, elastic_threat, number, severity, text, time
from triage.mapping.lookup import first, get, has_prefix
from triage.mapping.profile import Profile


def _legacy_fields(doc: dict[str, Any]) -> dict[str, Any]:
    rule = text(get(doc, "signal.rule.name"))
    score = number(get(doc, "signal.rule.risk_score"))
    sev_raw = get(doc, "signal.rule.severity")
    if sev_raw is not None:
        sev = severity(sev_raw, "signal.rule.severity")
    elif score is not None:
        sev = Severity.from_risk_score(score)
    else:
        raise MappingError("no signal.rule.severity or signal.rule.risk_score")
    tactics, techniques = elastic_threat(get(doc, "signal.rule.threat"))
    return {
        "doc_id": None,
        "rule_name": rule,
        "rule_id": text(first(doc, "signal.rule.rule_id", "signal.rule.id")),
        "title": rule or text(get(doc, "signal.reason")),
        "severity": sev,
        "risk_score": score,
        "fired_at": time(doc, "@timestamp", "signal.original_time"),
        "tactics": tactics,
        "techniques": techniques,
        "tags": as_list(get(doc, "signal.rule.tags")),
    }


PROFILE = Profile(
    "elastic-legacy",
    "Elastic SIEM signals (signal.*, 7.x .siem-signals indices)",
    lambda d: has_prefix(d, "signal.rule"),
    _legacy_fields,
    updates_in_place=True,
    status_field="signal.status",
)
