"""Generic ECS alert documents (``event.kind`` alert or signal, or a ``rule.name``)."""

from __future__ import annotations

from typing import Any

from triage.domain.alert import Severity
from triage.errors import MappingError
from triage.mapping.coerce import as_list, elastic_threat, number, severity, techniques, text, time
from triage.mapping.lookup import first, get
from triage.mapping.profile import Profile


def _ecs_fields(doc: dict[str, Any]) -> dict[str, Any]:
    rule = text(get(doc, "rule.name"))
    score = number(first(doc, "event.risk_score", "risk_score", "event.risk_score_norm"))
    sev_raw = first(doc, "event.severity", "log.level", "severity")
    sev: Severity
    if isinstance(sev_raw, str) and number(sev_raw) is None:
        sev = severity(sev_raw, "event.severity")
    elif score is not None:
        sev = Severity.from_risk_score(score)
    elif number(sev_raw) is not None:
        sev = Severity.from_risk_score(number(sev_raw) or 0.0)
    else:
        raise MappingError("no event.severity, event.risk_score or log.level")
    techs = techniques(
        as_list(get(doc, "threat.technique.id")) + as_list(get(doc, "threat.technique.subtechnique.id"))
    )
    tactics = as_list(get(doc, "threat.tactic.name"))
    threats = get(doc, "threat")
    if isinstance(threats, list):  # some pipelines write Elastic-style threat lists
        t2, k2 = elastic_threat(threats)
        tactics += [t for t in t2 if t not in tactics]
        techs += [k for k in k2 if k not in techs]
    return {
        "doc_id": text(get(doc, "event.id")),
        "rule_name": rule,
        "rule_id": text(first(doc, "rule.id", "rule.uuid")),
        "title": rule or text(get(doc, "message")),
        "severity": sev,
        "risk_score": score,
        "fired_at": time(doc, "@timestamp", "event.created"),
        "tactics": tactics,
        "techniques": techs,
        "tags": as_list(get(doc, "tags")) + as_list(get(doc, "event.category")),
    }


PROFILE = Profile(
    "ecs",
    "Generic ECS alert documents (event.kind alert or signal, rule.name)",
    lambda d: (
        get(d, "event.kind") in ("alert", "signal") or (get(d, "rule.name") is not None and "@timestamp" in d)
    ),
    _ecs_fields,
)
