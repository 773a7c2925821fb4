"""The search language of the alert queue, shared by ``triage alerts --query`` and the app's ``/``.

::

    host:web-01 user:alice severity>=high status:open rule:"ET SCAN*" technique:T1110
    src_ip:10.0.0.0/8 breached:true -assignee:bob (brute OR "password spray") fired>=now-24h

Terms are ANDed; ``OR`` (capitals) and parentheses group; ``-`` (or ``NOT``) negates a term or a
group. A free word or quoted phrase is looked for in the title and the rule name (ASCII case
ignored); ``#17`` is the alert 17. ``field:value`` is exact and case-sensitive; with ``*`` it
is a pattern (``rule:"ET SCAN*"``, ASCII case ignored); ``field:*`` means the field has a value,
so ``-assignee:*`` is unassigned. Fields (``triage.query.fields``):

- text: ``host``, ``user``, ``assignee``, ``rule`` (name or id), ``title``, ``playbook``,
  ``source``, ``disposition``;
- lists: ``technique`` (``T1110`` also matches ``T1110.001``), ``tactic``, ``tag``: an element,
  or an element's start with a trailing ``*``;
- addresses: ``src_ip``, ``dst_ip``: an address, a pattern or an IPv4 network (``10.0.0.0/8``,
  matched on the dotted-quad text the alert carries);
- ``hash``: a file or process hash the alert's document holds (MD5, SHA-1, SHA-256, SHA-384,
  SHA-512; any case), its first hex digits with a trailing ``*``, or ``*`` (any hash): ECS
  ``file.hash.*``, ``process.hash.*``, ``dll.hash.*``, Suricata ``fileinfo.*``, Wazuh
  ``syscheck.*_after`` and Sysmon ``hashes`` (``triage.domain.hashes`` says where it looks), on
  the ``alert_hashes`` index the projection keeps;
- ``severity`` (``:``, ``>``, ``>=``, ``<``, ``<=`` by rank), ``status`` (``new``,
  ``acknowledged``, ``closed``, ``open``), ``breached`` (``true``: the running target is past
  due), ``id`` and ``incident`` (numbers, compared);
- times ``fired``, ``ingested``, ``due`` (the running target): ``>``/``<`` an ISO time (UTC
  unless it says otherwise) or ``now``, ``now-24h``, ``now+30m``; ``:`` a prefix
  (``fired:2026-10-01``).

A backslash makes the next character literal (``\\*``). A query that cannot be read raises
``triage.errors.QuerySyntaxError`` with the column and the reason.

The API::

    q = parse(text)             # -> Query; QuerySyntaxError if it cannot be read
    q.text                      # the text it was parsed from
    where, params = q.sql(now)  # a WHERE expression over the alerts table, with ? parameters
    q.matches(row, now)         # the same test in Python, on a row of the alerts table (a dict)
                                # (built once for a given ``now``: pass the same one for many rows;
                                # ``hash`` reads the row's ``hashes``, the alert's alert_hashes)

``now`` (a UTC datetime; the clock's when omitted) is what ``breached`` and ``now-24h`` mean.
The SQL is portable: ``?`` parameters, ``LIKE ... ESCAPE``, ``CASE``, no GLOB or
functions of SQLite's own; every test is false, never NULL, on a NULL column, so ``NOT`` means
the same in SQL and in Python (a property test holds the two to the same answers). Two
assumptions another database must meet: text compares by code point (SQLite's BINARY; on
PostgreSQL ``COLLATE "C"``), which time ranges and the index ranges of a network or a time
prefix rely on; and ``LIKE`` ignores the case of ASCII letters only, in SQLite and on the Python
side, so a pattern ignores the case of ASCII letters only (PostgreSQL's ``ILIKE``, what the SQL
layer makes of ``LIKE``, folds more letters).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from triage.clock import utc_now
from triage.query.ast import Node, Test, tester, to_sql
from triage.query.fields import FIELDS, term
from triage.query.syntax import Parser, quote

__all__ = ["FIELDS", "Query", "parse", "quote"]


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query. ``tree`` is None for an empty query, which matches every alert."""

    text: str
    tree: Node | None
    _tests: dict[datetime, Test] = field(default_factory=dict, compare=False, repr=False)

    @property
    def empty(self) -> bool:
        return self.tree is None

    def sql(self, now: datetime | None = None) -> tuple[str, list[Any]]:
        """A boolean SQL expression over the ``alerts`` table's columns, and its parameters."""
        if self.tree is None:
            return "1 = 1", []
        return to_sql(self.tree, now or utc_now())

    def matches(self, row: Mapping[str, Any], now: datetime | None = None) -> bool:
        """Whether the alert ``row`` (the ``alerts`` table's columns by name) matches."""
        if self.tree is None:
            return True
        now = now or utc_now()
        test = self._tests.get(now)
        if test is None:  # built once per moment: pass the same ``now`` for many rows
            if len(self._tests) > 8:
                self._tests.clear()
            test = self._tests[now] = tester(self.tree, now)
        return test(row)


def parse(text: str) -> Query:
    return Query(text, Parser(text, term).parse())
