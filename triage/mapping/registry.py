"""Field-mapping profiles: each real alert format in, one normalised ``Alert`` out.

A profile is chosen per document (``detect``) or by name. It never raises
anything but ``MappingError``, whose message becomes the quarantine reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from triage.clock import parse_time
from triage.domain.alert import Alert, Severity
from triage.errors import MappingError
from triage.mapping.lookup import first, get, has_prefix

_TECH_RE = re.compile(r"^T\d{4}(\.\d{3})?$", re.IGNORECASE)


def _text(value: Any) -> str | None:
    """A scalar as text; lists of scalars joined; anything else is not a text field."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, str):
        return value or None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        items = [_text(v) for v in value if not isinstance(v, (dict, list))]
        joined = ", ".join(i for i in items if i)
        return joined or None
    return None


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    out = []
    for v in value:
        t = _text(v) if not isinstance(v, (dict, list)) else None
        if t and t not in out:
            out.append(t)
    return out


def _techniques(values: Iterable[str]) -> list[str]:
    out = []
    for v in values:
        v = v.strip().upper()
        if _TECH_RE.match(v) and v not in out:
            out.append(v)
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _time(doc: dict[str, Any], *paths: str) -> datetime:
    for path in paths:
        value = get(doc, path)
        if value in (None, ""):
            continue
        try:
            return parse_time(value)
        except (ValueError, OverflowError, TypeError) as exc:
            raise MappingError(f"field {path}: {exc}") from None
    raise MappingError(f"no time field (looked for {', '.join(paths)})")


def _severity(value: Any, field: str) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise MappingError(f"field {field}: {exc}") from None


def _elastic_threat(threats: Any) -> tuple[list[str], list[str]]:
    tactics: list[str] = []
    techniques: list[str] = []
    if isinstance(threats, dict):
        threats = [threats]
    if not isinstance(threats, list):
        return tactics, techniques
    for threat in threats:
        if not isinstance(threat, dict):
            continue
        name = _text(get(threat, "tactic.name"))
        if name and name not in tactics:
            tactics.append(name)
        techs = get(threat, "technique") or []
        for tech in techs if isinstance(techs, list) else [techs]:
            if not isinstance(tech, dict):
                continue
            techniques.extend(_list(tech.get("id")))
            subs = tech.get("subtechnique") or []
            for sub in subs if isinstance(subs, list) else [subs]:
                if isinstance(sub, dict):
                    techniques.extend(_list(sub.get("id")))
    return tactics, _techniques(techniques)


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    detect: Callable[[dict[str, Any]], bool]
    fields: Callable[[dict[str, Any]], dict[str, Any]]
    # Whether the source rewrites an alert in place (a new version under the same key is an
    # update), for every document or by document, and the field triage itself writes back
    # there (a change of it alone is ours).
    updates_in_place: bool | Callable[[dict[str, Any]], bool] = False
    status_field: str | None = None
    # What else, besides its id, tells one document's origin from another's (a Wazuh id is
    # unique per manager only): part of the alert's key when no search index gives one.
    scope: Callable[[dict[str, Any]], str | None] | None = None

    def rewrites(self, doc: Any) -> bool:
        """Whether the source updates this document in place."""
        if callable(self.updates_in_place):
            return isinstance(doc, dict) and self.updates_in_place(doc)
        return self.updates_in_place


def _elastic_fields(doc: dict[str, Any]) -> dict[str, Any]:
    rule = _text(get(doc, "kibana.alert.rule.name"))
    score = _number(get(doc, "kibana.alert.risk_score"))
    sev_raw = get(doc, "kibana.alert.severity")
    if sev_raw is not None:
        severity = _severity(sev_raw, "kibana.alert.severity")
    elif score is not None:
        severity = Severity.from_risk_score(score)
    else:
        raise MappingError("no kibana.alert.severity or kibana.alert.risk_score")
    tactics, techniques = _elastic_threat(get(doc, "kibana.alert.rule.threat"))
    return {
        "doc_id": _text(get(doc, "kibana.alert.uuid")),
        "rule_name": rule,
        "rule_id": _text(first(doc, "kibana.alert.rule.rule_id", "kibana.alert.rule.uuid")),
        "title": rule or _text(get(doc, "kibana.alert.reason")),
        "severity": severity,
        "risk_score": score,
        "fired_at": _time(doc, "@timestamp", "kibana.alert.start", "kibana.alert.original_time"),
        "tactics": tactics,
        "techniques": techniques,
        "tags": _list(get(doc, "kibana.alert.rule.tags")),
    }


def _legacy_fields(doc: dict[str, Any]) -> dict[str, Any]:
    rule = _text(get(doc, "signal.rule.name"))
    score = _number(get(doc, "signal.rule.risk_score"))
    sev_raw = get(doc, "signal.rule.severity")
    if sev_raw is not None:
        severity = _severity(sev_raw, "signal.rule.severity")
    elif score is not None:
        severity = Severity.from_risk_score(score)
    else:
        raise MappingError("no signal.rule.severity or signal.rule.risk_score")
    tactics, techniques = _elastic_threat(get(doc, "signal.rule.threat"))
    return {
        "doc_id": None,
        "rule_name": rule,
        "rule_id": _text(first(doc, "signal.rule.rule_id", "signal.rule.id")),
        "title": rule or _text(get(doc, "signal.reason")),
        "severity": severity,
        "risk_score": score,
        "fired_at": _time(doc, "@timestamp", "signal.original_time"),
        "tactics": tactics,
        "techniques": techniques,
        "tags": _list(get(doc, "signal.rule.tags")),
    }


def _wazuh_severity(level: Any) -> Severity:
    n = _number(level)
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
    desc = _text(get(doc, "rule.description"))
    return {
        "doc_id": _text(get(doc, "id")),
        "rule_name": desc,
        "rule_id": _text(get(doc, "rule.id")),
        "title": desc,
        "severity": _wazuh_severity(get(doc, "rule.level")),
        "risk_score": None,
        "fired_at": _time(doc, "timestamp", "@timestamp"),
        "host": _text(first(doc, "agent.name", "predecoder.hostname", "manager.name")),
        "user": _text(
            first(
                doc,
                "data.dstuser",
                "data.srcuser",
                "data.win.eventdata.targetUserName",
                "data.win.eventdata.subjectUserName",
                "data.aws.userIdentity.userName",
            )
        ),
        "src_ip": _text(first(doc, "data.srcip", "data.aws.sourceIPAddress")),
        "dst_ip": _text(get(doc, "data.dstip")),
        "tactics": _list(get(doc, "rule.mitre.tactic")),
        "techniques": _techniques(_list(get(doc, "rule.mitre.id"))),
        "tags": _list(get(doc, "rule.groups")),
    }


_SURICATA_SIG_SEVERITY = {
    "critical": Severity.CRITICAL,
    "major": Severity.HIGH,
    "minor": Severity.LOW,
    "informational": Severity.INFORMATIONAL,
    "audit": Severity.INFORMATIONAL,
}
_SURICATA_PRIORITY = {1: Severity.HIGH, 2: Severity.MEDIUM, 3: Severity.LOW}


def _suricata_fields(doc: dict[str, Any]) -> dict[str, Any]:
    signature = _text(get(doc, "alert.signature"))
    sig_sev = _list(get(doc, "alert.metadata.signature_severity"))
    if sig_sev and sig_sev[0].lower() in _SURICATA_SIG_SEVERITY:
        severity = _SURICATA_SIG_SEVERITY[sig_sev[0].lower()]
    else:
        prio = _number(get(doc, "alert.severity"))
        if prio is None:
            raise MappingError("field alert.severity: missing or not a number")
        severity = _SURICATA_PRIORITY.get(int(prio), Severity.INFORMATIONAL)
    tags = _list(get(doc, "alert.category")) + _list(get(doc, "alert.metadata.tag"))
    return {
        "doc_id": None,
        "rule_name": signature,
        "rule_id": _text(get(doc, "alert.signature_id")),
        "title": signature,
        "severity": severity,
        "risk_score": None,
        "fired_at": _time(doc, "timestamp", "@timestamp"),
        "host": _text(get(doc, "host")),
        "src_ip": _text(get(doc, "src_ip")),
        "dst_ip": _text(get(doc, "dest_ip")),
        "tactics": _list(get(doc, "alert.metadata.mitre_tactic_name")),
        "techniques": _techniques(
            _list(get(doc, "alert.metadata.mitre_technique_id"))
            + _list(get(doc, "alert.metadata.mitre_subtechnique_id"))
        ),
        "tags": tags,
    }


_OS_ALERTING_SEVERITY = {
    "1": Severity.CRITICAL,
    "2": Severity.HIGH,
    "3": Severity.MEDIUM,
    "4": Severity.LOW,
    "5": Severity.INFORMATIONAL,
}
_LEVELS = {s.value for s in Severity} | {"info"}


def _opensearch_fields(doc: dict[str, Any]) -> dict[str, Any]:
    queries = doc.get("queries")
    if isinstance(queries, list) and queries:
        # Security Analytics finding: Sigma-style tags carry level, tactics and techniques.
        tags_all: list[str] = []
        names: list[str] = []
        for q in queries:
            if isinstance(q, dict):
                tags_all.extend(_list(q.get("tags")))
                name = _text(q.get("name"))
                if name:
                    names.append(name)
        levels = [t.lower() for t in tags_all if t.lower() in _LEVELS]
        severity = (
            max((Severity.parse(lv) for lv in levels), key=lambda s: s.rank) if levels else Severity.MEDIUM
        )
        attack = [t[len("attack.") :] for t in tags_all if t.lower().startswith("attack.")]
        techniques = _techniques(a for a in attack if a.lower().startswith("t"))
        tactics = [a.replace("_", " ").title() for a in attack if not a.lower().startswith("t")]
        other = [t for t in tags_all if t.lower() not in _LEVELS and not t.lower().startswith("attack.")]
        detector = _text(doc.get("detector_type"))
        rule = names[0] if names else _text(doc.get("monitor_name"))
        return {
            "doc_id": _text(doc.get("id")),
            "rule_name": rule,
            "rule_id": _text(queries[0].get("id")) if isinstance(queries[0], dict) else None,
            "title": rule or "Security Analytics finding",
            "severity": severity,
            "risk_score": None,
            "fired_at": _time(doc, "timestamp", "@timestamp"),
            "tactics": tactics,
            "techniques": techniques,
            "tags": other + ([detector] if detector else []),
        }
    # Alerting plugin alert (.opendistro-alerting-alerts), a Security Analytics alert
    # (detector_id) or a threat-intelligence alert or IOC finding (ioc_value).
    detector = _text(first(doc, "detector_id", "detectorId"))
    ioc = _text(doc.get("ioc_value"))
    sev = _text(doc.get("severity"))
    if sev is not None:
        severity = _OS_ALERTING_SEVERITY.get(sev) or _severity(sev, "severity")
    elif detector or ioc:
        severity = Severity.MEDIUM  # their severity lives in the detector's trigger, not the alert
    else:
        raise MappingError("field severity: missing (OpenSearch alerting uses 1 to 5)")
    monitor = _text(doc.get("monitor_name"))
    trigger = _text(doc.get("trigger_name"))
    title = f"{monitor}: {trigger}" if monitor and trigger else (trigger or monitor)
    if ioc:
        title = f"{title or 'Threat intelligence'}: {_text(doc.get('ioc_type')) or 'IOC'} {ioc}"
    tags = [t for t in (_text(doc.get("state")), _text(doc.get("ioc_type"))) if t]
    return {
        "doc_id": _text(doc.get("id")),
        "rule_name": monitor or trigger,
        "rule_id": _text(first(doc, "monitor_id", "trigger_id", "detector_id", "detectorId")),
        "title": title,
        "severity": severity,
        "risk_score": None,
        "fired_at": _time(doc, "start_time", "last_notification_time", "timestamp", "@timestamp"),
        "tags": tags + ([f"detector:{detector}"] if detector else []),
    }


def _is_opensearch(d: dict[str, Any]) -> bool:
    if "monitor_name" in d or "monitor_id" in d:
        return "trigger_name" in d or "queries" in d or "related_doc_ids" in d or "ioc_value" in d
    if "detector_id" in d or "detectorId" in d:  # Security Analytics alert or finding
        return "trigger_name" in d or "queries" in d
    return "ioc_value" in d and "trigger_name" in d  # threat-intelligence alert


def _ecs_fields(doc: dict[str, Any]) -> dict[str, Any]:
    rule = _text(get(doc, "rule.name"))
    score = _number(first(doc, "event.risk_score", "risk_score", "event.risk_score_norm"))
    sev_raw = first(doc, "event.severity", "log.level", "severity")
    severity: Severity
    if isinstance(sev_raw, str) and _number(sev_raw) is None:
        severity = _severity(sev_raw, "event.severity")
    elif score is not None:
        severity = Severity.from_risk_score(score)
    elif _number(sev_raw) is not None:
        severity = Severity.from_risk_score(_number(sev_raw) or 0.0)
    else:
        raise MappingError("no event.severity, event.risk_score or log.level")
    techniques = _techniques(
        _list(get(doc, "threat.technique.id")) + _list(get(doc, "threat.technique.subtechnique.id"))
    )
    tactics = _list(get(doc, "threat.tactic.name"))
    threats = get(doc, "threat")
    if isinstance(threats, list):  # some pipelines write Elastic-style threat lists
        t2, k2 = _elastic_threat(threats)
        tactics += [t for t in t2 if t not in tactics]
        techniques += [k for k in k2 if k not in techniques]
    return {
        "doc_id": _text(get(doc, "event.id")),
        "rule_name": rule,
        "rule_id": _text(first(doc, "rule.id", "rule.uuid")),
        "title": rule or _text(get(doc, "message")),
        "severity": severity,
        "risk_score": score,
        "fired_at": _time(doc, "@timestamp", "event.created"),
        "tactics": tactics,
        "techniques": techniques,
        "tags": _list(get(doc, "tags")) + _list(get(doc, "event.category")),
    }


def _wazuh_scope(doc: dict[str, Any]) -> str | None:
    return _text(first(doc, "cluster.node", "manager.name", "cluster.name"))


def _is_wazuh(doc: dict[str, Any]) -> bool:
    return get(doc, "rule.level") is not None and (
        "agent" in doc or "decoder" in doc or "manager" in doc or "agent.name" in doc
    )


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "elastic",
            "Elastic Security detection alerts (kibana.alert.*, 8.x and later)",
            lambda d: has_prefix(d, "kibana.alert"),
            _elastic_fields,
            updates_in_place=True,
            status_field="kibana.alert.workflow_status",
        ),
        Profile(
            "elastic-legacy",
            "Elastic SIEM signals (signal.*, 7.x .siem-signals indices)",
            lambda d: has_prefix(d, "signal.rule"),
            _legacy_fields,
            updates_in_place=True,
            status_field="signal.status",
        ),
        Profile(
            "wazuh",
            "Wazuh manager alerts (alerts.json, wazuh-alerts-*)",
            _is_wazuh,
            _wazuh_fields,
            scope=_wazuh_scope,
        ),
        Profile(
            "suricata",
            "Suricata EVE JSON alerts (event_type alert)",
            lambda d: d.get("event_type") == "alert" and get(d, "alert.signature") is not None,
            _suricata_fields,
        ),
        Profile(
            "opensearch",
            "OpenSearch Alerting alerts and Security Analytics findings",
            _is_opensearch,
            _opensearch_fields,
            # Alerting and threat-intelligence alerts change state in place (ACTIVE,
            # ACKNOWLEDGED, COMPLETED); findings are written once.
            updates_in_place=lambda d: "state" in d,
        ),
        Profile(
            "ecs",
            "Generic ECS alert documents (event.kind alert or signal, rule.name)",
            lambda d: (
                get(d, "event.kind") in ("alert", "signal")
                or (get(d, "rule.name") is not None and "@timestamp" in d)
            ),
            _ecs_fields,
        ),
    )
}


def detect(doc: dict[str, Any]) -> Profile:
    for profile in PROFILES.values():
        if profile.detect(doc):
            return profile
    keys = ", ".join(sorted(str(k) for k in doc)[:8])
    raise MappingError(f"unknown alert format (no profile recognises a document with keys: {keys})")


def profile_named(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise MappingError(
            f"unknown mapping profile {name!r} (known: {', '.join(PROFILES)}, or auto)"
        ) from None


def map_document(
    doc: Any,
    *,
    source: str,
    raw: dict[str, Any] | None = None,
    index: str | None = None,
    doc_id: str | None = None,
    profile: str | None = None,
) -> Alert:
    """Map one document to an alert. ``raw`` is what is kept (the whole search hit, say);
    ``doc`` is the alert document inside it."""
    if not isinstance(doc, dict):
        raise MappingError(f"expected a JSON object, got {type(doc).__name__}")
    prof = detect(doc) if profile in (None, "auto") else profile_named(profile)
    try:
        fields = prof.fields(doc)
    except MappingError:
        raise
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
        raise MappingError(f"{prof.name}: unexpected document shape ({exc})") from None
    mapped_id = fields.pop("doc_id", None)
    if not fields.get("title"):
        raise MappingError(f"{prof.name}: no rule name or title in the document")
    fields.setdefault("host", _text(first(doc, "host.name", "host.hostname")))
    fields.setdefault("user", _text(first(doc, "user.name", "user.email")))
    fields.setdefault("src_ip", _text(first(doc, "source.ip", "client.ip")))
    fields.setdefault("dst_ip", _text(first(doc, "destination.ip", "server.ip")))
    fields.setdefault("tactics", [])
    fields.setdefault("techniques", [])
    fields.setdefault("tags", [])
    try:
        return Alert(
            source=source,
            profile=prof.name,
            index=index,
            doc_id=doc_id or mapped_id,
            raw=raw if raw is not None else doc,
            **fields,
        )
    except ValidationError as exc:
        first_err = exc.errors()[0]
        loc = ".".join(str(p) for p in first_err["loc"])
        raise MappingError(f"{prof.name}: field {loc}: {first_err['msg']}") from None
