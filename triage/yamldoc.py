"""YAML files validated with pydantic, every problem reported as ``file:line: field: message``.

Shared by the playbook and tabletop-scenario loaders: the YAML is composed once to learn the
line of every key, and each validation error is pointed at the line of the deepest key of its
location that exists in the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

Lines = Mapping[tuple[Any, ...], int]

_FIELD_PREFIX = re.compile(r"^([a-z_]+(?:\[\d+\])*(?:\.[a-z_]+(?:\[\d+\])*)*): (.*)$", re.DOTALL)
_INDEX = re.compile(r"\[(\d+)\]")


class YamlProblem(Exception):
    """A file that cannot be read or parsed as YAML; ``problem`` is ``file:line: ...``."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)


def node_lines(node: yaml.Node, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Map each key path in a composed YAML document to its 1-based line."""
    lines: dict[tuple[Any, ...], int] = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = (*path, key.value)
            lines[sub] = key.start_mark.line + 1
            lines.update({k: v for k, v in node_lines(value, sub).items() if k != sub})
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.update(node_lines(item, (*path, i)))
    return lines


def line_for(lines: Lines, loc: tuple[Any, ...]) -> int:
    """The line of ``loc``, or of its nearest enclosing key that the file has."""
    loc = tuple(str(p) if not isinstance(p, int) else p for p in loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get((), 1)


def field_name(loc: tuple[Any, ...]) -> str:
    """``('steps', 2, 'id')`` -> ``steps[2].id``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_field(name: str) -> tuple[Any, ...]:
    """``steps[2].id`` -> ``('steps', 2, 'id')``: the inverse of ``field_name``."""
    out: list[Any] = []
    for part in name.split("."):
        head, *rest = _INDEX.split(part)
        if head:
            out.append(head)
        out.extend(int(r) for r in rest if r)
    return tuple(out)


def read(path: Path) -> tuple[Any, Lines]:
    """The parsed document and the line of each of its keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlProblem(f"{path}: cannot read: {exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlProblem(f"{path}:{line}: YAML syntax: {problem}") from None
    return data, (node_lines(node) if node is not None else {})


def problems(exc: ValidationError, source: str, lines: Lines) -> list[str]:
    """Every error of a validation, as ``source:line: field: message``.

    A whole-model check may name its field by starting its message with ``field.path: ``."""
    out = []
    errors = exc.errors()
    for err in errors:
        loc = tuple(p for p in err["loc"] if p not in ("function-after",))
        if err["type"] == "too_short" and any(
            o is not err and tuple(o["loc"][: len(loc)]) == loc for o in errors
        ):
            continue  # a list item failed; "too short" would only echo that
        msg = err["msg"].removeprefix("Value error, ")
        if not loc and (m := _FIELD_PREFIX.match(msg)):  # whole-model checks name their field
            loc, msg = parse_field(m.group(1)), m.group(2)
        out.append(f"{source}:{line_for(lines, loc)}: {field_name(loc)}: {msg}")
    return out
