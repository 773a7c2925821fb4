"""The evidence pack's format: one definition, imported by the exporter and the verifier.

File names, the columns of every CSV, how a cell is encoded, how a ``log.jsonl`` line and a
``log.csv`` row are built from an event, the manifest's keys and the format's name and
version (and the one definition of version 1 that differs, ``log.csv``'s rows, so that the
verifier still reads packs of that version). The exporter writes with these functions and
the verifier rebuilds with the same ones, so the two cannot drift apart. The verifier stands
alone (an auditor runs it without a workspace): this module depends on nothing but
``triage.store.chain``, ``triage.text`` (which characters a cell shows escaped; standard
library only) and the standard library.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any

from triage.domain.events import ALERT_CLOSED, ALERT_INGESTED, EVIDENCE_SIGNED, SHIFT_HANDOVER
from triage.domain.logged import marked_exercise
from triage.evidence.manifest import (  # re-exported: the manifest is part of the format
    FORMAT as FORMAT,
)
from triage.evidence.manifest import (
    READABLE_VERSIONS as READABLE_VERSIONS,
)
from triage.evidence.manifest import (
    VERSION as VERSION,
)
from triage.evidence.manifest import (
    ChainEntry as ChainEntry,
)
from triage.evidence.manifest import (
    FileEntry as FileEntry,
)
from triage.evidence.manifest import (
    HeadEntry as HeadEntry,
)
from triage.evidence.manifest import (
    LogEntry as LogEntry,
)
from triage.evidence.manifest import (
    Manifest as Manifest,
)
from triage.evidence.manifest import (
    PeriodEntry as PeriodEntry,
)
from triage.evidence.manifest import (
    SignoffEntry as SignoffEntry,
)
from triage.evidence.manifest import (
    manifest_bytes as manifest_bytes,
)
from triage.evidence.manifest import (
    read_manifest as read_manifest,
)
from triage.store.chain import canonical
from triage.text import printable

if TYPE_CHECKING:
    from _csv import Writer


# -- file names ---------------------------------------------------------------------------

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public_key.pem"
LOG_JSONL = "log.jsonl"
LOG_CSV = "log.csv"
ALERTS_CSV = "alerts.csv"
INCIDENTS_CSV = "incidents.csv"
BREACHES_CSV = "breaches.csv"
BACKLOG_CSV = "backlog.csv"
EXERCISES_CSV = "exercises.csv"
SIGNOFFS_JSONL = "signoffs.jsonl"
HANDOVERS_CSV = "handovers.csv"
SUPPRESSIONS_CSV = "suppressions.csv"
METRICS_JSON = "metrics.json"
VERIFICATION_JSON = "verification.json"
REPORT_HTML = "report.html"
REPORT_MD = "report.md"
UNLISTED = frozenset({MANIFEST, SIGNATURE})  # the only files the manifest does not list
# Every pack has these (listed in its manifest), whatever the month held.
REQUIRED_FILES_V1 = (
    ALERTS_CSV, LOG_JSONL, LOG_CSV, INCIDENTS_CSV, BREACHES_CSV, BACKLOG_CSV, EXERCISES_CSV,
    SIGNOFFS_JSONL, METRICS_JSON, VERIFICATION_JSON, REPORT_HTML, REPORT_MD, PUBLIC_KEY,
)  # fmt: skip
# Version 2 packs list the month's shift handovers and suppression rules too.
REQUIRED_FILES = (*REQUIRED_FILES_V1, HANDOVERS_CSV, SUPPRESSIONS_CSV)


def required_files(version: int) -> tuple[str, ...]:
    """The files every pack of ``version`` has."""
    return REQUIRED_FILES_V1 if version == 1 else REQUIRED_FILES


def incident_timeline(incident_id: int) -> str:
    """The file of one incident's timeline."""
    return f"incidents/incident-{int(incident_id)}.csv"


def exercise_minutes(exercise_id: str, file_name: str) -> str:
    """Where an exercise's minutes are copied in."""
    return f"exercises/{exercise_id}/{file_name}"


# -- the columns of every CSV -------------------------------------------------------------

ALERT_COLUMNS = [
    "id", "source", "index", "doc_id", "rule_name", "rule_id", "title", "severity_at_month_end",
    "original_severity", "fired_at", "fired_in_month", "ingested_at", "ingest_seq",
    "first_acknowledged_at", "first_acknowledged_by", "assignees", "status_at_month_end",
    "closed_at", "closed_by", "disposition", "close_reason", "close_override", "reopened",
    "playbook", "required_steps_done", "required_steps_total", "acknowledge_due",
    "acknowledge_target", "close_due", "close_target", "time_to_acknowledge_s", "time_to_close_s",
    "incident", "duplicate_of",
]  # fmt: skip
LOG_COLUMNS = ["seq", "ts", "actor", "action", "target", "exercise", "summary", "payload_sha256"]
LOG_COLUMNS_V1 = ["seq", "ts", "actor", "action", "target", "exercise", "payload", "prev_hash", "hash"]
TIMELINE_COLUMNS = ["seq", "ts", "actor", "action", "target", "payload", "hash"]
BACKLOG_COLUMNS = [
    "id", "severity", "status", "assignee", "rule", "title", "ingested_at", "age_at_month_end_s",
    "acknowledge_due", "close_due", "received_this_month",
]  # fmt: skip
BREACH_COLUMNS = ["alert", "severity", "target", "due", "done_at", "late_by_s", "carried_over"]
INCIDENT_COLUMNS = [
    "id", "title", "severity", "status_at_month_end", "owner", "created_at", "created_by",
    "closed_at", "alerts", "events", "timeline",
]  # fmt: skip
EXERCISE_COLUMNS = [
    "exercise_id", "title", "started_at", "ended_at", "score", "minutes_sha256", "minutes_file",
    "recorded_by", "recorded_at", "seq",
]  # fmt: skip

HANDOVER_COLUMNS = [
    "seq", "recorded_at", "recorded_by", "since", "until", "format", "sha256", "opened", "closed",
    "still_open", "breached", "due_next_shift", "counts", "hash",
]  # fmt: skip

SUPPRESSION_COLUMNS = [
    "id", "owner", "reason", "query", "created_at", "created_by", "starts_at", "expires_at", "ended_at",
    "ended_by", "end_reason", "alerts_closed_in_month", "last_alert_closed_in_month",
    "alerts_closed_by_month_end",
]  # fmt: skip

# -- cells and CSV files ------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: alert text is untrusted, so characters
    that must not reach a reader as they are (controls, bidi overrides, zero-width
    characters: ``triage.text``) are shown escaped (``\\u202e``), and a cell starting with
    ``=`` would be run as a formula: such cells get a leading apostrophe (the JSON Lines
    files keep every value exactly)."""
    if type(value) is str:  # most cells: plain ASCII text needs no escaping (as printable says)
        s = value if value.isascii() and value.isprintable() else printable(value)
    elif value is None:
        return ""
    elif isinstance(value, bool):
        return "true" if value else "false"
    elif isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    else:
        s = printable(value)
    return "'" + s if s.startswith(_FORMULA_START) else s


def cells(values: Iterable[object]) -> list[str]:
    return [cell(v) for v in values]


def csv_writer(fh: IO[str]) -> Writer:
    """Every CSV of the pack: RFC 4180 style (comma, double quotes, CRLF), UTF-8, opened
    with ``newline=""``."""
    return csv.writer(fh)


# A payload cell holds the source's whole document, and a line may be up to 64 MiB (see
# triage.sources.files): far over the csv module's default limit of 128 KiB a field.
MAX_CELL_CHARS = 2**31 - 1


def csv_rows(lines: Iterable[str]) -> Iterator[list[str]]:
    """The rows of a pack CSV (header included), read as ``csv_writer`` wrote them."""
    if csv.field_size_limit() < MAX_CELL_CHARS:
        csv.field_size_limit(MAX_CELL_CHARS)  # process-wide; only ever raised
    return csv.reader(lines)


# -- the investigation log ----------------------------------------------------------------

_js: Callable[[str], str] = json.encoder.encode_basestring_ascii


def log_line(seq: int, body: str, prev_hash: str, hash_: str, d: Mapping[str, Any]) -> str:
    """One JSON Lines record of the log excerpt (``log.jsonl``, ``signoffs.jsonl``), without
    its newline: the exact stored body (what the hash covers) plus its decoded header fields
    ``d`` for convenience. The same bytes as ``canonical()`` of that record, built directly
    because it runs for every event."""
    return (
        f'{{"action":{_js(d["action"])},"actor":{_js(d["actor"])},"body":{_js(body)},'
        f'"hash":{_js(hash_)},"prev_hash":{_js(prev_hash)},"seq":{int(seq)},'
        f'"target":{_js(d["target"])},"ts":{_js(d["ts"])}}}'
    )


def payload_text(body: str, payload: Any) -> str:
    """The payload's text exactly as the stored body holds it (for an ingested alert, the
    source's own JSON text as received: its spacing, key order and escapes), cut from the
    body. The envelope around it is canonical, keys sorted: the payload follows the first
    ``,"payload":`` (only action, actor and exercise come before it) and ends at the last
    ``,"seq":`` (only target, ts and v come after it); inside a JSON string neither can
    occur, its quotes being escaped. When the body is not shaped like that (only a damaged
    one), ``payload``, what the body decodes to, encoded canonically."""
    i, j = body.find(',"payload":'), body.rfind(',"seq":')
    if 0 <= i < j:
        text = body[i + 11 : j]
        if len(text) > 1 and text[0] == "{":
            return text
    return canonical(payload)


SUMMARY_CHARS = 120  # of a log.csv summary, before escaping
_ALERT_SUMMARY = ("severity", "title", "rule_name", "host", "user", "doc_id")


def _short(value: object) -> str:  # a value of a summary
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def summary(action: object, payload: object) -> str:
    """A short line about an event's payload for a reader of ``log.csv``: its fields as
    ``key=value``, by key, nested values after the others (an ingested alert: its severity,
    title, rule, host, user and document id), empty ones left out, cut to ``SUMMARY_CHARS``
    and shown on one line with hidden characters escaped. Any payload gives a summary (the
    verifier rebuilds it from bodies it does not trust)."""
    if not isinstance(payload, dict):
        return printable(_short(payload), single_line=True, limit=SUMMARY_CHARS)
    alert = payload.get("alert")
    if action == ALERT_INGESTED and isinstance(alert, dict):
        items = [(k, alert.get(k)) for k in _ALERT_SUMMARY]
    else:
        items = sorted(payload.items(), key=lambda kv: (isinstance(kv[1], dict | list), str(kv[0])))
    text = "; ".join(f"{k}={_short(v)}" for k, v in items if v not in (None, "", [], {}))
    return printable(text, single_line=True, limit=SUMMARY_CHARS)


def log_row(seq: int, body: str, d: Mapping[str, Any], prev_hash: str, hash_: str) -> list[str]:
    """One row of ``log.csv`` (``LOG_COLUMNS``) from an event's stored ``body`` and what it
    decodes to (``d``): what a reader opens in a spreadsheet, the event's own fields, a summary
    and ``payload_sha256``, the SHA-256 of the payload's text exactly as the body holds it
    (``payload_text``, UTF-8); the hashes are in ``log.jsonl``, found by ``seq``. The exporter
    writes this row and the verifier rebuilds it from ``log.jsonl`` with this same function."""
    payload, action = d.get("payload"), d.get("action")
    text = payload_text(body, payload)
    key = (action, text) if type(action) is str and len(text) <= _SEEN_TEXT else None
    seen = _SEEN.get(key)  # a payload seen before: its summary and digest are not made again
    if seen is None:
        seen = (cell(summary(action, payload)), hashlib.sha256(text.encode("utf-8")).hexdigest())
        if key is not None:
            if len(_SEEN) >= _SEEN_MAX:
                _SEEN.clear()
            _SEEN[key] = seen
    head = [seq, d.get("ts"), d.get("actor"), action, d.get("target"), d.get("exercise")]
    return [*(_plain(v) or cell(v) for v in head), *seen]


def _plain(v: object) -> str | None:
    """``cell(v)`` for a sequence number or plain ASCII text (nearly every header cell), or None."""
    if type(v) is int:
        return str(v) if v >= 0 else None
    if type(v) is str and v.isascii() and v.isprintable() and not v.startswith(_FORMULA_START):
        return v
    return None


# Payloads repeat (an acknowledgement's, a step's, a note): the last few thousand small ones
_SEEN: dict[Any, tuple[str, str]] = {}  # (action, text): (summary, digest); None is never a key
_SEEN_MAX, _SEEN_TEXT = 4096, 512


def log_row_v1(seq: int, body: str, d: Mapping[str, Any], prev_hash: str, hash_: str) -> list[str]:
    """A row of ``log.csv`` in format version 1 (``LOG_COLUMNS_V1``): the payload whole, as
    the body holds it. Only the verifier uses it, for packs of that version."""
    head = [seq, d.get("ts"), d.get("actor"), d.get("action"), d.get("target"), d.get("exercise")]
    return cells([*head, payload_text(body, d.get("payload")), prev_hash, hash_])


LogRow = Callable[[int, str, Mapping[str, Any], str, str], list[str]]
# log.csv's header and rows, by the format version of the pack.
LOG_CSV_FORMATS: dict[int, tuple[list[str], LogRow]] = {
    1: (LOG_COLUMNS_V1, log_row_v1),
    2: (LOG_COLUMNS, log_row),
}


def timeline_row(seq: int, body: str, d: Mapping[str, Any], hash_: str) -> list[str]:
    """One row of an incident's timeline (``TIMELINE_COLUMNS``), encoded as in ``log.csv``."""
    return cells(
        [
            seq,
            d.get("ts"),
            d.get("actor"),
            d.get("action"),
            d.get("target"),
            payload_text(body, d.get("payload")),
            hash_,
        ]
    )


# -- sign-offs ----------------------------------------------------------------------------

SIGNOFF_ACTION = EVIDENCE_SIGNED  # the action of management's sign-off, from the event catalogue


def signoff_target(month: str) -> str:
    return f"evidence:{month}"


def signoff_entry(seq: int, d: Mapping[str, Any]) -> SignoffEntry:
    """The manifest's summary of one sign-off event (its body decoded: ``d``)."""
    return {"seq": seq, "signed_by": d["actor"], "signed_at": d["ts"], "statement": d["payload"]["statement"]}


# -- shift handovers ---------------------------------------------------------------------

HANDOVER_ACTION = SHIFT_HANDOVER  # the action of a recorded handover, from the event catalogue
HANDOVER_MARK = f'"action":{json.dumps(HANDOVER_ACTION)}'  # in a log.jsonl line of one (a quick filter)


def handover_row(seq: int, d: Mapping[str, Any], hash_: str) -> list[str]:
    """One row of ``handovers.csv`` (``HANDOVER_COLUMNS``) from a handover event's decoded
    body ``d``: the exporter writes it from the workspace and the verifier rebuilds it from
    ``log.jsonl`` with this same function."""
    p = d["payload"]
    counts = p.get("counts") or {}
    return cells(
        [
            seq, d["ts"], d["actor"], p["since"], p["until"], p["format"], p["sha256"],
            counts.get("opened"), counts.get("closed"), counts.get("still_open"), counts.get("breached"),
            counts.get("due_next_shift"), canonical(counts), hash_,
        ]
    )  # fmt: skip


# -- suppression rules --------------------------------------------------------------------

CLOSE_MARK = f'"action":{json.dumps(ALERT_CLOSED)}'  # in a log.jsonl line of an alert's close


def suppression_of_close(d: Mapping[str, Any]) -> int | None:
    """The rule that closed an alert, from an ``alert.closed`` event's decoded body (None for an
    analyst's close, and for one made in an exercise: those never count)."""
    if d.get("action") != ALERT_CLOSED or marked_exercise(d.get("exercise"), d.get("payload")):
        return None
    rule = (d.get("payload") or {}).get("suppression")
    return rule if isinstance(rule, int) and not isinstance(rule, bool) else None
