"""The normalised alert every source format is mapped into."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFORMATIONAL = "informational"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def from_risk_score(cls, score: float) -> Severity:
        """Elastic's convention: 0-21 low, 22-47 medium, 48-73 high, 74-100 critical."""
        if score >= 74:
            return cls.CRITICAL
        if score >= 48:
            return cls.HIGH
        if score >= 22:
            return cls.MEDIUM
        if score > 0:
            return cls.LOW
        return cls.INFORMATIONAL

    @classmethod
    def parse(cls, value: object) -> Severity:
        """Accept our names and the common spellings sources use."""
        if isinstance(value, Severity):
            return value
        s = str(value).strip().lower()
        if s in _ALIASES:
            return _ALIASES[s]
        raise ValueError(f"unknown severity {value!r} (use one of: {', '.join(m.value for m in cls)})")


_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFORMATIONAL: 0,
}
_ALIASES: dict[str, Severity] = {m.value: m for m in Severity}
_ALIASES.update(
    {
        "crit": Severity.CRITICAL,
        "very-high": Severity.CRITICAL,
        "severe": Severity.CRITICAL,
        "med": Severity.MEDIUM,
        "moderate": Severity.MEDIUM,
        "info": Severity.INFORMATIONAL,
        "informational": Severity.INFORMATIONAL,
        "information": Severity.INFORMATIONAL,
        "none": Severity.INFORMATIONAL,
    }
)

_TEXT_LIMIT = 4096
_SURROGATE = re.compile("[\ud800-\udfff\x00]")


def escape_surrogates(text: str) -> str:
    """Valid JSON can hold a lone surrogate (``"\\ud800"``), which no UTF-8 text can, and a NUL
    (``"\\u0000"``), which no PostgreSQL text can: the summary fields show either as its escape
    (``\\ud800``, ``\\u0000``) so they can be stored, printed and exported on every backend; the
    raw document keeps it exactly."""
    if text.isascii():  # a flag of the string, no scan: the common case
        if "\x00" not in text:
            return text
    elif _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


class Alert(BaseModel):
    """A normalised alert. ``raw`` keeps the source document whole."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(description="where it came from: a source name or file")
    profile: str = Field(description="the mapping profile that read it")
    index: str | None = None
    doc_id: str | None = None
    rule_name: str | None = None
    rule_id: str | None = None
    title: str
    severity: Severity
    risk_score: float | None = None
    fired_at: datetime
    host: str | None = None
    user: str | None = None
    src_ip: str | None = None
    dst_ip: str | None = None
    tactics: tuple[str, ...] = ()
    techniques: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    raw: dict[str, Any]

    @field_validator("fired_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("fired_at must carry a time zone")
        return v

    @field_validator(
        "title", "rule_name", "host", "user", "src_ip", "dst_ip", "rule_id", "source", "index", "doc_id"
    )
    @classmethod
    def _bounded(cls, v: str | None) -> str | None:
        # Summary fields are for display and search; the raw document keeps the full text.
        if v is None:
            return v
        if len(v) > _TEXT_LIMIT:
            v = v[: _TEXT_LIMIT - 1] + "…"
        return escape_surrogates(v)

    @field_validator("tactics", "techniques", "tags")
    @classmethod
    def _texts(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(escape_surrogates(t) for t in v)

    def summary(self) -> dict[str, Any]:
        """The normalised fields without ``raw`` (JSON-ready)."""
        d = self.model_dump(mode="json", exclude={"raw"})
        return d
