"""The event catalogue: every action the investigation log can hold, once.

Each action has a name constant (import it; no other module spells an action as a string),
a pydantic payload model with a version (``alert``, ``other``), what it changes (alert,
incident, quarantine, source or nothing) and how it reads to a human (``describe`` for
timelines, ``minutes`` for an exercise's minutes). ``Writer.append`` validates every payload
here before it is written, so an unknown action or a payload that does not fit never reaches
the log; payloads an earlier version wrote are upgraded when read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from pydantic_core import SchemaValidator

from triage.domain.events.alert import (
    ALERT_ACKNOWLEDGED,
    ALERT_ASSIGNED,
    ALERT_CLOSED,
    ALERT_ESCALATED,
    ALERT_EVENTS,
    ALERT_INGESTED,
    ALERT_LINKED,
    ALERT_NOTED,
    ALERT_REOPENED,
    ALERT_SEVERITY_CHANGED,
    ALERT_SOURCE_UPDATED,
    ALERT_STEP_COMPLETED,
    ALERT_UNLINKED,
    ALERT_UPDATED,
    AlertIngested,
    PlaybookSnapshot,
)
from triage.domain.events.base import Changes, Payload
from triage.domain.events.other import (
    EVIDENCE_SIGNED,
    EXERCISE_ENDED,
    EXERCISE_INJECT,
    EXERCISE_RECORDED,
    EXERCISE_STARTED,
    INCIDENT_FIELDS,
    INCIDENT_NOTED,
    INCIDENT_UPDATED,
    INPUT_QUARANTINED,
    NOTIFICATION_KINDS,
    NOTIFICATION_SENT,
    OTHER_EVENTS,
    SHIFT_HANDOVER,
    SOURCE_POLLED,
)
from triage.domain.events.suppression import (
    SUPPRESSION_CHANGED,
    SUPPRESSION_CREATED,
    SUPPRESSION_ENDED,
    SUPPRESSION_EVENTS,
    SUPPRESSION_FIELDS,
)

__all__ = [
    "ALERT_ACKNOWLEDGED",
    "ALERT_ASSIGNED",
    "ALERT_CLOSED",
    "ALERT_ESCALATED",
    "ALERT_INGESTED",
    "ALERT_LINKED",
    "ALERT_NOTED",
    "ALERT_REOPENED",
    "ALERT_SEVERITY_CHANGED",
    "ALERT_SOURCE_UPDATED",
    "ALERT_STEP_COMPLETED",
    "ALERT_UNLINKED",
    "ALERT_UPDATED",
    "ANALYST_ACTIONS",
    "CATALOGUE",
    "EVIDENCE_SIGNED",
    "EXERCISE_ENDED",
    "EXERCISE_INJECT",
    "EXERCISE_RECORDED",
    "EXERCISE_STARTED",
    "INCIDENT_FIELDS",
    "INCIDENT_NOTED",
    "INCIDENT_UPDATED",
    "INPUT_QUARANTINED",
    "NOTIFICATION_KINDS",
    "NOTIFICATION_SENT",
    "SHIFT_HANDOVER",
    "SOURCE_POLLED",
    "SUPPRESSION_CHANGED",
    "SUPPRESSION_CREATED",
    "SUPPRESSION_ENDED",
    "SUPPRESSION_FIELDS",
    "AlertIngested",
    "Changes",
    "InvalidEvent",
    "Payload",
    "PlaybookSnapshot",
    "describe",
    "describe_minutes",
    "read",
    "validate",
]

CATALOGUE: dict[str, type[Payload]] = {
    model.NAME: model for model in (*ALERT_EVENTS, *OTHER_EVENTS, *SUPPRESSION_EVENTS)
}

# What an analyst does (as opposed to what sources, pollers and the exercise runner log): the
# work counted per analyst in the evidence pack and the participants of an exercise.
ANALYST_ACTIONS = frozenset(
    {
        ALERT_ASSIGNED,
        ALERT_ACKNOWLEDGED,
        ALERT_NOTED,
        ALERT_STEP_COMPLETED,
        ALERT_SEVERITY_CHANGED,
        ALERT_ESCALATED,
        ALERT_LINKED,
        ALERT_UNLINKED,
        ALERT_CLOSED,
        ALERT_REOPENED,
        INCIDENT_UPDATED,
        SUPPRESSION_CREATED,
        SUPPRESSION_CHANGED,
        SUPPRESSION_ENDED,
        INCIDENT_NOTED,
    }
)


class InvalidEvent(ValueError):
    """An event the catalogue does not know, or whose payload or target does not fit."""


def model_for(action: str) -> type[Payload]:
    model = CATALOGUE.get(action)
    if model is None:
        raise InvalidEvent(f"unknown action {action!r}")
    return model


_NUMBERED = frozenset({"alert", "incident", "quarantine"})  # target kinds whose ids are numbers


def fields_validator(model: type[Payload]) -> Callable[[Any], Any]:
    """What validating ``model`` checks, without making an instance of it: the validator of its
    fields (the inner part of the model's own core schema, with the model's config), where the
    model adds nothing around them (no custom ``__init__``, no root model), else the model's."""
    schema: Any = model.__pydantic_core_schema__
    inner = schema.get("schema") or {}
    if (
        schema.get("type") == "model"
        and inner.get("type") == "model-fields"
        and not schema.get("custom_init")
        and not schema.get("root_model")
    ):
        return SchemaValidator(inner, schema.get("config")).validate_python
    return model.__pydantic_validator__.validate_python


# Per action, what ``validate`` checks: its target's kind, whether that kind's ids are numbers,
# and the payload model's validator (read from the catalogue once, not on every append).
_CHECKS: dict[str, tuple[str, bool, Callable[[Any], Any]]] = {
    action: (model.TARGET, model.TARGET in _NUMBERED, fields_validator(model))
    for action, model in CATALOGUE.items()
}


def validate(action: str, target: str, payload: dict[str, Any]) -> None:
    """Refuse an event that is not in the catalogue or does not fit it (before it is written)."""
    checks = _CHECKS.get(action)
    if checks is None:
        raise InvalidEvent(f"unknown action {action!r}")
    kind_of, numbered, fits = checks
    kind, sep, ident = target.partition(":")
    if kind != kind_of or not sep or not ident:
        raise InvalidEvent(f"{action}: target {target!r} is not of the form {kind_of}:<id>")
    if numbered and not ident.isdigit():
        raise InvalidEvent(f"{action}: target {target!r} has no numeric id")
    if not isinstance(payload, dict):
        raise InvalidEvent(f"{action}: the payload must be an object")
    try:
        fits(payload)  # the model's validation, without making the model
    except ValidationError as exc:
        raise InvalidEvent(f"{action}: payload does not fit: {exc}") from None


def read(action: str, payload: dict[str, Any]) -> Payload:
    """The typed payload of a logged event, earlier versions upgraded."""
    return model_for(action).read(payload)


def _typed(action: str, payload: dict[str, Any]) -> Payload | None:
    model = CATALOGUE.get(action)
    if model is None:
        return None
    try:
        return model.read(payload)
    except ValidationError:
        return None


def describe(action: str, payload: dict[str, Any]) -> str:
    """One line on what an event did, for timelines (not yet made printable); the action's
    name for events the catalogue cannot read."""
    typed = _typed(action, payload)
    return typed.describe() if typed is not None else action


def describe_minutes(action: str, payload: dict[str, Any]) -> str:
    """The same, worded for an exercise's minutes."""
    typed = _typed(action, payload)
    return typed.minutes() if typed is not None else action
