"""A logged event as the domain fold reads it, without depending on the store: the store's
``Event`` is one, and ``Fact`` is one read from an event's body."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class Logged(Protocol):
    """A logged event as the fold reads it (``triage.store.workspace.Event`` is one)."""

    @property
    def seq(self) -> int: ...
    @property
    def ts(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def exercise(self) -> str | None: ...
    @property
    def payload(self) -> dict[str, Any]: ...


class RowLike(Protocol):
    """A projection row: a ``sqlite3.Row`` or a dict."""

    def keys(self) -> Iterable[str]: ...
    def __getitem__(self, key: str, /) -> Any: ...


@dataclass(frozen=True, slots=True)
class Fact:
    """A logged event read from its body (what the evidence replay has)."""

    seq: int
    ts: str
    actor: str
    action: str
    target: str
    exercise: str | None
    payload: dict[str, Any]

    @classmethod
    def from_body(cls, seq: int, body: Mapping[str, Any]) -> Fact:
        return cls(
            seq, body["ts"], body["actor"], body["action"], body.get("target", ""), body.get("exercise"),
            body["payload"],
        )  # fmt: skip


def marked_exercise(exercise: str | None, payload: object) -> bool:
    """An event made in (or marked in its payload as part of) a tabletop exercise."""
    return bool(exercise) or (isinstance(payload, dict) and bool(payload.get("exercise")))


def is_exercise(e: Logged) -> bool:
    return marked_exercise(e.exercise, e.payload)
