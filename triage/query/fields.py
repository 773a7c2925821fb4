"""The fields a query can name, and how a ``field:value`` term becomes leaves.

Each field reads one kind of value: text (``host``, ``user``, ...: exact and case-sensitive,
or a case-insensitive pattern with ``*``), a list (``technique``, ``tactic``, ``tag``: one of
its elements), an address (``src_ip``, ``dst_ip``: also a network, ``10.0.0.0/8``), the
severity and the status (named values), numbers (``id``, ``incident``), times (``fired``,
``ingested``, ``due``) and ``breached``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from triage.clock import format_ts, parse_time
from triage.domain.alert import Severity
from triage.domain.hashes import LENGTHS, normal_hash
from triage.domain.state import running_due
from triage.errors import QuerySyntaxError
from triage.query.ast import Node, Not, Or, Pattern
from triage.query.predicates import Ago, Compare, HasHash, Like, StartsWith, Value
from triage.query.syntax import Token
from triage.store.tables import DUE_AT, SEVERITY_RANK

_RANKS = {s.value: s.rank for s in Severity}
STATUSES = ("new", "acknowledged", "closed", "open")


# Columns of the alerts table that are never NULL (their tests need no NULL guard).
_NOT_NULL = frozenset({"id", "title", "severity", "status", "fired_at", "ingested_at", "source"})


def _col(name: str) -> Value:
    return Value(name, name, lambda row: row.get(name), name not in _NOT_NULL)


def _list_col(name: str) -> Value:
    def get(row: Mapping[str, Any]) -> Any:
        v = row.get(name)
        return json.dumps(list(v)) if isinstance(v, (list, tuple)) else v

    return Value(name, name, get, nullable=False)


SEVERITY_RANK_VALUE = Value(
    "severity_rank", SEVERITY_RANK, lambda row: _RANKS.get(str(row.get("severity")), 0), nullable=False
)


def _due(row: Mapping[str, Any]) -> str | None:
    return running_due(row["status"], row.get("ack_due"), row.get("close_due"), row.get("first_closed_at"))


DUE_VALUE = Value("due", DUE_AT, _due)

TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "host": ("host",),
    "user": ("user_name",),
    "assignee": ("assignee",),
    "rule": ("rule_name", "rule_id"),
    "title": ("title",),
    "playbook": ("playbook_id",),
    "source": ("source",),
    "disposition": ("disposition",),
}
LIST_FIELDS = {"technique": "techniques", "tactic": "tactics", "tag": "tags"}
IP_FIELDS = {"src_ip": "src_ip", "dst_ip": "dst_ip"}
INT_FIELDS = {"id": "id", "incident": "incident_id"}
TIME_FIELDS: dict[str, Value] = {"fired": _col("fired_at"), "ingested": _col("ingested_at"), "due": DUE_VALUE}
OTHER_FIELDS = ("severity", "status", "breached", "hash")
FIELDS = (*TEXT_FIELDS, *LIST_FIELDS, *IP_FIELDS, *OTHER_FIELDS, *INT_FIELDS, *TIME_FIELDS)
# Free words look in these.
WORD_COLUMNS = ("title", "rule_name")

_OPS = {":": "=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}
_RELATIVE = re.compile(r"^now(?:([+-])(\d+)([smhdw]))?$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _any(nodes: list[Node]) -> Node:
    return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))


def term(text: str, tok: Token) -> Node:
    """The leaves ``tok`` (a term of the query ``text``) stands for; errors say where."""

    def fail(reason: str, column: int | None = None) -> QuerySyntaxError:
        return QuerySyntaxError(text, column or tok.value_column or tok.column, reason)

    if tok.field is None:
        return _word(tok)
    name, op, pieces = tok.field, tok.op, tok.value
    wild = len(pieces) > 1
    if name not in FIELDS:
        raise fail(f"unknown field '{name}' (fields: {', '.join(FIELDS)})", tok.column)
    if op != ":" and name not in ("severity", *INT_FIELDS, *TIME_FIELDS):
        raise fail(f"'{name}' takes ':' only ('{op}' is for severity, id, incident and times)", tok.column)
    if name in TEXT_FIELDS:
        return _any([_text(_col(c), pieces) for c in TEXT_FIELDS[name]])
    if name in LIST_FIELDS:
        return _element(_list_col(LIST_FIELDS[name]), pieces, name == "technique", fail)
    if name in IP_FIELDS:
        return _address(_col(IP_FIELDS[name]), tok.raw, pieces, fail)
    if name == "hash":
        return _hash(pieces, fail)
    if wild:
        raise fail(f"'{name}' takes no wildcards")
    if name == "severity":
        try:
            sev = Severity.parse(tok.raw).value
        except ValueError:
            raise fail(f"unknown severity '{tok.raw}' (use {', '.join(s.value for s in Severity)})") from None
        if op == ":":
            return Compare(_col("severity"), "=", sev)
        return Compare(SEVERITY_RANK_VALUE, _OPS[op], _RANKS[sev])
    if name == "status":
        if tok.raw not in STATUSES:
            raise fail(f"unknown status '{tok.raw}' (use {', '.join(STATUSES)})")
        if tok.raw == "open":
            return Compare(_col("status"), "!=", "closed")
        return Compare(_col("status"), "=", tok.raw)
    if name == "breached":
        flag = {"true": True, "yes": True, "false": False, "no": False}.get(tok.raw.lower())
        if flag is None:
            raise fail(f"breached:{tok.raw}: use true or false")
        breached = Compare(DUE_VALUE, "<", Ago(timedelta(0)))
        return breached if flag else Not(breached)
    if name in INT_FIELDS:
        if not tok.raw.isascii() or not tok.raw.isdigit():
            raise fail(f"{name}: '{tok.raw}' is not a number")
        if len(tok.raw) > 18:  # beyond what an SQL integer holds
            raise fail(f"{name}: '{tok.raw}' is too large")
        return Compare(_col(INT_FIELDS[name]), _OPS[op], int(tok.raw))
    return _time(TIME_FIELDS[name], op, tok.raw, fail)


def _word(tok: Token) -> Node:
    if not tok.quoted and len(tok.value) == 1 and re.fullmatch(r"#\d{1,18}", tok.raw):
        return Compare(_col("id"), "=", int(tok.raw[1:]))
    return _any([Like(_col(c), tok.value, anchored=False) for c in WORD_COLUMNS])


def _text(value: Value, pieces: Pattern) -> Node:
    if len(pieces) == 1:
        return Compare(value, "=", pieces[0])
    return Like(value, pieces)


def _element(value: Value, pieces: Pattern, technique: bool, fail: Callable[..., Exception]) -> Node:
    """One element of a JSON list column (stored as ``json.dumps`` writes it) is the value, or
    starts with it given a trailing ``*``; a technique also matches its sub-techniques."""
    if len(pieces) > 2 or (len(pieces) == 2 and pieces[1]):
        raise fail("list fields take one '*', at the end of the value")
    quoted = json.dumps(pieces[0])
    if len(pieces) == 2:
        return Like(value, (quoted[:-1],), anchored=False)
    exact = Like(value, (quoted,), anchored=False)
    if not technique:
        return exact
    return Or((exact, Like(value, (quoted[:-1] + ".",), anchored=False)))


_HEX_DIGITS = frozenset("0123456789abcdef")
_HASH_KINDS = "an MD5, SHA-1, SHA-256, SHA-384 or SHA-512 (32, 40, 64, 96 or 128 hex digits)"


def _hash(pieces: Pattern, fail: Callable[..., Exception]) -> Node:
    """A hash the alert's document holds (``triage.domain.hashes``): the hash itself (any case),
    its first digits with a trailing ``*``, or ``*`` for any hash."""
    if len(pieces) == 1:
        value = normal_hash(pieces[0])
        if value is None:
            raise fail(f"hash: '{pieces[0]}' is not {_HASH_KINDS}")
        return HasHash(value)
    start = pieces[0].lower()
    if len(pieces) > 2 or pieces[1] or not set(start) <= _HEX_DIGITS or len(start) >= max(LENGTHS):
        raise fail("hash takes a hash, its first hex digits and a trailing '*', or '*'")
    return HasHash(start, prefix=True)


def _address(value: Value, raw: str, pieces: Pattern, fail: Callable[..., Exception]) -> Node:
    """An address (exact), a pattern, or an IPv4 network: the addresses written as dotted quads
    that start with one of the network's prefixes at the next octet boundary (``10.0.0.0/8`` is
    ``10.*``; ``172.16.0.0/12`` is ``172.16.*`` to ``172.31.*``)."""
    if "/" not in raw or len(pieces) > 1:
        return _text(value, pieces)
    try:
        net = ipaddress.ip_network(raw, strict=False)
    except ValueError:
        raise fail(f"'{raw}' is not a network (write it as 10.0.0.0/8)") from None
    if not isinstance(net, ipaddress.IPv4Network):
        raise fail("IPv6 networks are not supported (give an address or a pattern)")
    boundary = -(-net.prefixlen // 8) * 8
    if boundary == 0:
        return Like(value, ("", ".", ".", ".", ""))
    prefixes = [
        ".".join(str(sub.network_address).split(".")[: boundary // 8])
        for sub in net.subnets(new_prefix=boundary)
    ]
    if boundary == 32:
        return _any([Compare(value, "=", p) for p in prefixes])
    return StartsWith(value, tuple(p + "." for p in prefixes))


def _time(value: Value, op: str, raw: str, fail: Callable[..., Exception]) -> Node:
    m = _RELATIVE.match(raw)
    if op == ":":
        if m:
            raise fail(f"compare relative times with > or < (fired>{raw})")
        if not re.fullmatch(r"\d{4}(-\d\d(-\d\d([T ]\d\d(:\d\d(:\d\d)?)?)?)?)?", raw):
            raise fail(f"'{raw}' is not the start of a time (e.g. 2026-10, 2026-10-01, 2026-10-01T09)")
        return StartsWith(value, (raw.replace(" ", "T"),))
    operand: Any
    if m:
        sign, n, unit = m.groups()
        seconds = int(n) * _UNITS[unit] if n else 0
        if seconds > 100 * 366 * 86400:
            raise fail(f"'{raw}' is too far from now (a hundred years at most)")
        operand = Ago(timedelta(seconds=-seconds if sign == "-" else seconds))
    else:
        try:
            operand = format_ts(parse_time(raw))
        except (ValueError, OverflowError):
            raise fail(f"'{raw}' is not a time (e.g. 2026-10-01, 2026-10-01T09:30, now-24h)") from None
    return Compare(value, _OPS[op], operand)
