"""The pack's sections that are built from the log excerpt alone, rebuilt from ``log.jsonl``
with the pack format's own definitions and compared with the files: ``handovers.csv`` (one
row per recorded shift handover). One pass over the excerpt, decoding only the lines of the
actions these sections hold."""

from __future__ import annotations

from triage.evidence.pack import (
    HANDOVER_ACTION,
    HANDOVER_COLUMNS,
    HANDOVER_MARK,
    HANDOVERS_CSV,
    LOG_JSONL,
    csv_rows,
    handover_row,
)
from triage.evidence.pack_reader import FileProblems, PackFiles, PackReport
from triage.evidence.verify_log import read_record


def check_sections(pack: PackFiles, report: PackReport) -> None:
    if not pack.exists(LOG_JSONL) or not pack.exists(HANDOVERS_CSV):
        return  # a missing file is reported by the manifest check
    expected: list[list[str]] = [HANDOVER_COLUMNS]
    for line in pack.text_lines(LOG_JSONL):
        if HANDOVER_MARK not in line:
            continue
        try:
            _rec, seq, _body, _prev, stored, d = read_record(line)
            if d.get("action") == HANDOVER_ACTION:
                expected.append(handover_row(seq, d, stored))
        except (ValueError, KeyError, TypeError):
            continue  # an unreadable line is log.jsonl's problem, reported by the log check
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
