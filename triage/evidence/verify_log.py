"""The log excerpt's checks: log.jsonl's hash chain recomputed from the stored bodies, every
line and every log.csv row rebuilt from its body with the pack format's own definitions (of
the pack's format version: log.csv's rows differ between versions 1 and 2)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from triage.evidence.pack import (
    LOG_CSV,
    LOG_CSV_FORMATS,
    LOG_JSONL,
    MANIFEST,
    LogRow,
    Manifest,
    csv_rows,
    log_line,
)
from triage.evidence.pack_reader import FileProblems, PackFiles, PackReport
from triage.store.chain import chain_hash


def read_record(line: str) -> tuple[dict[str, Any], int, str, str, str, dict[str, Any]]:
    """A log record (a line of log.jsonl or signoffs.jsonl): the record, its seq, body,
    prev_hash and hash, and the body decoded. ValueError when it is not one."""
    rec = json.loads(line)
    if not isinstance(rec, dict):
        raise ValueError("not an object")
    seq, body, prev, stored = rec["seq"], rec["body"], rec["prev_hash"], rec["hash"]
    if not (
        isinstance(seq, int) and isinstance(body, str) and isinstance(prev, str) and isinstance(stored, str)
    ):
        raise ValueError("a field of the wrong type")
    d = json.loads(body)
    if not isinstance(d, dict):
        raise ValueError("its body is not an object")
    return rec, seq, body, prev, stored, d


def rebuilt_line(seq: int, body: str, prev: str, stored: str, d: dict[str, Any]) -> str | None:
    """The line the pack format writes for this event, or None when its body lacks a header field."""
    try:
        return log_line(seq, body, prev, stored, d) + "\n"
    except (KeyError, TypeError):
        return None


def rebuilt_row(
    log_row: LogRow, seq: int, body: str, prev: str, stored: str, d: dict[str, Any]
) -> list[str] | None:
    try:
        return log_row(seq, body, d, prev, stored)
    except (ValueError, TypeError):  # a body whose payload cannot be encoded (NaN, a lone surrogate)
        return None


def check_log(pack: PackFiles, manifest: Manifest, wanted: set[int], report: PackReport) -> dict[int, str]:
    """Recompute the excerpt's chain and rebuild log.jsonl's records and log.csv's rows from
    the stored bodies; returns the hashes at the ``wanted`` sequence numbers."""
    log, head = manifest["log"], manifest["head_at_month_end"]
    first_seq, last_seq, prev = log["first_seq"], log["last_seq"], log["prev_hash"]
    found: dict[int, str] = {}
    if first_seq - 1 in wanted:
        found[first_seq - 1] = prev
    jl, cf = FileProblems(report, LOG_JSONL), FileProblems(report, LOG_CSV)
    if log["file"] != LOG_JSONL:
        jl.whole(f"{MANIFEST} names the log excerpt {log['file']!r}; the excerpt of a pack is {LOG_JSONL}")
    if not pack.exists(LOG_JSONL):
        jl.flush()
        return found
    rows = _LogCsv(pack, cf, manifest["version"])
    expected_seq = first_seq
    n = lineno = 0
    for lineno, line in enumerate(pack.text_lines(LOG_JSONL), 1):
        row = rows.next()
        where = f"{LOG_JSONL} line {lineno}"
        try:
            rec, seq, body, stored_prev, stored, d = read_record(line)
        except (ValueError, KeyError, TypeError):
            jl.add(f"{where}: unreadable log record")
            continue
        where = f"{where} (event {seq})"
        n += 1
        if seq != expected_seq:
            jl.add(f"{where}: expected event {expected_seq}: events missing or reordered")
        if stored_prev != prev:
            jl.add(f"{where}: chain broken: prev_hash is not the hash of the event before it")
        try:
            actual = chain_hash(stored_prev, body)
        except UnicodeEncodeError:
            actual = ""
        if actual != stored:
            jl.add(f"{where}: hash does not match the stored body: the event was changed")
        if any(rec.get(k) != d.get(k) for k in ("seq", "ts", "actor", "action", "target")):
            jl.add(f"{where}: the record's fields disagree with its hashed body")
        elif line != rebuilt_line(seq, body, stored_prev, stored, d):
            jl.add(f"{where}: differs from the record the pack format builds from its body")
        if row is not None and row != rebuilt_row(rows.build, seq, body, stored_prev, stored, d):
            cf.add(f"{LOG_CSV} row {rows.count + 1} (event {seq}): differs from {LOG_JSONL}")
        if seq in wanted:
            found[seq] = stored
        prev, expected_seq = stored, seq + 1
    report.events_checked = n
    if n != log["events"]:
        jl.whole(f"{LOG_JSONL}: {n} events, the manifest says {log['events']}")
    if n and expected_seq - 1 != last_seq:
        jl.whole(f"{LOG_JSONL}: ends at event {expected_seq - 1}, the manifest says {last_seq}")
    if head["seq"] != last_seq or head["hash"] != prev:
        jl.whole(
            f"{LOG_JSONL}: the excerpt ends at hash {prev[:16]},"
            " not at the month-end head recorded in the manifest"
            f" (event {head['seq']} {str(head['hash'])[:16]})"
        )
    rows.finish(lineno)
    jl.flush()
    cf.flush()
    return found


class _LogCsv:
    """log.csv read along with log.jsonl, one row per record, its header checked: both as
    the pack's format ``version`` defines them."""

    def __init__(self, pack: PackFiles, problems: FileProblems, version: int) -> None:
        self.problems = problems
        columns, self.build = LOG_CSV_FORMATS[version]
        self.count = 0  # data rows read
        self.present = pack.exists(LOG_CSV)
        self.rows: Iterator[list[str]] = iter(())
        if not self.present:
            return
        self.rows = csv_rows(pack.text_lines(LOG_CSV))
        header = self._read()
        if header != columns:
            problems.whole(f"{LOG_CSV}: the header is not {','.join(columns)}")

    def _read(self) -> list[str] | None:
        try:
            return next(self.rows, None)
        except csv.Error as exc:
            self.problems.whole(f"{LOG_CSV}: unreadable after row {self.count + 1} ({exc})")
            self.rows = iter(())
            return None

    def next(self) -> list[str] | None:
        row = self._read()
        if row is not None:
            self.count += 1
        return row

    def finish(self, records: int) -> None:
        """After the last of ``records`` lines of log.jsonl."""
        if not self.present:
            return
        if self._read() is not None:
            self.problems.whole(f"{LOG_CSV}: has more rows than {LOG_JSONL}")
        elif self.count < records:
            self.problems.whole(f"{LOG_CSV}: {self.count} rows, {LOG_JSONL} has {records} records")
