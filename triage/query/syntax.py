"""The query language's grammar: text to a tree of ``And``, ``Or``, ``Not`` and leaves.

    query   := or? EOF
    or      := and ("OR" and)*
    and     := unary ("AND"? unary)*
    unary   := ("-" | "NOT") unary | "(" or ")" | term
    term    := FIELD OP value | value
    OP      := ":" | ">" | ">=" | "<" | "<="
    value   := '"' chars '"' | bare chars (up to a space or a parenthesis)

``OR``, ``AND`` and ``NOT`` are keywords in capitals only (``or`` is a word). A backslash makes
the next character literal (``\\*``, ``\\"``); an unescaped ``*`` is a wildcard, in quotes too.
The leaves (``triage.query.predicates``) are built by ``triage.query.fields.term``, which checks
each value where it stands, so every error carries the column it is at.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from triage.errors import QuerySyntaxError
from triage.query.ast import And, Node, Not, Or, Pattern


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "(", ")", "-", "OR", "AND", "NOT", "term"
    column: int  # 1-based
    field: str | None = None
    op: str = ""
    value: Pattern = ("",)
    raw: str = ""  # the value as typed (without quotes and escapes)
    quoted: bool = False
    value_column: int = 0


_FIELD = re.compile(r"([a-z][a-z_]*)(>=|<=|:|>|<)")
_STOP = frozenset(" \t\r\n()")


def tokens(text: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
            continue
        col = i + 1
        if ch in "()":
            out.append(Token(ch, col))
            i += 1
            continue
        if ch == "-":
            if i + 1 >= n or text[i + 1] in " \t\r\n)":
                raise QuerySyntaxError(text, col, "nothing to negate after '-'")
            out.append(Token("-", col))
            i += 1
            continue
        field, op = None, ""
        m = _FIELD.match(text, i)
        if m:
            field, op = m.group(1), m.group(2)
            i = m.end()
            if i >= n or text[i] in _STOP:
                raise QuerySyntaxError(text, i + 1, f"expected a value after '{field}{op}'")
        value_col = i + 1
        pieces, raw, quoted, i = _value(text, i)
        if field is None and not quoted and raw in ("OR", "AND", "NOT"):
            out.append(Token(raw, col))
            continue
        out.append(Token("term", col, field, op, pieces, raw, quoted, value_col))
    return out


def _value(text: str, i: int) -> tuple[Pattern, str, bool, int]:
    """A quoted or bare value from ``i``: its pieces between wildcards, its literal text, whether
    it was quoted, and where it ends."""
    pieces: list[str] = []
    current: list[str] = []
    raw: list[str] = []
    n = len(text)
    quoted = text[i] == '"'
    start = i
    if quoted:
        i += 1
    while i < n:
        ch = text[i]
        if quoted and ch == '"':
            i += 1
            if i < n and text[i] not in _STOP:
                raise QuerySyntaxError(text, i + 1, "a space or a parenthesis must follow a closing quote")
            return (*pieces, "".join(current)), "".join(raw), True, i
        if not quoted and ch in _STOP:
            break
        if not quoted and ch == '"':
            raise QuerySyntaxError(text, i + 1, "a quote inside a word (quote the whole value)")
        if ch == "\\":
            if i + 1 >= n:
                raise QuerySyntaxError(text, i + 1, "a backslash at the end escapes nothing")
            current.append(text[i + 1])
            raw.append(text[i + 1])
            i += 2
            continue
        if ch == "*":
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
        raw.append(ch)
        i += 1
    if quoted:
        raise QuerySyntaxError(text, start + 1, "this quote is never closed")
    return (*pieces, "".join(current)), "".join(raw), False, i


def quote(value: str) -> str:
    """``value`` as the query language reads it literally: quoted, with ``\\``, ``"`` and ``*``
    escaped (so no text, however hostile, adds a term, an operator or a wildcard)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("*", "\\*") + '"'


TermBuilder = Callable[[str, Token], Node]


class Parser:
    def __init__(self, text: str, build: TermBuilder) -> None:
        self.text = text
        self.toks = tokens(text)
        self.pos = 0
        self.build = build

    def parse(self) -> Node | None:
        if not self.toks:
            return None
        node = self._or()
        if self.pos < len(self.toks):
            tok = self.toks[self.pos]
            raise QuerySyntaxError(self.text, tok.column, "unmatched ')'")
        return node

    def _peek(self) -> Token | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def _end_column(self) -> int:
        return len(self.text.rstrip()) + 1

    def _or(self) -> Node:
        parts = [self._and()]
        while (tok := self._peek()) is not None and tok.kind == "OR":
            self.pos += 1
            if self._peek() is None or self._peek().kind in ("OR", ")"):  # type: ignore[union-attr]
                raise QuerySyntaxError(self.text, tok.column, "nothing after OR")
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def _and(self) -> Node:
        parts = [self._unary()]
        while (tok := self._peek()) is not None and tok.kind not in ("OR", ")"):
            if tok.kind == "AND":
                self.pos += 1
                nxt = self._peek()
                if nxt is None or nxt.kind in ("OR", ")", "AND"):
                    raise QuerySyntaxError(self.text, tok.column, "nothing after AND")
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def _unary(self) -> Node:
        tok = self._peek()
        if tok is None:
            raise QuerySyntaxError(self.text, self._end_column(), "the query ends too early")
        self.pos += 1
        if tok.kind in ("-", "NOT"):
            nxt = self._peek()
            if nxt is None or nxt.kind in ("OR", "AND", ")"):
                raise QuerySyntaxError(self.text, tok.column, f"nothing to negate after '{tok.kind}'")
            return Not(self._unary())
        if tok.kind == "(":
            if (nxt := self._peek()) is not None and nxt.kind == ")":
                raise QuerySyntaxError(self.text, nxt.column, "empty parentheses")
            node = self._or()
            close = self._peek()
            if close is None or close.kind != ")":
                raise QuerySyntaxError(self.text, tok.column, "this parenthesis is never closed")
            self.pos += 1
            return node
        if tok.kind == ")":
            raise QuerySyntaxError(self.text, tok.column, "unmatched ')'")
        if tok.kind in ("OR", "AND"):
            raise QuerySyntaxError(self.text, tok.column, f"{tok.kind} needs something before it")
        return self.build(self.text, tok)
