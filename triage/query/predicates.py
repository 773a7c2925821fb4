"""The leaves of a query: a comparison and a pattern match, each as SQL and as Python.

Both read a *value* of an alert: a column or an expression over columns (the severity's rank,
the running target's due time), given as its SQL and as a function of the row. Text patterns
ignore the case of ASCII letters only, on both sides: SQLite's ``LIKE`` folds ASCII letters
only (of the value and of the pattern), and the Python side folds the same letters; the pattern
is folded already, so the value needs no ``LOWER`` (a function call per row: it made a free
word over every alert three times slower). On PostgreSQL the SQL layer makes ``LIKE`` an
``ILIKE``, which folds more letters; no value of a field the language names differs by that
except in free text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from triage.clock import format_ts
from triage.query.ast import Leaf, Pattern, Test

Getter = Callable[[Mapping[str, Any]], Any]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True, slots=True)
class Value:
    """Something of an alert to test: ``expr`` in SQL, ``get`` in Python (None for SQL NULL)."""

    name: str
    expr: str
    get: Getter = field(compare=False)
    nullable: bool = True

    def guard(self, test: str) -> str:
        """``test`` made false, not NULL, where the value is NULL."""
        return f"({self.expr} IS NOT NULL AND {test})" if self.nullable else f"({test})"


@dataclass(frozen=True, slots=True)
class Ago:
    """A time relative to now (``now-24h``): resolved when the query runs."""

    offset: timedelta

    def at(self, now: datetime) -> str:
        return format_ts(now + self.offset)


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: bool(a == b),
    "!=": lambda a, b: bool(a != b),
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
}


@dataclass(frozen=True, slots=True)
class Compare(Leaf):
    """``value op operand``; false where the value is NULL."""

    value: Value
    op: str
    operand: Any  # str, int, or Ago

    def _operand(self, now: datetime) -> Any:
        return self.operand.at(now) if isinstance(self.operand, Ago) else self.operand

    def sql(self, now: datetime) -> tuple[str, list[Any]]:
        return self.value.guard(f"{self.value.expr} {self.op} ?"), [self._operand(now)]

    def tester(self, now: datetime) -> Test:
        get, op, operand = self.value.get, _OPS[self.op], self._operand(now)

        def test(row: Mapping[str, Any]) -> bool:
            v = get(row)
            return v is not None and op(v, operand)

        return test


@dataclass(frozen=True, slots=True)
class StartsWith(Leaf):
    """The value starts with one of ``prefixes`` (case-sensitive). In SQL each prefix is a range
    an index can walk, ``prefix <= value < prefix'`` (``prefix'``: its last character raised),
    which holds exactly for the strings that start with it (text compares by code point)."""

    value: Value
    prefixes: tuple[str, ...]

    def sql(self, now: datetime) -> tuple[str, list[Any]]:
        e = self.value.expr
        ranges: list[str] = []
        params: list[Any] = []
        for p in self.prefixes:
            ranges.append(f"({e} >= ? AND {e} < ?)")
            params.extend([p, p[:-1] + chr(ord(p[-1]) + 1)])
        either = ranges[0] if len(ranges) == 1 else "(" + " OR ".join(ranges) + ")"
        return self.value.guard(either), params

    def tester(self, now: datetime) -> Test:
        get, prefixes = self.value.get, self.prefixes

        def test(row: Mapping[str, Any]) -> bool:
            v = get(row)
            return v is not None and str(v).startswith(prefixes)

        return test


@dataclass(frozen=True, slots=True)
class Like(Leaf):
    """The value matches ``pieces`` with anything between them (and around them unless
    ``anchored``), ASCII case ignored; false where the value is NULL."""

    value: Value
    pieces: Pattern
    anchored: bool = True
    _regex: re.Pattern[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        pieces = tuple(ascii_lower(p) for p in self.pieces)
        object.__setattr__(self, "pieces", pieces)
        body = ".*".join(re.escape(p) for p in pieces)
        if not self.anchored:
            body = f".*{body}.*"
        object.__setattr__(self, "_regex", re.compile(body, re.DOTALL))

    def like(self) -> str:
        body = "%".join(like_escape(p) for p in self.pieces)
        return body if self.anchored else f"%{body}%"

    def sql(self, now: datetime) -> tuple[str, list[Any]]:
        return self.value.guard(f"{self.value.expr} LIKE ? ESCAPE '\\'"), [self.like()]

    def tester(self, now: datetime) -> Test:
        get, fullmatch = self.value.get, self._regex.fullmatch
        if not self.anchored and len(self.pieces) == 1:  # a substring: no regex needed
            piece = self.pieces[0]

            def contains(row: Mapping[str, Any]) -> bool:
                v = get(row)
                return v is not None and piece in str(v).translate(_ASCII_LOWER)

            return contains

        def test(row: Mapping[str, Any]) -> bool:
            v = get(row)
            return v is not None and fullmatch(str(v).translate(_ASCII_LOWER)) is not None

        return test


@dataclass(frozen=True, slots=True)
class HasHash(Leaf):
    """The alert's document holds the hash ``value`` (lower case), or with ``prefix`` a hash that
    starts with it (``""``: any hash). In SQL a look-up of the ``alert_hashes`` index by its key
    (``id`` is never NULL: the test is two-valued); in Python the row's ``hashes``, a collection
    of the alert's hashes (none when absent)."""

    value: str
    prefix: bool = False

    def sql(self, now: datetime) -> tuple[str, list[Any]]:
        if not self.prefix:
            return "(id IN (SELECT alert_id FROM alert_hashes WHERE hash = ?))", [self.value]
        if not self.value:
            return "(id IN (SELECT alert_id FROM alert_hashes))", []
        upper = self.value[:-1] + chr(ord(self.value[-1]) + 1)
        sql = "(id IN (SELECT alert_id FROM alert_hashes WHERE hash >= ? AND hash < ?))"
        return sql, [self.value, upper]

    def tester(self, now: datetime) -> Test:
        value, prefix = self.value, self.prefix

        def test(row: Mapping[str, Any]) -> bool:
            hashes = row.get("hashes") or ()
            if prefix:
                return any(str(h).startswith(value) for h in hashes)
            return value in hashes

        return test
