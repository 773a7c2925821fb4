"""The query's tree: ``And``, ``Or``, ``Not`` over leaves, and the two readings of it.

Every leaf (``triage.query.predicates``) is one test written twice, side by side: as SQL over the
``alerts`` table and in Python over an alert row. Each leaf's SQL is two-valued (a NULL column
makes it false, never NULL), so ``NOT`` means the same in SQL as in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# A value split at its wildcards: ("ET SCAN", "") is ``ET SCAN*``; one piece has no wildcard.
Pattern = tuple[str, ...]
Test = Callable[[Mapping[str, Any]], bool]


class Leaf:
    """One test on one alert."""

    __slots__ = ()

    def sql(self, now: datetime) -> tuple[str, list[Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def tester(self, now: datetime) -> Test:  # pragma: no cover - abstract
        """The test of a row, with ``now`` resolved once."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Node


Node = Leaf | And | Or | Not


def to_sql(node: Node, now: datetime) -> tuple[str, list[Any]]:
    if isinstance(node, Leaf):
        return node.sql(now)
    if isinstance(node, Not):
        inner, args = to_sql(node.part, now)
        return f"NOT {inner}", args
    joiner = " AND " if isinstance(node, And) else " OR "
    texts: list[str] = []
    params: list[Any] = []
    for part in node.parts:
        text, args = to_sql(part, now)
        texts.append(text)
        params.extend(args)
    return "(" + joiner.join(texts) + ")", params


def tester(node: Node, now: datetime) -> Test:
    """The tree as one Python function of a row (built once per ``now``, run per row)."""
    if isinstance(node, Leaf):
        return node.tester(now)
    if isinstance(node, Not):
        inner = tester(node.part, now)
        return lambda row: not inner(row)
    parts = tuple(tester(p, now) for p in node.parts)
    if isinstance(node, And):
        return lambda row: all(t(row) for t in parts)
    return lambda row: any(t(row) for t in parts)
