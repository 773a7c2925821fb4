"""What every section of the evidence pack is written with: the request, the scratch file
for the month's alert rows, the pack's folder and progress messages."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from triage.evidence import metrics
from triage.evidence.period import Period
from triage.store.workspace import Workspace

PROGRESS_EVERY = 100_000


@dataclass
class ExportRequest:
    month: str
    out: Path
    key: Ed25519PrivateKey
    actor: str
    timezone: str = "UTC"
    make_zip: bool = False
    exercises_dir: Path | None = None
    anchor_files: list[Path] = field(default_factory=list)
    progress: Callable[[str], None] | None = None
    progress_every: int = PROGRESS_EVERY


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds()


class SectionWriter:
    """The state the sections share while one pack is written."""

    def __init__(self, ws: Workspace, req: ExportRequest, period: Period, work: Path, scratch: Path) -> None:
        self.ws = ws
        self.conn = ws.conn
        self.req = req
        self.period = period
        self.dir = work
        self.scratch = sqlite3.connect(str(scratch), isolation_level=None)
        self.scratch.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + metrics.SCRATCH_DDL)
        self.start = period.start
        self.end = period.end

    # -- helpers -------------------------------------------------------------------------

    def say(self, message: str) -> None:
        if self.req.progress is not None:
            self.req.progress(message)

    def open_text(self, name: str) -> IO[str]:
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "w", encoding="utf-8", newline="")
