"""Tabletop scenarios: a folder with ``scenario.yaml`` and the recorded alerts it replays.

``scenario.yaml`` holds the title, objectives, participants' roles, the disposition expected
for each alert (by document id or by a match rule), the escalations expected, and timed
injects (``"T+12m: the customer reports ..."``). The alerts are NDJSON (or JSON) files in the
real formats triage reads. Loading collects every problem as ``file:line: field: message``;
unreadable alert lines are not fatal: they are listed in ``Scenario.skipped`` and the rest plays.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from triage import yamldoc
from triage.domain.alert import Alert
from triage.domain.states import Disposition
from triage.errors import InputError, MappingError, ScenarioError
from triage.mapping import map_document
from triage.sources.base import RawRecord
from triage.sources.files import FileSource

SCENARIO_FILE = "scenario.yaml"
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
_OFFSET_RE = re.compile(r"^T\+((?:\d+[smhd])+|0)$")
_INJECT_RE = re.compile(r"^\s*(T\+\S+?)\s*:\s*(.*\S)\s*$", re.DOTALL)
_PART_RE = re.compile(r"(\d+)([smhd])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MATCH_FIELDS = ("doc_id", "rule_name", "host", "user", "src_ip", "profile")


def parse_offset(text: str) -> timedelta:
    """``T+0``, ``T+90s``, ``T+12m``, ``T+1h30m``: time since the first alert."""
    m = _OFFSET_RE.match(text.strip())
    if not m:
        raise ValueError(
            f"{text!r} is not a time into the exercise; write T+ and a duration: T+90s, T+12m, T+1h30m"
        )
    return timedelta(seconds=sum(int(n) * _UNIT_S[u] for n, u in _PART_RE.findall(m.group(1))))


def format_offset(seconds: float) -> str:
    """The inverse of ``parse_offset`` (whole seconds): ``T+1h30m``."""
    s = int(seconds)
    if s <= 0:
        return "T+0"
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if s >= size:
            out += f"{s // size}{unit}"
            s %= size
    return "T+" + out


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern.lower()))


class AlertMatch(BaseModel):
    """Which alerts a rule is about: every field given must match (globs, case-insensitive).
    ``rule_name`` matches the rule name or, failing one, the title."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    doc_id: str | None = None
    rule_name: str | None = None
    host: str | None = None
    user: str | None = None
    src_ip: str | None = None
    profile: str | None = None

    @model_validator(mode="after")
    def _something(self) -> AlertMatch:
        if all(getattr(self, f) is None for f in MATCH_FIELDS):
            raise ValueError(
                f"give at least one of {', '.join(MATCH_FIELDS)} to say which alerts this is about"
            )
        return self

    def matches(self, facts: Mapping[str, Any]) -> bool:
        """``facts``: an alert's ``doc_id``, ``rule_name``, ``title``, ``host``, ``user``,
        ``src_ip`` and ``profile``."""
        if self.doc_id is not None and facts.get("doc_id") != self.doc_id:
            return False
        for name in ("rule_name", "host", "user", "src_ip", "profile"):
            pattern = getattr(self, name)
            if pattern is None:
                continue
            value = facts.get(name) or (facts.get("title") if name == "rule_name" else None)
            if value is None or not _glob(pattern).match(str(value).lower()):
                return False
        return True

    def describe(self) -> str:
        return ", ".join(f"{f}={getattr(self, f)}" for f in MATCH_FIELDS if getattr(self, f) is not None)


class Expectation(AlertMatch):
    """The disposition expected for the alerts this rule matches (one, or any of a list)."""

    disposition: tuple[Disposition, ...]
    why: str = ""

    @field_validator("disposition", mode="before")
    @classmethod
    def _one_or_more(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


class Escalation(BaseModel):
    """At least one alert the rule matches must be escalated to an incident (or linked to
    one), within ``within`` of the first such alert's arrival when given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    match: AlertMatch
    within: timedelta | None = None

    @field_validator("within", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> Any:
        if v is None or isinstance(v, timedelta):
            return v
        if isinstance(v, str) and v.strip().startswith("T+"):
            return parse_offset(v)
        return parse_offset(f"T+{v}") if isinstance(v, str) else timedelta(seconds=int(v))

    @field_serializer("within")
    def _within_text(self, v: timedelta | None) -> str | None:
        return format_offset(v.total_seconds())[2:] if v is not None else None


class Inject(BaseModel):
    """A narrative message that falls due ``at`` into the exercise."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: timedelta
    text: str = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _from_line(cls, v: Any) -> Any:
        if isinstance(v, str):
            m = _INJECT_RE.match(v)
            if not m:
                raise ValueError(
                    f"{v[:40]!r}: write an inject as 'T+12m: what happens' (T+ a duration, a colon, the text)"
                )
            return {"at": m.group(1), "text": m.group(2)}
        return v

    @field_validator("at", mode="before")
    @classmethod
    def _offset(cls, v: Any) -> Any:
        return parse_offset(v) if isinstance(v, str) else v

    @field_serializer("at")
    def _at_text(self, v: timedelta) -> str:
        return format_offset(v.total_seconds())

    @property
    def label(self) -> str:
        return format_offset(self.at.total_seconds())


class Role(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: str = Field(min_length=1)
    description: str = ""


class ScenarioSpec(BaseModel):
    """What ``scenario.yaml`` holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str = Field(min_length=1)
    description: str = ""
    objectives: tuple[str, ...] = Field(min_length=1)
    roles: tuple[Role, ...] = Field(min_length=1)
    alerts: tuple[str, ...] = Field(min_length=1, description="alert files, relative to the folder")
    expected: tuple[Expectation, ...] = ()
    default_disposition: tuple[Disposition, ...] | None = None
    escalations: tuple[Escalation, ...] = ()
    injects: tuple[Inject, ...] = ()

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError(
                f"scenario id {v!r}: use lower-case letters, digits and '-' (e.g. leaked-cloud-key)"
            )
        return v

    @field_validator("default_disposition", mode="before")
    @classmethod
    def _one_or_more(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    def expected_for(self, facts: Mapping[str, Any]) -> tuple[tuple[Disposition, ...] | None, int | None]:
        """The dispositions expected for an alert and the index of the rule that said so
        (``None`` for the default, or when nothing is expected)."""
        for i, rule in enumerate(self.expected):
            if rule.matches(facts):
                return rule.disposition, i
        return self.default_disposition, None


@dataclass(frozen=True)
class ScenarioAlert:
    """One recorded alert, where it sits in the stream and what it maps to."""

    n: int  # 1-based, in replay order
    offset_s: float  # seconds after the first alert
    record: RawRecord
    alert: Alert

    def facts(self) -> dict[str, Any]:
        a = self.alert
        return {
            "doc_id": a.doc_id,
            "rule_name": a.rule_name,
            "title": a.title,
            "host": a.host,
            "user": a.user,
            "src_ip": a.src_ip,
            "profile": a.profile,
        }


@dataclass
class Scenario:
    spec: ScenarioSpec
    folder: Path
    alerts: list[ScenarioAlert]
    skipped: list[str] = field(default_factory=list)  # "file line N: why", not replayed
    start: datetime | None = None  # the first alert's time: T+0

    @property
    def duration_s(self) -> float:
        ends = [a.offset_s for a in self.alerts] + [i.at.total_seconds() for i in self.spec.injects]
        return max(ends, default=0.0)

    def summary(self) -> dict[str, Any]:
        """What the exercise log keeps of the scenario: enough to write the minutes from it
        alone (``ScenarioSpec.model_validate(summary["spec"])`` gives the spec back)."""
        return {
            "spec": self.spec.model_dump(mode="json"),
            "alerts": len(self.alerts),
            "skipped": self.skipped,
        }


def scenario_file(path: str | Path) -> Path:
    path = Path(path)
    return path / SCENARIO_FILE if path.is_dir() else path


def load(path: str | Path) -> Scenario:
    """Load a scenario folder (or its ``scenario.yaml``); ``ScenarioError`` lists every problem."""
    file = scenario_file(path)
    if not file.exists():
        raise ScenarioError([f"{file}: no scenario here (a scenario is a folder with {SCENARIO_FILE})"])
    try:
        data, lines = yamldoc.read(file)
    except yamldoc.YamlProblem as exc:
        raise ScenarioError([exc.problem]) from None
    if not isinstance(data, dict):
        raise ScenarioError(
            [f"{file}:1: (top level): a scenario must be a mapping of fields (title, alerts, ...)"]
        )
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(yamldoc.problems(exc, str(file), lines)) from None
    folder = file.parent
    problems: list[str] = []
    records: list[tuple[RawRecord, str]] = []
    for i, name in enumerate(spec.alerts):
        alert_path = (folder / name).resolve()
        where = f"{file}:{yamldoc.line_for(lines, ('alerts', i))}: alerts[{i}]"
        if folder.resolve() not in alert_path.parents:
            problems.append(f"{where}: {name!r} is outside the scenario folder; keep alert files inside it")
        elif not alert_path.is_file():
            problems.append(f"{where}: no file {name!r} in {folder}; give the name of an alerts file there")
        else:
            try:
                records.extend((rec, name) for rec in FileSource(str(alert_path)).records())
            except InputError as exc:
                problems.append(f"{where}: {exc}")
    alerts, skipped = _map(records)
    known_ids = {a.alert.doc_id for a in alerts if a.alert.doc_id}
    for i, rule in enumerate(spec.expected):
        if rule.doc_id is not None and rule.doc_id not in known_ids:
            line = yamldoc.line_for(lines, ("expected", i, "doc_id"))
            problems.append(
                f"{file}:{line}: expected[{i}].doc_id: no alert in the scenario has id {rule.doc_id!r};"
                " use the id of one of its alerts or a match rule"
            )
    if problems:
        raise ScenarioError(problems)
    if not alerts:
        raise ScenarioError(
            [f"{file}:{yamldoc.line_for(lines, ('alerts',))}: alerts: the files hold no readable alert"]
        )
    return Scenario(spec, folder, alerts, skipped, alerts[0].alert.fired_at)


def _map(records: list[tuple[RawRecord, str]]) -> tuple[list[ScenarioAlert], list[str]]:
    mapped: list[tuple[Alert, RawRecord]] = []
    skipped: list[str] = []
    for rec, name in records:
        if rec.error is not None or rec.doc is None:
            skipped.append(f"{name} {rec.location}: {rec.error or 'no document'}")
            continue
        try:
            alert = map_document(rec.doc, source=rec.origin, raw=rec.raw, index=rec.index, doc_id=rec.doc_id)
        except MappingError as exc:
            skipped.append(f"{name} {rec.location}: {exc}")
            continue
        mapped.append((alert, rec))
    mapped.sort(key=lambda pair: pair[0].fired_at)  # stable: file order among equal times
    if not mapped:
        return [], skipped
    t0 = mapped[0][0].fired_at
    return [
        ScenarioAlert(n, (alert.fired_at - t0).total_seconds(), rec, alert)
        for n, (alert, rec) in enumerate(mapped, 1)
    ], skipped
