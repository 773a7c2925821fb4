"""Load playbooks from YAML, collecting every problem with its file, line and field."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from triage import yamldoc
from triage.domain.alert import Alert
from triage.errors import PlaybookError
from triage.playbooks.model import Playbook


def from_dict(data: Any, *, source: str = "<dict>", lines: yamldoc.Lines | None = None) -> Playbook:
    """Validate one playbook; raise ``PlaybookError`` listing every problem found."""
    if not isinstance(data, dict):
        raise PlaybookError([f"{source}:1: (top level): a playbook must be a mapping of fields"])
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        raise PlaybookError(yamldoc.problems(exc, source, lines or {})) from None


def from_file(path: str | Path) -> Playbook:
    path = Path(path)
    try:
        data, lines = yamldoc.read(path)
    except yamldoc.YamlProblem as exc:
        raise PlaybookError([exc.problem]) from None
    return from_dict(data, source=str(path), lines=lines)


_MEMO_SIZE = 4096  # distinct (source, profile, rule, tags, techniques) remembered


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
        self._memo: dict[tuple[Any, ...], Playbook | None] = {}

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
        # A match reads only these fields (``CompiledMatch.matches``): alerts of one rule from
        # one source are matched once, not once each.
        key = (alert.source, alert.profile, alert.rule_name or alert.title, alert.tags, alert.techniques)
        try:
            return self._memo[key]
        except KeyError:
            pass
        found = self.default
        for pb, matcher in self._ordered:
            if matcher.matches(alert):
                found = pb
                break
        if len(self._memo) >= _MEMO_SIZE:
            self._memo.clear()
        self._memo[key] = found
        return found

    def __len__(self) -> int:
        return len(self.playbooks)
