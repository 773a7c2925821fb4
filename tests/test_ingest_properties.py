"""Property tests at the ingest boundary: any text a file or a search server can hand us either
becomes alerts or is quarantined with a reason. Nothing crashes, nothing vanishes, and the log
still verifies and rebuilds identically."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.commands import Commands
from triage.playbooks import PlaybookSet
from triage.sources.base import unwrap_hit
from triage.sources.files import FileSource
from triage.store.verify import verify_chain
from triage.store.workspace import Workspace

from .conftest import PLAYBOOKS

# Every code point, with the troublesome ones often: lone surrogates, bidi overrides, zero-width
# characters, line separators, the BOM, escapes, markup.
NASTY = [
    "\ud800",
    "\udfff",
    "\u202e",
    "\u2066",
    "\u200b",
    "\u2028",
    "\ufeff",
    "\x1b[2J",
    "[b]",
    "é",
    "😀",
    "\x00",
]
ANY_TEXT = st.lists(
    st.sampled_from(NASTY) | st.characters(codec=None, exclude_categories=()), max_size=8
).map("".join)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.integers().map(lambda n: n * 10**300)  # more digits than a float holds
    | st.floats(allow_nan=False, allow_infinity=False)
    | ANY_TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=20,
)

BASES: list[dict[str, Any]] = [
    {
        "@timestamp": "2026-10-01T08:00:00Z",
        "event": {"kind": "alert", "severity": "high"},
        "rule": {"name": "r"},
    },
    {
        "@timestamp": "2026-10-01T08:00:00Z",
        "kibana.alert.uuid": "u-1",
        "kibana.alert.rule.name": "Suspicious PowerShell",
        "kibana.alert.severity": "medium",
        "kibana.alert.workflow_status": "open",
    },
    {
        "timestamp": "2026-10-01T08:00:00.000+0000",
        "rule": {"level": 7, "description": "sshd: authentication failed", "id": "5716"},
        "agent": {"name": "web-01"},
        "manager": {"name": "wazuh-1"},
        "id": "1580123327.49031",
    },
    {
        "timestamp": "2026-10-01T08:00:00.000000+0000",
        "event_type": "alert",
        "src_ip": "10.0.0.1",
        "alert": {"signature": "ET SCAN", "signature_id": 2001219, "severity": 2},
    },
]


TEXT_FIELDS = [
    "rule/name",
    "host/name",
    "user/name",
    "source/ip",
    "kibana.alert.rule.name",
    "kibana.alert.uuid",
    "agent/name",
    "manager/name",
    "id",
    "alert/signature",
    "src_ip",
    "event/id",
]


@st.composite
def documents(draw: st.DrawFn) -> Any:
    """An alert document of a known format with arbitrary fields over it, or any JSON value."""
    if draw(st.booleans()):
        return draw(JSON)
    doc = json.loads(json.dumps(draw(st.sampled_from(BASES))))
    # the fields that become the alert's title, host, ids: any text at all
    for path in draw(st.lists(st.sampled_from(TEXT_FIELDS), max_size=4)):
        *parents, leaf = path.split("/")
        node = doc
        for part in parents:
            node = node.setdefault(part, {}) if isinstance(node.get(part, {}), dict) else {}
        node[leaf] = draw(ANY_TEXT.filter(bool))
    for key, value in draw(
        st.dictionaries(st.sampled_from([*doc, "extra", "message"]) | ANY_TEXT, JSON, max_size=3)
    ).items():
        doc[key] = value
    return doc


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    """One NDJSON line as other programs write it: any spacing, key order and escaping; now and
    then a duplicate key, deep nesting or bytes that are not UTF-8."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return b"[" * draw(st.integers(900, 3000)) + b"]" * 3  # deeper than a decoder recurses
    if kind == 1:
        base = json.dumps(draw(st.sampled_from(BASES)))
        return (base[:-1] + ', "rule": ' + json.dumps(draw(JSON)) + "}").encode()  # a key twice
    text = json.dumps(
        draw(documents()),
        ensure_ascii=draw(st.booleans()),
        sort_keys=draw(st.booleans()),
        separators=draw(st.sampled_from([(",", ":"), (", ", ": "), (" , ", " :  ")])),
    )
    # a lone surrogate written raw (ensure_ascii off) is not UTF-8: that line is quarantined
    return text.encode("utf-8", "surrogatepass")


def _playbooks() -> PlaybookSet:
    return PlaybookSet.from_directory(PLAYBOOKS)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines(), min_size=1, max_size=6))
def test_any_json_lines_ingest_or_are_quarantined(batch: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.ndjson"
        path.write_bytes(b"\n".join(batch) + b"\n")
        with Workspace.create(Path(tmp) / "ws.db") as ws:
            cmds = Commands(ws, _playbooks(), "alice")
            records = list(FileSource(str(path)).records())
            result = cmds.ingest_records(records)
            # every record has exactly one outcome; every quarantined one says why
            assert result.records == len(records)
            assert len(result.problems) == result.quarantined
            assert all(p.split(": ", 1)[1] for p in result.problems)
            report = verify_chain(ws.conn)
            assert report.ok, report.problems
            assert ws.rebuild(dry_run=True)[1]
            # the same input again adds nothing
            seq = ws.head()[0]
            again = cmds.ingest_records(FileSource(str(path)).records())
            assert again.records == again.present == len(records) and ws.head()[0] == seq


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(ANY_TEXT, ANY_TEXT, documents()), min_size=1, max_size=6))
def test_any_polled_page_lands_whole(hits: list[tuple[str, str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp, Workspace.create(Path(tmp) / "ws.db") as ws:
        cmds = Commands(ws, _playbooks(), "poller")
        records = [
            unwrap_hit("siem", f"hit {n}", {"_index": index, "_id": doc_id, "_source": doc})
            for n, (index, doc_id, doc) in enumerate(hits)
        ]
        result = cmds.ingest_polled(records, source="siem", profile=None, cursor_ms=1_000)
        assert result.records == len(records)
        # the page and its cursor were committed together, bad documents or not
        assert ws.conn.execute("SELECT cursor_ms FROM source_cursors").fetchone() == (1_000,)
        assert verify_chain(ws.conn).ok and ws.rebuild(dry_run=True)[1]
