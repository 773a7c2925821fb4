"""Elastic Security detection alerts (``kibana.alert.*``, 8.x and later)."""

from __future__ import annotations

from typing import Any

from triage.domain.alert import Severity
from triage.errors import MappingError
from triage.mapping.coerce import as_list, elastic_threat, number, severity, text, time
from triage.mapping.lookup import first, get, has_prefix
from triage.mapping.profile import Profile

_DISCOVERY = "kibana.alert.attack_discovery"


def _elastic_fields(doc: dict[str, Any]) -> dict[str, Any]:
    rule = text(get(doc, "kibana.alert.rule.name"))
    score = number(get(doc, "kibana.alert.risk_score"))
    discovery = has_prefix(doc, _DISCOVERY)
    sev_raw = get(doc, "kibana.alert.severity")
    if sev_raw is not None:
        sev = severity(sev_raw, "kibana.alert.severity")
    elif score is not None and discovery:
        # An attack discovery's risk score is the sum over the alerts it groups: their mean is
        # on the 0-100 scale of a rule's risk score.
        grouped = len(as_list(get(doc, f"{_DISCOVERY}.alert_ids"))) or 1
        sev = Severity.from_risk_score(score / grouped)
    elif score is not None:
        sev = Severity.from_risk_score(score)
    else:
        raise MappingError("no kibana.alert.severity or kibana.alert.risk_score")
    tactics, techniques = elastic_threat(get(doc, "kibana.alert.rule.threat"))
    title = rule or text(get(doc, "kibana.alert.reason"))
    if discovery:  # the rule is the discovery schedule; the discovery has its own title
        title = text(first(doc, f"{_DISCOVERY}.title_with_replacements", f"{_DISCOVERY}.title")) or title
        tactics += [t for t in as_list(get(doc, f"{_DISCOVERY}.mitre_attack_tactics")) if t not in tactics]
    return {
        "doc_id": text(get(doc, "kibana.alert.uuid")),
        "rule_name": rule,
        "rule_id": text(first(doc, "kibana.alert.rule.rule_id", "kibana.alert.rule.uuid")),
        "title": title,
        "severity": sev,
        "risk_score": score,
        "fired_at": time(doc, "@timestamp", "kibana.alert.start", "kibana.alert.original_time"),
        "tactics": tactics,
        "techniques": techniques,
        "tags": as_list(get(doc, "kibana.alert.rule.tags")),
    }


PROFILE = Profile(
    "elastic",
    "Elastic Security detection alerts (kibana.alert.*, 8.x and later)",
    lambda d: has_prefix(d, "kibana.alert"),
    _elastic_fields,
    updates_in_place=True,
    status_field="kibana.alert.workflow_status",
)
