"""Reading an evidence pack for verification: its files by name (a directory or a zip of one)
and the report the checks fill in, with problems listed per file up to a limit and the rest
counted."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from triage.evidence.pack import (
    MANIFEST,
)

MAX_PROBLEMS_PER_FILE = 50  # listed per file; the rest are counted
# What reading a damaged member of a zipped pack raises: its CRC-32 differs, its deflate
# stream is broken, it is cut short.
ZIP_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError)


@dataclass
class PackReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files_checked: int = 0
    events_checked: int = 0
    checkpoints_checked: int = 0
    trusted_key: bool = False
    month: str = "?"
    # Per file, the problems found beyond the first MAX_PROBLEMS_PER_FILE: counted, and
    # said in one line of ``problems`` ("... and 1,234 more problems in log.csv").
    not_listed: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem_count(self) -> int:
        """Every problem found, listed or not."""
        return len(self.problems) - len(self.not_listed) + sum(self.not_listed.values())

    def summary(self) -> str:
        n = self.problem_count
        verdict = "VALID" if self.ok else f"INVALID ({n:,} problem{'s' if n != 1 else ''})"
        trust = "your trusted key" if self.trusted_key else "the key inside the pack only"
        return (
            f"{verdict}: evidence pack {self.month}; {self.files_checked} files re-hashed, "
            f"{self.events_checked} log events rechained, {self.checkpoints_checked} checkpoints checked, "
            f"signatures checked against {trust}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "month": self.month,
            "problems": self.problems,
            "problem_count": self.problem_count,
            "problems_not_listed": self.not_listed,
            "notes": self.notes,
            "files_checked": self.files_checked,
            "events_checked": self.events_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "trusted_key": self.trusted_key,
            "summary": self.summary(),
        }


class FileProblems:
    """The problems found in one file: problems of single lines or rows are listed up to
    MAX_PROBLEMS_PER_FILE and the rest counted; problems of the file as a whole always listed."""

    def __init__(self, report: PackReport, name: str) -> None:
        self.report, self.name = report, name
        self.listed: list[str] = []
        self.wholes: list[str] = []
        self.more = 0

    def add(self, problem: str) -> None:
        if len(self.listed) < MAX_PROBLEMS_PER_FILE:
            self.listed.append(problem)
        else:
            self.more += 1

    def whole(self, problem: str) -> None:
        self.wholes.append(problem)

    def flush(self) -> None:
        self.report.problems.extend(self.listed)
        if self.more:
            s = "s" if self.more != 1 else ""
            self.report.problems.append(f"... and {self.more:,} more problem{s} in {self.name}")
            self.report.not_listed[self.name] = self.report.not_listed.get(self.name, 0) + self.more
        self.report.problems.extend(self.wholes)
        self.listed, self.wholes, self.more = [], [], 0


class PackFiles:
    """A pack directory or a zip of one, read by relative path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.prefix = ""
        self._zip_names: set[str] = set()
        if path.is_dir():
            return
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ValueError(f"{path} is neither a pack directory nor a zip file ({exc})") from None
        roots = [
            n[: -len(MANIFEST)] for n in self.zip.namelist() if n == MANIFEST or n.endswith("/" + MANIFEST)
        ]
        roots.sort(key=len)
        self.prefix = roots[0] if roots else ""
        self._zip_names = {
            n[len(self.prefix) :]
            for n in self.zip.namelist()
            if n.startswith(self.prefix) and not n.endswith("/")
        }

    def names(self) -> set[str]:
        if self.zip is not None:
            return set(self._zip_names)
        return {p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file()}

    def open(self, name: str) -> IO[bytes]:
        if self.zip is not None:
            return self.zip.open(self.prefix + name)
        return open(self.path / name, "rb")

    def read(self, name: str) -> bytes:
        with self.open(name) as fh:
            return fh.read()

    def exists(self, name: str) -> bool:
        return name in self._zip_names if self.zip is not None else (self.path / name).is_file()

    def text_lines(self, name: str) -> Iterator[str]:
        """The file's lines; a damaged zip member's end at the damage (which the file's hash
        check, run on every file first, reports)."""
        with self.open(name) as fh:
            try:
                yield from io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")
            except ZIP_DAMAGE:
                return

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()
