"""Coercion of document values shared by every mapping profile.

Each helper takes whatever a source wrote (a scalar, a list, nothing) and gives the one type an
``Alert`` field wants, or raises ``MappingError`` with the field it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from triage.clock import parse_time
from triage.domain.alert import Severity
from triage.errors import MappingError
from triage.mapping.lookup import get

_TECH_RE = re.compile(r"^T\d{4}(\.\d{3})?$", re.IGNORECASE)


def text(value: Any) -> str | None:
    """A scalar as text; lists of scalars joined; anything else is not a text field."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, str):
        return value or None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        items = [text(v) for v in value if not isinstance(v, (dict, list))]
        joined = ", ".join(i for i in items if i)
        return joined or None
    return None


def as_list(value: Any) -> list[str]:
    """A scalar or a list of scalars as distinct texts, in their order."""
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    out = []
    for v in value:
        t = text(v) if not isinstance(v, (dict, list)) else None
        if t and t not in out:
            out.append(t)
    return out


def techniques(values: Iterable[str]) -> list[str]:
    """The distinct MITRE ATT&CK technique ids (``T1234``, ``T1234.001``) among ``values``."""
    out = []
    for v in values:
        v = v.strip().upper()
        if _TECH_RE.match(v) and v not in out:
            out.append(v)
    return out


def number(value: Any) -> float | None:
    """A number, or text that reads as one; anything else (booleans too) is none."""
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


def time(doc: dict[str, Any], *paths: str) -> datetime:
    """The first of ``paths`` that is set, as an aware time."""
    for path in paths:
        value = get(doc, path)
        if value in (None, ""):
            continue
        try:
            return parse_time(value)
        except (ValueError, OverflowError, TypeError) as exc:
            raise MappingError(f"field {path}: {exc}") from None
    raise MappingError(f"no time field (looked for {', '.join(paths)})")


def severity(value: Any, field: str) -> Severity:
    """A severity name or number, read by ``Severity.parse``."""
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise MappingError(f"field {field}: {exc}") from None


def elastic_threat(threats: Any) -> tuple[list[str], list[str]]:
    """Tactic names and technique ids from an Elastic-style ``threat`` list."""
    tactics: list[str] = []
    found: list[str] = []
    if isinstance(threats, dict):
        threats = [threats]
    if not isinstance(threats, list):
        return tactics, found
    for threat in threats:
        if not isinstance(threat, dict):
            continue
        name = text(get(threat, "tactic.name"))
        if name and name not in tactics:
            tactics.append(name)
        techs = get(threat, "technique") or []
        for tech in techs if isinstance(techs, list) else [techs]:
            if not isinstance(tech, dict):
                continue
            found.extend(as_list(tech.get("id")))
            subs = tech.get("subtechnique") or []
            for sub in subs if isinstance(subs, list) else [subs]:
                if isinstance(sub, dict):
                    found.extend(as_list(sub.get("id")))
    return tactics, techniques(found)
