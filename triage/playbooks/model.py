"""Playbooks: what to do for a kind of alert, in which order, and how fast."""

from __future__ import annotations

import fnmatch
import re
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from triage.clock import parse_duration
from triage.domain.alert import Alert, Severity

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_TECHNIQUE_RE = re.compile(r"^T\d{4}(\.\d{3})?$")


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str = Field(min_length=1)
    description: str = ""
    required: bool = False

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError(
                f"step id {v!r} must be lower-case letters, digits, '-' or '_' (e.g. 'contain-host')"
            )
        return v


class Target(BaseModel):
    """How soon an alert of one severity must be acknowledged and closed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    acknowledge: timedelta
    close: timedelta

    @field_validator("acknowledge", "close", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> timedelta:
        if isinstance(v, timedelta):
            return v
        return parse_duration(v)

    @model_validator(mode="after")
    def _order(self) -> Target:
        if self.close < self.acknowledge:
            raise ValueError("close target is shorter than the acknowledge target")
        return self


class Match(BaseModel):
    """Any listed rule name (glob), tag, technique (prefix: T1110 covers T1110.003) matches;
    ``sources`` and ``profiles``, when given, restrict where it applies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule_names: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    techniques: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()

    @field_validator("techniques")
    @classmethod
    def _techniques(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for t in v:
            if not _TECHNIQUE_RE.match(t):
                raise ValueError(f"{t!r} is not a MITRE ATT&CK technique id (e.g. T1110 or T1110.003)")
        return v

    def is_empty(self) -> bool:
        return not (self.rule_names or self.tags or self.techniques)

    def matches(self, alert: Alert) -> bool:
        return self.compiled().matches(alert)

    def compiled(self) -> CompiledMatch:
        return CompiledMatch(self)


class CompiledMatch:
    """A ``Match`` turned into one regex per list, for the ingest hot path."""

    def __init__(self, match: Match) -> None:
        def union(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
            if not patterns:
                return None
            return re.compile("|".join(f"(?:{fnmatch.translate(p.lower())})" for p in patterns))

        self.sources = union(match.sources)
        self.profiles = frozenset(match.profiles)
        self.names = union(match.rule_names)
        self.tags = frozenset(t.lower() for t in match.tags)
        self.techniques = frozenset(match.techniques)

    def matches(self, alert: Alert) -> bool:
        if self.sources is not None and not self.sources.match(alert.source.lower()):
            return False
        if self.profiles and alert.profile not in self.profiles:
            return False
        if self.names is not None and self.names.match((alert.rule_name or alert.title).lower()):
            return True
        if self.tags and any(t.lower() in self.tags for t in alert.tags):
            return True
        if self.techniques:
            for tech in alert.techniques:
                # T1110.003 is covered by T1110
                if tech in self.techniques or tech.partition(".")[0] in self.techniques:
                    return True
        return False


class Playbook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str = Field(min_length=1)
    description: str = ""
    version: int = Field(default=1, ge=1)
    default: bool = False
    priority: int = 0
    match: Match = Match()
    targets: dict[Severity, Target]
    steps: tuple[Step, ...] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError(f"playbook id {v!r} must be lower-case letters, digits, '-' or '_'")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Playbook:
        seen: set[str] = set()
        for step in self.steps:
            if step.id in seen:
                raise ValueError(f"steps: step id {step.id!r} is used twice")
            seen.add(step.id)
        missing = [s.value for s in Severity if s not in self.targets]
        if missing:
            raise ValueError(f"targets: no time targets for severity {', '.join(missing)}")
        if not self.default and self.match.is_empty():
            raise ValueError(
                "match: give at least one of rule_names, tags or techniques (or set default: true)"
            )
        return self

    @property
    def required_steps(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.steps if s.required)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def target_for(self, severity: Severity) -> Target:
        return self.targets[severity]
