"""Wazuh manager alerts (``alerts.json``, ``wazuh-alerts-*``)."""

from __future__ import annotations

from typing import Any

from triage.domain.alert import Severity
from triage.errors import MappingError
from triage.mapping.coerce import as_list, number, techniques, text, time
from triage.mapping.lookup import first, get
from triage.mapping.profile import Profile


def _wazuh_severity(level: Any) -> Severity:
    n = number(level)
    if n is None:
        raise MappingError(f"field rule.level: expected a number from 0 to 16, got {level!r}")
    if n >= 13:
        return Severity.CRITICAL
    if n >= 10:
        return Severity.HIGH
    if n >= 7:
        return Severity.MEDIUM
    if n >= 4:
        return Severity.LOW
    return Severity.INFORMATIONAL


def _wazuh_fields(doc: dict[str, Any]) -> dict[str, Any]:
    desc = text(get(doc, "rule.description"))
    return {
        "doc_id": text(get(doc, "id")),
        "rule_name": desc,
        "rule_id": text(get(doc, "rule.id")),
        "title": desc,
        "severity": _wazuh_severity(get(doc, "rule.level")),
        "risk_score": None,
        "fired_at": time(doc, "timestamp", "@timestamp"),
        "host": text(first(doc, "agent.name", "predecoder.hostname", "manager.name")),
        "user": text(
            first(
                doc,
                "data.dstuser",
                "data.srcuser",
                "data.win.eventdata.targetUserName",
                "data.win.eventdata.subjectUserName",
                "data.aws.userIdentity.userName",
            )
        ),
        "src_ip": text(first(doc, "data.srcip", "data.aws.sourceIPAddress")),
        "dst_ip": text(get(doc, "data.dstip")),
        "tactics": as_list(get(doc, "rule.mitre.tactic")),
        "techniques": techniques(as_list(get(doc, "rule.mitre.id"))),
        "tags": as_list(get(doc, "rule.groups")),
    }


def _wazuh_scope(doc: dict[str, Any]) -> str | None:
    return text(first(doc, "cluster.node", "manager.name", "cluster.name"))


def _is_wazuh(doc: dict[str, Any]) -> bool:
    return get(doc, "rule.level") is not None and (
        "agent" in doc or "decoder" in doc or "manager" in doc or "agent.name" in doc
    )


PROFILE = Profile(
    "wazuh",
    "Wazuh manager alerts (alerts.json, wazuh-alerts-*)",
    _is_wazuh,
    _wazuh_fields,
    scope=_wazuh_scope,
)
