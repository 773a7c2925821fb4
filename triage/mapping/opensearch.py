"""OpenSearch Alerting alerts, Security Analytics alerts and findings, threat-intelligence alerts."""

from __future__ import annotations

from typing import Any

from triage.domain.alert import Severity
from triage.errors import MappingError
from triage.mapping.coerce import as_list, severity, techniques, text, time
from triage.mapping.lookup import first
from triage.mapping.profile import Profile

_OS_ALERTING_SEVERITY = {
    "1": Severity.CRITICAL,
    "2": Severity.HIGH,
    "3": Severity.MEDIUM,
    "4": Severity.LOW,
    "5": Severity.INFORMATIONAL,
}
_LEVELS = {s.value for s in Severity} | {"info"}


def _finding_fields(doc: dict[str, Any], queries: list[Any]) -> dict[str, Any]:
    # Security Analytics finding: Sigma-style tags carry level, tactics and techniques.
    tags_all: list[str] = []
    names: list[str] = []
    for q in queries:
        if isinstance(q, dict):
            tags_all.extend(as_list(q.get("tags")))
            name = text(q.get("name"))
            if name:
                names.append(name)
    levels = [t.lower() for t in tags_all if t.lower() in _LEVELS]
    sev = max((Severity.parse(lv) for lv in levels), key=lambda s: s.rank) if levels else Severity.MEDIUM
    attack = [t[len("attack.") :] for t in tags_all if t.lower().startswith("attack.")]
    techs = techniques(a for a in attack if a.lower().startswith("t"))
    tactics = [a.replace("_", " ").title() for a in attack if not a.lower().startswith("t")]
    other = [t for t in tags_all if t.lower() not in _LEVELS and not t.lower().startswith("attack.")]
    detector = text(doc.get("detector_type"))
    rule = names[0] if names else text(doc.get("monitor_name"))
    return {
        "doc_id": text(doc.get("id")),
        "rule_name": rule,
        "rule_id": text(queries[0].get("id")) if isinstance(queries[0], dict) else None,
        "title": rule or "Security Analytics finding",
        "severity": sev,
        "risk_score": None,
        "fired_at": time(doc, "timestamp", "@timestamp"),
        "tactics": tactics,
        "techniques": techs,
        "tags": other + ([detector] if detector else []),
    }


def _opensearch_fields(doc: dict[str, Any]) -> dict[str, Any]:
    queries = doc.get("queries")
    if isinstance(queries, list) and queries:
        return _finding_fields(doc, queries)
    # Alerting plugin alert (.opendistro-alerting-alerts), a Security Analytics alert
    # (detector_id) or a threat-intelligence alert or IOC finding (ioc_value).
    detector = text(first(doc, "detector_id", "detectorId"))
    ioc = text(doc.get("ioc_value"))
    sev_text = text(doc.get("severity"))
    if sev_text is not None:
        sev = _OS_ALERTING_SEVERITY.get(sev_text) or severity(sev_text, "severity")
    elif detector or ioc:
        sev = Severity.MEDIUM  # their severity lives in the detector's trigger, not the alert
    else:
        raise MappingError("field severity: missing (OpenSearch alerting uses 1 to 5)")
    monitor = text(doc.get("monitor_name"))
    trigger = text(doc.get("trigger_name"))
    title = f"{monitor}: {trigger}" if monitor and trigger else (trigger or monitor)
    if ioc:
        title = f"{title or 'Threat intelligence'}: {text(doc.get('ioc_type')) or 'IOC'} {ioc}"
    tags = [t for t in (text(doc.get("state")), text(doc.get("ioc_type"))) if t]
    return {
        "doc_id": text(doc.get("id")),
        "rule_name": monitor or trigger,
        "rule_id": text(first(doc, "monitor_id", "trigger_id", "detector_id", "detectorId")),
        "title": title,
        "severity": sev,
        "risk_score": None,
        "fired_at": time(doc, "start_time", "last_notification_time", "timestamp", "@timestamp"),
        "tags": tags + ([f"detector:{detector}"] if detector else []),
    }


def _is_opensearch(d: dict[str, Any]) -> bool:
    if "monitor_name" in d or "monitor_id" in d:
        return "trigger_name" in d or "queries" in d or "related_doc_ids" in d or "ioc_value" in d
    if "detector_id" in d or "detectorId" in d:  # Security Analytics alert or finding
        return "trigger_name" in d or "queries" in d
    return "ioc_value" in d and "trigger_name" in d  # threat-intelligence alert


PROFILE = Profile(
    "opensearch",
    "OpenSearch Alerting alerts and Security Analytics findings",
    _is_opensearch,
    _opensearch_fields,
    # Alerting and threat-intelligence alerts change state in place (ACTIVE,
    # ACKNOWLEDGED, COMPLETED); findings are written once.
    updates_in_place=lambda d: "state" in d,
)
