"""Field-mapping profiles against documents in the real formats."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from triage.domain.alert import Severity
from triage.errors import MappingError
from triage.mapping import detect, map_document
from triage.mapping.lookup import get

ELASTIC_HIT: dict[str, Any] = {
    "_index": ".internal.alerts-security.alerts-default-000001",
    "_id": "5f1c0d3e",
    "_source": {
        "@timestamp": "2026-10-02T10:00:00.000Z",
        "kibana.alert.rule.name": "Potential Password Spraying",
        "kibana.alert.rule.rule_id": "e0d7-rule",
        "kibana.alert.severity": "medium",
        "kibana.alert.risk_score": 47,
        "kibana.alert.uuid": "5f1c0d3e",
        "kibana.alert.rule.tags": ["Domain: Identity", "brute_force"],
        "kibana.alert.rule.threat": [
            {
                "framework": "MITRE ATT&CK",
                "tactic": {"id": "TA0006", "name": "Credential Access"},
                "technique": [{"id": "T1110", "subtechnique": [{"id": "T1110.003"}]}],
            }
        ],
        "host": {"name": "dc01", "os": {"family": "windows"}},
        "user": {"name": "svc_backup"},
        "source": {"ip": "203.0.113.40"},
    },
}

LEGACY = {
    "@timestamp": "2026-10-04T08:00:00Z",
    "signal": {
        "rule": {
            "name": "Sudo Privilege Escalation",
            "rule_id": "legacy-1",
            "severity": "high",
            "risk_score": 73,
            "tags": ["linux"],
            "threat": [{"tactic": {"name": "Privilege Escalation"}, "technique": [{"id": "T1548"}]}],
        },
        "status": "open",
    },
    "host": {"name": "build-02"},
}

WAZUH = {
    "timestamp": "2026-10-03T09:14:22.123+0000",
    "rule": {
        "level": 10,
        "description": "sshd: brute force trying to get access to the system.",
        "id": "5712",
        "groups": ["syslog", "sshd", "authentication_failures"],
        "mitre": {"id": ["T1110"], "tactic": ["Credential Access"], "technique": ["Brute Force"]},
    },
    "agent": {"id": "001", "name": "web-prod-01", "ip": "10.0.1.10"},
    "manager": {"name": "wazuh-manager"},
    "id": "1696320862.123456",
    "data": {"srcip": "198.51.100.7", "dstuser": "root"},
}

SURICATA = {
    "timestamp": "2026-10-05T14:22:01.123456+0000",
    "flow_id": 1234567890,
    "event_type": "alert",
    "src_ip": "203.0.113.77",
    "src_port": 44321,
    "dest_ip": "10.0.2.15",
    "dest_port": 443,
    "proto": "TCP",
    "host": "sensor-01",
    "alert": {
        "action": "allowed",
        "signature_id": 2024897,
        "signature": "ET EXPLOIT Apache Struts RCE",
        "category": "Attempted Administrator Privilege Gain",
        "severity": 1,
        "metadata": {
            "mitre_technique_id": ["T1190"],
            "mitre_tactic_name": ["Initial_Access"],
            "signature_severity": ["Major"],
        },
    },
}

OS_FINDING = {
    "id": "f-1",
    "related_doc_ids": ["d1"],
    "monitor_id": "m1",
    "monitor_name": "windows detector",
    "index": "windows-logs",
    "queries": [
        {
            "id": "q1",
            "name": "Suspicious Encoded PowerShell",
            "tags": ["high", "attack.execution", "attack.t1059.001"],
        }
    ],
    "timestamp": 1791363600000,
    "detector_type": "windows",
}

OS_ALERT = {
    "monitor_id": "m2",
    "monitor_name": "Failed logins",
    "trigger_id": "t2",
    "trigger_name": "More than 50 per minute",
    "severity": "2",
    "state": "ACTIVE",
    "start_time": 1791363600000,
}

ECS = {
    "@timestamp": "2026-10-06T11:00:00Z",
    "event": {"kind": "alert", "risk_score": 80, "id": "evt-9", "category": ["iam"]},
    "rule": {"name": "AWS IAM access key created for root", "id": "aws-1"},
    "user": {"name": "root"},
    "threat": {"technique": {"id": ["T1098.001"]}, "tactic": {"name": ["Persistence"]}},
    "tags": ["aws", "cloud"],
}


def _map(doc: dict[str, Any], **kw: Any):  # type: ignore[no-untyped-def]
    if "_source" in doc:
        return map_document(doc["_source"], source="t", raw=doc, index=doc["_index"], doc_id=doc["_id"], **kw)
    return map_document(doc, source="t", **kw)


def test_elastic_security_alert() -> None:
    a = _map(ELASTIC_HIT)
    assert a.profile == "elastic"
    assert (a.rule_name, a.rule_id, a.severity, a.risk_score) == (
        "Potential Password Spraying",
        "e0d7-rule",
        Severity.MEDIUM,
        47.0,
    )
    assert a.fired_at == datetime(2026, 10, 2, 10, 0, tzinfo=UTC)
    assert (a.host, a.user, a.src_ip) == ("dc01", "svc_backup", "203.0.113.40")
    assert a.tactics == ("Credential Access",) and a.techniques == ("T1110", "T1110.003")
    assert a.index == ELASTIC_HIT["_index"] and a.doc_id == "5f1c0d3e"
    assert a.raw == ELASTIC_HIT  # the whole hit is kept


def test_dotted_and_nested_spellings_map_the_same() -> None:
    nested = {
        "@timestamp": "2026-10-02T10:00:00Z",
        "kibana": {"alert": {"rule": {"name": "X", "tags": ["a"]}, "severity": "high"}},
        "host.name": "h1",
    }
    dotted = {
        "@timestamp": "2026-10-02T10:00:00Z",
        "kibana.alert.rule.name": "X",
        "kibana.alert": {"severity": "high", "rule.tags": ["a"]},
        "host": {"name": "h1"},
    }
    a, b = _map(nested), _map(dotted)
    assert a.model_dump(exclude={"raw"}) == b.model_dump(exclude={"raw"})
    assert get(dotted, "kibana.alert.rule.tags") == ["a"]


def test_legacy_signal() -> None:
    a = _map(LEGACY)
    assert a.profile == "elastic-legacy"
    assert (a.rule_name, a.severity, a.techniques, a.host) == (
        "Sudo Privilege Escalation",
        Severity.HIGH,
        ("T1548",),
        "build-02",
    )


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        (2, "informational"),
        (5, "low"),
        (7, "medium"),
        (10, "high"),
        (12, "high"),
        (13, "critical"),
        (15, "critical"),
    ],
)
def test_wazuh_levels(level: int, severity: str) -> None:
    doc = {**WAZUH, "rule": {**WAZUH["rule"], "level": level}}
    assert _map(doc).severity == severity


def test_wazuh() -> None:
    a = _map(WAZUH)
    assert a.profile == "wazuh"
    assert (a.title, a.rule_id, a.host, a.user, a.src_ip, a.doc_id) == (
        "sshd: brute force trying to get access to the system.",
        "5712",
        "web-prod-01",
        "root",
        "198.51.100.7",
        "1696320862.123456",
    )
    assert a.fired_at == datetime(2026, 10, 3, 9, 14, 22, 123000, tzinfo=UTC)
    assert "authentication_failures" in a.tags


def test_suricata() -> None:
    a = _map(SURICATA)
    assert a.profile == "suricata"
    assert (a.title, a.rule_id, a.severity, a.src_ip, a.dst_ip, a.techniques) == (
        "ET EXPLOIT Apache Struts RCE",
        "2024897",
        Severity.HIGH,
        "203.0.113.77",
        "10.0.2.15",
        ("T1190",),
    )
    low = {**SURICATA, "alert": {**SURICATA["alert"], "severity": 3, "metadata": {}}}
    assert _map(low).severity == Severity.LOW


def test_opensearch_finding_and_alert() -> None:
    f = _map(OS_FINDING)
    assert f.profile == "opensearch"
    assert (f.title, f.severity, f.techniques, f.tactics) == (
        "Suspicious Encoded PowerShell",
        Severity.HIGH,
        ("T1059.001",),
        ("Execution",),
    )
    a = _map(OS_ALERT)
    assert (a.title, a.severity) == ("Failed logins: More than 50 per minute", Severity.HIGH)
    assert a.fired_at == datetime.fromtimestamp(1791363600, UTC)


def test_generic_ecs() -> None:
    a = _map(ECS)
    assert a.profile == "ecs"
    assert (a.title, a.severity, a.techniques, a.doc_id) == (
        "AWS IAM access key created for root",
        Severity.CRITICAL,
        ("T1098.001",),
        "evt-9",
    )


def test_profile_by_name_and_unknown_profile() -> None:
    assert _map(ECS, profile="ecs").profile == "ecs"
    with pytest.raises(MappingError, match="unknown mapping profile"):
        _map(ECS, profile="splunk")


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"hello": "world"}, "unknown alert format"),
        ({**WAZUH, "rule": {**WAZUH["rule"], "level": "very"}}, "rule.level"),
        ({**WAZUH, "timestamp": "not a time"}, "timestamp"),
        ({**ECS, "@timestamp": {"nested": 1}}, "@timestamp"),
        ({k: v for k, v in ECS.items() if k != "@timestamp"}, "no time field"),
        ({**OS_ALERT, "severity": None}, "severity"),
        ({**ELASTIC_HIT["_source"], "kibana.alert.severity": "urgent"}, "unknown severity"),
        ({**ELASTIC_HIT["_source"], "kibana.alert.rule.name": None}, "no rule name or title"),
    ],
)
def test_unmappable_documents_raise_a_reason(doc: dict[str, Any], reason: str) -> None:
    with pytest.raises(MappingError, match=reason):
        _map(doc)


def test_wrong_types_in_optional_fields_are_tolerated() -> None:
    doc = {**ELASTIC_HIT["_source"], "host": {"name": {"weird": True}}, "user": {"name": ["a", "b"]}}
    a = _map(doc)
    assert a.host is None and a.user == "a, b"
    assert a.raw["host"] == {"name": {"weird": True}}  # nothing lost


def test_huge_fields_are_bounded_in_the_summary_but_kept_whole_in_raw() -> None:
    huge = "A" * 2_000_000
    a = _map({**ECS, "rule": {"name": huge}})
    assert len(a.title) <= 4096
    assert a.raw["rule"]["name"] == huge


def test_detect_chooses_per_document() -> None:
    assert [
        detect(d).name for d in (ELASTIC_HIT["_source"], LEGACY, WAZUH, SURICATA, OS_FINDING, OS_ALERT, ECS)
    ] == [
        "elastic",
        "elastic-legacy",
        "wazuh",
        "suricata",
        "opensearch",
        "opensearch",
        "ecs",
    ]


def test_an_attack_discovery_has_its_own_title_tactics_and_a_mean_risk() -> None:
    # the fields of a Kibana 9.3 attack discovery (tests/corpus/elastic/, attack_alerts archive)
    doc = {
        "@timestamp": "2025-11-20T13:15:01.149Z",
        "kibana.alert.uuid": "ad-1",
        "kibana.alert.rule.name": "Insights_Testing",
        "kibana.alert.risk_score": 792,
        "kibana.alert.attack_discovery.alert_ids": [f"a{n}" for n in range(8)],
        "kibana.alert.attack_discovery.title": "Office to certutil to custom loader",
        "kibana.alert.attack_discovery.mitre_attack_tactics": ["Initial Access", "Execution"],
    }
    alert = map_document(doc, source="t")
    assert alert.title == "Office to certutil to custom loader" and alert.rule_name == "Insights_Testing"
    assert alert.severity == "critical"  # 792 over 8 alerts: 99, not a 792 read as a score
    assert alert.tactics == ("Initial Access", "Execution")
    doc["kibana.alert.risk_score"] = 240  # a mean of 30: medium
    assert map_document(doc, source="t").severity == "medium"
