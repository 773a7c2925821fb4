"""Load playbooks from YAML, collecting every problem with its file, line and field."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from triage.domain.alert import Alert
from triage.errors import PlaybookError
from triage.playbooks.model import Playbook

_FIELD_PREFIX = re.compile(r"^([a-z_]+(?:\.[a-z_]+)*): (.*)$", re.DOTALL)


def _node_lines(node: yaml.Node, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Map each key path in a composed YAML document to its 1-based line."""
    lines: dict[tuple[Any, ...], int] = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = (*path, key.value)
            lines[sub] = key.start_mark.line + 1
            lines.update({k: v for k, v in _node_lines(value, sub).items() if k != sub})
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.update(_node_lines(item, (*path, i)))
    return lines


def _line_for(lines: Mapping[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int:
    loc = tuple(str(p) if not isinstance(p, int) else p for p in loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get((), 1)


def _field(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def from_dict(
    data: Any, *, source: str = "<dict>", lines: Mapping[tuple[Any, ...], int] | None = None
) -> Playbook:
    """Validate one playbook; raise ``PlaybookError`` listing every problem found."""
    if not isinstance(data, dict):
        raise PlaybookError([f"{source}:1: (top level): a playbook must be a mapping of fields"])
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        problems = []
        errors = exc.errors()
        for err in errors:
            loc = tuple(p for p in err["loc"] if p not in ("function-after",))
            if err["type"] == "too_short" and any(
                o is not err and tuple(o["loc"][: len(loc)]) == loc for o in errors
            ):
                continue  # a list item failed; "too short" would only echo that
            msg = err["msg"].removeprefix("Value error, ")
            if not loc and (m := _FIELD_PREFIX.match(msg)):  # whole-playbook checks name their field
                loc, msg = tuple(m.group(1).split(".")), m.group(2)
            line = _line_for(lines or {}, loc)
            problems.append(f"{source}:{line}: {_field(loc)}: {msg}")
        raise PlaybookError(problems) from None


def from_file(path: str | Path) -> Playbook:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookError([f"{path}: cannot read: {exc}"]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlaybookError([f"{path}:{line}: YAML syntax: {problem}"]) from None
    lines = _node_lines(node) if node is not None else {}
    return from_dict(data, source=str(path), lines=lines)


class PlaybookSet:
    """The playbooks in force, and which one applies to an alert."""

    def __init__(self, playbooks: Iterable[Playbook]) -> None:
        self.playbooks: dict[str, Playbook] = {}
        problems = []
        for pb in playbooks:
            if pb.id in self.playbooks:
                problems.append(f"playbook id {pb.id!r} is defined twice")
            self.playbooks[pb.id] = pb
        defaults = [pb for pb in self.playbooks.values() if pb.default]
        if len(defaults) > 1:
            problems.append("more than one default playbook: " + ", ".join(sorted(p.id for p in defaults)))
        if problems:
            raise PlaybookError(problems)
        self.default = defaults[0] if defaults else None
        # Most specific first: higher priority, then id for a stable order.
        self._ordered = [
            (pb, pb.match.compiled())
            for pb in sorted(
                (pb for pb in self.playbooks.values() if not pb.default),
                key=lambda p: (-p.priority, p.id),
            )
        ]

    @classmethod
    def from_directory(cls, directory: str | Path) -> PlaybookSet:
        directory = Path(directory)
        if not directory.is_dir():
            raise PlaybookError([f"{directory}: playbook directory not found"])
        loaded, problems = [], []
        for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
            try:
                loaded.append(from_file(path))
            except PlaybookError as exc:
                problems.extend(exc.problems)
        if problems:
            raise PlaybookError(problems)
        return cls(loaded)

    def get(self, playbook_id: str) -> Playbook | None:
        return self.playbooks.get(playbook_id)

    def match(self, alert: Alert) -> Playbook | None:
        for pb, matcher in self._ordered:
            if matcher.matches(alert):
                return pb
        return self.default

    def __len__(self) -> int:
        return len(self.playbooks)
