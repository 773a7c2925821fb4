"""The pack's sections that the log excerpt determines, checked against ``log.jsonl`` with the
pack format's own definitions: ``handovers.csv`` (one row per recorded shift handover, rebuilt
whole) and ``suppressions.csv`` (every rule created in the month has a row, and each row's
alerts closed in the month are the excerpt's closes by that rule). One pass over the excerpt,
decoding only the lines of the actions these sections hold."""

from __future__ import annotations

from typing import Any

from triage.domain.events import SUPPRESSION_CREATED
from triage.domain.logged import marked_exercise
from triage.evidence.pack import (
    CLOSE_MARK,
    HANDOVER_ACTION,
    HANDOVER_COLUMNS,
    HANDOVER_MARK,
    HANDOVERS_CSV,
    LOG_JSONL,
    SUPPRESSION_COLUMNS,
    SUPPRESSIONS_CSV,
    cell,
    csv_rows,
    handover_row,
    suppression_of_close,
)
from triage.evidence.pack_reader import FileProblems, PackFiles, PackReport
from triage.evidence.verify_log import read_record

_CREATED_MARK = f'"action":"{SUPPRESSION_CREATED}"'


_MARKS = (("h", HANDOVER_MARK), ("c", CLOSE_MARK), ("s", _CREATED_MARK))


def _exercise(d: dict[str, Any]) -> bool:
    exercise = d.get("exercise")
    return marked_exercise(exercise if isinstance(exercise, str) else None, d.get("payload"))


def check_sections(pack: PackFiles, report: PackReport) -> None:
    if not pack.exists(LOG_JSONL):
        return  # a missing file is reported by the manifest check
    handovers: list[list[str]] = [HANDOVER_COLUMNS]
    closes: dict[int, list[int]] = {}
    created: list[int] = []
    for line in pack.text_lines(LOG_JSONL):
        kind = next((k for k, mark in _MARKS if mark in line), None)
        if kind is None:
            continue
        try:
            _rec, seq, _body, _prev, stored, d = read_record(line)
            target = str(d.get("target", ""))
            if kind == "h" and d.get("action") == HANDOVER_ACTION:
                handovers.append(handover_row(seq, d, stored))
            elif kind == "c" and (rule := suppression_of_close(d)) is not None:
                closes.setdefault(rule, []).append(int(target.partition(":")[2]))
            elif kind == "s" and d.get("action") == SUPPRESSION_CREATED and not _exercise(d):
                created.append(int(target.partition(":")[2]))
        except (ValueError, KeyError, TypeError):
            continue  # an unreadable line is log.jsonl's problem, reported by the log check
    if pack.exists(HANDOVERS_CSV):
        _handovers(pack, report, handovers)
    if pack.exists(SUPPRESSIONS_CSV):
        _suppressions(pack, report, closes, created)


def _handovers(pack: PackFiles, report: PackReport, expected: list[list[str]]) -> None:
    problems = FileProblems(report, HANDOVERS_CSV)
    got = list(csv_rows(pack.text_lines(HANDOVERS_CSV)))
    for i in range(max(len(got), len(expected))):
        have = got[i] if i < len(got) else None
        want = expected[i] if i < len(expected) else None
        if have == want:
            continue
        if i == 0:
            problems.add(f"{HANDOVERS_CSV}: the header is not the pack format's")
        elif have is None:
            problems.add(f"{HANDOVERS_CSV}: the handover of event {want[0] if want else '?'} is missing")
        elif want is None:
            problems.add(f"{HANDOVERS_CSV} row {i + 1}: no handover event in {LOG_JSONL} for it")
        else:
            problems.add(
                f"{HANDOVERS_CSV} row {i + 1}: differs from the row built from event {want[0]} in {LOG_JSONL}"
            )
    problems.flush()


def _suppressions(
    pack: PackFiles, report: PackReport, closes: dict[int, list[int]], created: list[int]
) -> None:
    problems = FileProblems(report, SUPPRESSIONS_CSV)
    rows = csv_rows(pack.text_lines(SUPPRESSIONS_CSV))
    header = next(rows, None)
    if header != SUPPRESSION_COLUMNS:
        problems.whole(f"{SUPPRESSIONS_CSV}: the header is not the pack format's")
        problems.flush()
        return
    col = {name: i for i, name in enumerate(SUPPRESSION_COLUMNS)}
    listed: set[int] = set()
    for n, row in enumerate(rows, 2):
        if len(row) != len(SUPPRESSION_COLUMNS) or not row[col["id"]].isdigit():
            problems.add(f"{SUPPRESSIONS_CSV} row {n}: not a row of the pack format")
            continue
        rule = int(row[col["id"]])
        listed.add(rule)
        closed = closes.get(rule, [])
        want = (cell(len(closed)), cell(closed[-1] if closed else None))
        have = (row[col["alerts_closed_in_month"]], row[col["last_alert_closed_in_month"]])
        if have != want:
            problems.add(
                f"{SUPPRESSIONS_CSV} row {n}: rule {rule} closed {len(closed)} alerts in {LOG_JSONL}"
                f" (the last {want[1] or '-'}), the row says {have[0]} (the last {have[1] or '-'})"
            )
    for rule in sorted((set(closes) | set(created)) - listed):
        problems.add(
            f"{SUPPRESSIONS_CSV}: suppression {rule} acted in the month ({LOG_JSONL}) but has no row"
        )
    problems.flush()
