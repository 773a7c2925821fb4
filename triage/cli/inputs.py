"""The arguments of ``triage ingest``: files, ``-`` for standard input, directories with --recursive.

Every argument is processed: one that cannot be read is an error of its own, reported with
its path, and the others go on. Nothing here writes except through the command layer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.commands import Commands, IngestResult
from triage.errors import InputError
from triage.sources.base import RawRecord
from triage.sources.files import FileSource

SUFFIXES = (".json", ".ndjson", ".jsonl")
_PATTERNS = "*.json, *.ndjson or *.jsonl"


@dataclass(frozen=True)
class Unreadable:
    """An argument (or a file found under one) that could not be read."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "error": self.reason}


@dataclass
class IngestRun:
    """What ingesting a list of arguments did: the records' outcomes, the arguments that could
    not be read, and notes (a directory with nothing to ingest)."""

    result: IngestResult = field(default_factory=IngestResult)
    errors: list[Unreadable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing to report: no argument failed and no record is (or was) quarantined."""
        r = self.result
        return not (self.errors or r.quarantined or r.quarantined_before)

    def as_dict(self) -> dict[str, Any]:
        return {**self.result.as_dict(), "errors": [e.as_dict() for e in self.errors]}


def _walk(top: Path, run: IngestRun) -> list[Path]:
    """Files under ``top`` ending in one of SUFFIXES, at any depth, in sorted order. Hidden
    files and directories (``.name``) are left out and symbolic links to directories are not
    followed; a directory that cannot be listed is an error."""

    def failed(exc: OSError) -> None:
        where = exc.filename if exc.filename is not None else top
        run.errors.append(Unreadable(str(where), f"cannot read ({exc.strerror or exc})"))

    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(top, onerror=failed):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith(".") and name.lower().endswith(SUFFIXES):
                path = Path(dirpath, name)
                if path.is_file():
                    found.append(path)
    return sorted(found, key=lambda p: p.relative_to(top).parts)


def _guarded(records: Iterator[RawRecord], path: str, run: IngestRun) -> Iterator[RawRecord]:
    """The file's records until it cannot be read further; that is an error of the file, and
    what was read before it is ingested (and counted) as usual."""
    n = 0
    try:
        for rec in records:
            n += 1
            yield rec
    except InputError as exc:  # cannot be opened: the message names the file
        run.errors.append(Unreadable(path, str(exc).removeprefix(f"{path}: ")))
    except OSError as exc:
        run.errors.append(
            Unreadable(
                path, f"cannot read past record {n} ({exc.strerror or exc}); the records before it were read"
            )
        )


def _ingest_file(
    commands: Commands, path: str, run: IngestRun, source: str | None, profile: str | None
) -> None:
    records = _guarded(FileSource(path).records(), path, run)
    run.result.add(commands.ingest_records(records, source=source, profile=profile))


def ingest_paths(
    commands: Commands,
    paths: tuple[str, ...] | list[str],
    *,
    recursive: bool = False,
    source: str | None = None,
    profile: str | None = None,
) -> IngestRun:
    """Ingest each argument in order: a file, ``-`` (standard input), or with ``recursive`` a
    directory's SUFFIXES files. A directory without ``recursive``, a missing or unreadable file
    is an error of that argument, and the rest go on."""
    run = IngestRun()
    for arg in paths:
        if arg != "-" and os.path.isdir(arg):
            if not recursive:
                run.errors.append(
                    Unreadable(
                        arg, f"is a directory (give --recursive to ingest the {_PATTERNS} files in it)"
                    )
                )
                continue
            errors_before = len(run.errors)
            files = _walk(Path(arg), run)
            if not files and len(run.errors) == errors_before:
                run.notes.append(f"{arg}: no {_PATTERNS} files in it")
            for path in files:
                _ingest_file(commands, str(path), run, source, profile)
            continue
        _ingest_file(commands, arg, run, source, profile)
    return run
