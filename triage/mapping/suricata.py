"""Suricata EVE JSON alerts (``event_type`` alert)."""

from __future__ import annotations

from typing import Any

from triage.domain.alert import Severity
from triage.errors import MappingError
from triage.mapping.coerce import as_list, number, techniques, text, time
from triage.mapping.lookup import get
from triage.mapping.profile import Profile

_SURICATA_SIG_SEVERITY = {
    "critical": Severity.CRITICAL,
    "major": Severity.HIGH,
    "minor": Severity.LOW,
    "informational": Severity.INFORMATIONAL,
    "audit": Severity.INFORMATIONAL,
}
_SURICATA_PRIORITY = {1: Severity.HIGH, 2: Severity.MEDIUM, 3: Severity.LOW}


def _suricata_fields(doc: dict[str, Any]) -> dict[str, Any]:
    signature = text(get(doc, "alert.signature"))
    sig_sev = as_list(get(doc, "alert.metadata.signature_severity"))
    if sig_sev and sig_sev[0].lower() in _SURICATA_SIG_SEVERITY:
        severity = _SURICATA_SIG_SEVERITY[sig_sev[0].lower()]
    else:
        prio = number(get(doc, "alert.severity"))
        if prio is None:
            raise MappingError("field alert.severity: missing or not a number")
        severity = _SURICATA_PRIORITY.get(int(prio), Severity.INFORMATIONAL)
    tags = as_list(get(doc, "alert.category")) + as_list(get(doc, "alert.metadata.tag"))
    return {
        "doc_id": None,
        "rule_name": signature,
        "rule_id": text(get(doc, "alert.signature_id")),
        "title": signature,
        "severity": severity,
        "risk_score": None,
        "fired_at": time(doc, "timestamp", "@timestamp"),
        "host": text(get(doc, "host")),
        "src_ip": text(get(doc, "src_ip")),
        "dst_ip": text(get(doc, "dest_ip")),
        "tactics": as_list(get(doc, "alert.metadata.mitre_tactic_name")),
        "techniques": techniques(
            as_list(get(doc, "alert.metadata.mitre_technique_id"))
            + as_list(get(doc, "alert.metadata.mitre_subtechnique_id"))
        ),
        "tags": tags,
    }


PROFILE = Profile(
    "suricata",
    "Suricata EVE JSON alerts (event_type alert)",
    lambda d: d.get("event_type") == "alert" and get(d, "alert.signature") is not None,
    _suricata_fields,
)
