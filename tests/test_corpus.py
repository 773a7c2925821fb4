"""Conformance corpus: real alert documents that other projects published (tests/corpus/SOURCES.md).

For every corpus file, through the real code paths: every record it yields is accounted for by
file ingest (ingested, updated, present, collisions or quarantined with a reason) and taking it
again changes nothing; a month's evidence pack of that workspace verifies; and, on the real
OpenSearch and Elasticsearch nodes, every document indexed is polled and accounted for the same
way (a document the server refuses is listed as not indexable, never silently dropped).

The documents are committed in tests/corpus/<format>/ with their provenance and licence in
SOURCES.md; each must be there with the SHA-256 that MANIFEST.sha256 records, and every file there
must be listed: a missing, altered or unlisted corpus file fails the tests. ``python -m
tests.test_corpus`` prints the counts by format.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from triage import clock
from triage.app.poller import Poller
from triage.commands import Commands, IngestResult
from triage.evidence import ExportRequest, export_pack, verify_pack
from triage.playbooks import PlaybookSet
from triage.sources.base import RawRecord
from triage.sources.files import FileSource
from triage.sources.search import SearchSourceConfig
from triage.store import anchor as anchoring
from triage.store.workspace import Workspace

from .conftest import ES_PASSWORD, ES_USER, KINDS

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
MANIFEST = CORPUS / "MANIFEST.sha256"
FORMATS = ("elastic", "elastic-legacy", "wazuh", "suricata", "opensearch", "ecs", "other")
OUTCOMES = ("ingested", "updated", "present", "collisions", "quarantined")


def manifest() -> list[tuple[str, str]]:
    """(relative path, sha256) of every corpus file, as SOURCES.md documents them."""
    entries = []
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, rel = line.split(maxsplit=1)
            assert rel.split("/", 1)[0] in FORMATS, rel
            entries.append((rel.strip(), digest))
    return entries


ENTRIES = manifest()


def documented(rel: str) -> Path:
    """The corpus file at `rel`, which must be in tests/corpus with the bytes MANIFEST.sha256 records."""
    path = CORPUS / rel
    assert path.is_file(), f"{rel} is listed in MANIFEST.sha256 but missing from {CORPUS}"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == dict(ENTRIES)[rel], f"{path} is not the documented file (sha256 {digest})"
    return path


def every_corpus_file() -> list[Path]:
    return [documented(rel) for rel, _ in ENTRIES]


def test_the_manifest_lists_every_corpus_file_and_no_other() -> None:
    assert ENTRIES, "MANIFEST.sha256 lists no corpus file"
    on_disk = sorted(
        str(p.relative_to(CORPUS))
        for fmt in FORMATS
        if (CORPUS / fmt).is_dir()
        for p in (CORPUS / fmt).rglob("*")
        if p.is_file()
    )
    assert on_disk == sorted(rel for rel, _ in ENTRIES), "corpus files and MANIFEST.sha256 differ"
    every_corpus_file()


@pytest.fixture(params=[rel for rel, _ in ENTRIES], ids=[rel for rel, _ in ENTRIES])
def corpus_rel(request: pytest.FixtureRequest) -> str:
    """A corpus file's path as MANIFEST.sha256 lists it; each test checks the file with documented()."""
    return str(request.param)


# -- accounting -------------------------------------------------------------------------------


@dataclass
class Tally:
    files: int = 0
    records: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    def add(self, result: IngestResult, records: int) -> None:
        self.files += 1
        self.records += records
        for k, v in result.counts().items():
            self.counts[k] += v


def accounted(result: IngestResult, records: int, what: str) -> None:
    """Every record is counted once under one outcome; each quarantined one and each collision
    says what happened to it."""
    counts = result.counts()
    assert sum(counts.values()) == records, f"{what}: {counts} do not add up to {records} records"
    assert len(result.problems) == result.quarantined, (what, result.problems)
    for problem in result.problems:
        where, _, reason = problem.partition(": ")
        assert where and reason.strip(), f"{what}: quarantined without a reason: {problem!r}"
    assert len(result.collided) == result.collisions, (what, result.collided)


def event_count(ws: Workspace) -> int:
    return int(ws.conn.execute("SELECT count(*) FROM events").fetchone()[0])


def ingest_file(cmds: Commands, path: Path) -> tuple[IngestResult, int]:
    records = sum(1 for _ in FileSource(str(path)).records())
    return cmds.ingest_records(FileSource(str(path)).records()), records


# -- 1. file ingest ------------------------------------------------------------------------------


def test_every_record_is_accounted_for_and_taking_the_file_again_changes_nothing(
    corpus_rel: str, tmp_path: Path, playbooks: PlaybookSet, ws_location: str | Path
) -> None:
    corpus_file = documented(corpus_rel)
    ws = Workspace.create(ws_location)
    try:
        cmds = Commands(ws, playbooks, "corpus")
        result, records = ingest_file(cmds, corpus_file)
        assert records > 0
        accounted(result, records, corpus_file.name)
        stored = ws.conn.execute(
            "SELECT count(*), count(NULLIF(trim(reason), '')) FROM quarantine"
        ).fetchone()
        assert tuple(stored) == (result.quarantined, result.quarantined), "a quarantine row without a reason"
        alerts = int(ws.conn.execute("SELECT count(*) FROM alerts").fetchone()[0])
        assert alerts == result.ingested + result.collisions
        events = event_count(ws)
        again, _ = ingest_file(cmds, corpus_file)
        assert again.counts() == {**dict.fromkeys(OUTCOMES, 0), "present": records}, again.as_dict()
        assert event_count(ws) == events, "taking the same file again logged something"
        _, same = ws.rebuild(dry_run=True)  # the batched writes' rows are the log's, one by one
        assert same, f"{corpus_file.name}: a rebuild from the log differs from what ingest wrote"
    finally:
        ws.close()


# -- 2. the month's evidence pack ---------------------------------------------------------------

IN_MONTH = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
AFTER_MONTH = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def settable_clock() -> Iterator[list[datetime]]:
    now = [IN_MONTH]
    clock.set_clock(lambda: now[0])
    try:
        yield now
    finally:
        clock.set_clock(None)


def test_the_months_evidence_pack_of_the_corpus_verifies(
    corpus_rel: str,
    tmp_path: Path,
    playbooks: PlaybookSet,
    settable_clock: list[datetime],
    ws_location: str | Path,
) -> None:
    corpus_file = documented(corpus_rel)
    key_path = tmp_path / "keys" / "anchor.key"
    anchoring.generate_key(key_path)
    key = anchoring.load_private_key(key_path)
    ws = Workspace.create(ws_location)
    try:
        result, records = ingest_file(Commands(ws, playbooks, "corpus"), corpus_file)
        accounted(result, records, corpus_file.name)
        settable_clock[0] = AFTER_MONTH
        pack = export_pack(
            ws, ExportRequest(month="2026-10", out=tmp_path / "pack", key=key, actor="secops")
        ).path
    finally:
        ws.close()
    report = verify_pack(pack)
    assert report.ok, report.problems
    report = verify_pack(pack, anchoring.public_raw(key.public_key()))
    assert report.ok, report.problems


# -- 3. polling the real servers ------------------------------------------------------------------


@dataclass
class Indexed:
    index: str
    documents: int = 0
    accepted: int = 0
    refused: list[str] = field(default_factory=list)  # "location: the server's reason"


def _bulk_lines(rec: RawRecord, index: str, n: str) -> tuple[str, str] | None:
    if rec.doc is None:
        return None
    doc_id = rec.doc_id or f"doc-{n}"
    # an NDJSON line goes as the source wrote it; other documents as compact JSON
    body = (
        rec.text if rec.text is not None and rec.raw is rec.doc else json.dumps(rec.doc, ensure_ascii=False)
    )
    return json.dumps({"index": {"_index": index, "_id": doc_id}}), body


def index_corpus_files(url: str, paths: list[Path]) -> Indexed:
    """Every document of the files into one fresh index; what the server refuses is listed."""
    from .test_poll_servers import http

    out = Indexed(index=f"corpus-{uuid.uuid4().hex[:12]}")
    lines: list[str] = []
    where: list[str] = []
    for f, path in enumerate(paths, 1):
        for n, rec in enumerate(FileSource(str(path)).records(), 1):
            out.documents += 1
            pair = _bulk_lines(rec, out.index, f"{f}-{n}")
            if pair is None:
                out.refused.append(f"{path.name} {rec.location}: not a JSON object document ({rec.error})")
                continue
            lines.extend(pair)
            where.append(f"{path.name} {rec.location}")
    if lines:
        resp = http(f"{url}/_bulk?refresh=true", "POST", "\n".join(lines) + "\n", ndjson=True)
        for loc, item in zip(where, resp["items"], strict=True):
            error = item["index"].get("error")
            if error:
                out.refused.append(f"{loc}: {error.get('type')}: {error.get('reason')}")
            else:
                out.accepted += 1
    assert out.accepted + len(out.refused) == out.documents
    return out


def poll_and_account(
    kind: str, url: str, indexed: Indexed, tmp_path: Path, playbooks: PlaybookSet, what: str
) -> IngestResult:
    """Two passes of the project's poller over the index: the first accounts for every document
    indexed, the second finds every one already present and logs nothing."""
    from .test_poll_servers import http

    if indexed.refused:
        print(f"\n{kind}: {what}: not indexable:\n  " + "\n  ".join(indexed.refused))
    auth: dict[str, Any] = {}
    if kind == "elasticsearch":
        auth = {"username": os.environ[ES_USER], "password_env": ES_PASSWORD}
    # a lookback longer than the corpus is old, so the second pass reads every document again
    cfg = SearchSourceConfig.model_validate(
        {
            "name": "corpus",
            "kind": kind,
            "urls": [url],
            "index": indexed.index,
            "lookback": 20 * 365 * 86400.0,
            **auth,
        }
    )
    ws = Workspace.create(tmp_path / "ws.db")
    try:
        poller = Poller(cfg, Commands(ws, playbooks, "poller"))
        try:
            first = poller.once()
            assert first.hits == indexed.accepted, (
                f"{kind}: {first.hits} polled of {indexed.accepted} indexed"
            )
            accounted(first.ingest, first.hits, f"{kind} {what}")
            events = event_count(ws)
            again = poller.once()
            assert again.hits == indexed.accepted
            assert again.ingest.counts() == {**dict.fromkeys(OUTCOMES, 0), "present": again.hits}
            assert event_count(ws) == events, "polling the same documents again logged something"
        finally:
            poller.close()
    finally:
        ws.close()
        http(f"{url}/{indexed.index}", "DELETE")
    return first.ingest


@pytest.fixture(params=KINDS)
def server(request: pytest.FixtureRequest, servers: dict[str, str]) -> tuple[str, str]:
    kind = str(request.param)
    return kind, servers[kind]


@pytest.mark.integration
def test_every_indexed_document_is_polled_and_accounted_for(
    corpus_rel: str, server: tuple[str, str], tmp_path: Path, playbooks: PlaybookSet
) -> None:
    corpus_file = documented(corpus_rel)
    kind, url = server
    indexed = index_corpus_files(url, [corpus_file])
    poll_and_account(kind, url, indexed, tmp_path, playbooks, corpus_file.name)


@pytest.mark.integration
def test_the_whole_corpus_in_one_index_is_polled_and_accounted_for(
    server: tuple[str, str], tmp_path: Path, playbooks: PlaybookSet
) -> None:
    """Documents of every format in one index, as a careless pattern or pipeline makes: the
    server refuses those whose fields conflict with what it mapped first, and they are listed;
    every document it took is polled and accounted for."""
    kind, url = server
    indexed = index_corpus_files(url, every_corpus_file())
    result = poll_and_account(kind, url, indexed, tmp_path, playbooks, "the whole corpus")
    print(f"{kind}: {indexed.documents} documents, {indexed.accepted} indexed, {result.counts()}")


# -- the counts by format -------------------------------------------------------------------------


def counts_by_format(playbooks: PlaybookSet, tmp: Path) -> dict[str, Tally]:
    """File ingest of every corpus file into its own fresh workspace, summed by format."""
    tallies: dict[str, Tally] = {}
    for i, (rel, _) in enumerate(ENTRIES):
        ws = Workspace.create(tmp / f"ws-{i}.db")
        try:
            result, records = ingest_file(Commands(ws, playbooks, "corpus"), documented(rel))
        finally:
            ws.close()
        tallies.setdefault(rel.split("/", 1)[0], Tally()).add(result, records)
    return tallies


def format_table(tallies: dict[str, Tally]) -> str:
    rows: list[tuple[str, ...]] = [("format", "files", "records", *OUTCOMES)]
    total = Tally()
    for fmt in sorted(tallies):
        t = tallies[fmt]
        rows.append((fmt, str(t.files), str(t.records), *(str(t.counts[k]) for k in OUTCOMES)))
        total.files += t.files
        total.records += t.records
        for k in OUTCOMES:
            total.counts[k] += t.counts[k]
    rows.append(("total", str(total.files), str(total.records), *(str(total.counts[k]) for k in OUTCOMES)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def test_counts_by_format_add_up(tmp_path: Path, playbooks: PlaybookSet) -> None:
    tallies = counts_by_format(playbooks, tmp_path)
    assert sum(t.files for t in tallies.values()) == len(ENTRIES)
    print("\n" + format_table(tallies))
    for fmt, t in tallies.items():
        assert sum(t.counts.values()) == t.records, fmt


if __name__ == "__main__":  # python -m tests.test_corpus
    import tempfile

    from .conftest import PLAYBOOKS

    with tempfile.TemporaryDirectory() as tmpdir:
        print(format_table(counts_by_format(PlaybookSet.from_directory(PLAYBOOKS), Path(tmpdir))))


def test_the_batched_ingest_of_the_corpus_logs_and_stores_what_one_by_one_appends_do(
    tmp_path: Path, playbooks: PlaybookSet
) -> None:
    """Every corpus file, taken twice, by the batched write (events prepared, written with a
    statement per table, the fold's runs) and by appends one by one, each record in a
    savepoint: the same log, byte for byte, and the same projection rows."""
    from triage.commands.ingest import Ingest
    from triage.store import projection

    def ingest_all(path: Path, *, batch: bool) -> tuple[list[Any], str]:
        ws = Workspace.create(path)
        try:
            ingest = Ingest(Commands(ws, playbooks, "corpus"), batch_writes=batch)
            for _ in range(2):
                for rel, _sha in ENTRIES:
                    ingest.records(FileSource(str(documented(rel))).records())
            log = ws.conn.execute("SELECT seq, ts, action, target, body, prev_hash, hash FROM events")
            return log.fetchall(), projection.digest(ws.conn)
        finally:
            ws.close()

    fixed = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    clock.set_clock(lambda: fixed)
    try:
        batched = ingest_all(tmp_path / "batched.db", batch=True)
        one_by_one = ingest_all(tmp_path / "one-by-one.db", batch=False)
    finally:
        clock.set_clock(None)
    assert len(batched[0]) > len(ENTRIES)
    assert batched == one_by_one
