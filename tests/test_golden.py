"""Golden outputs: a fixed workspace's evidence packs (October: a scripted month; November: every
corpus document as received), an exercise's minutes and `triage show`
must come out byte for byte as committed in tests/golden/.

They are the oracle for changes that must not change behaviour (moving code, one model of the
log): a difference is either a defect of the change or a named fix, committed with the new
files (TRIAGE_UPDATE_GOLDEN=1 rewrites them; review the diff). ``pack-format-1`` is the October
pack as format version 1 wrote it: never rewritten, the verifier must go on reading it.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from triage import clock
from triage.evidence import ExportRequest, export_pack, verify_pack
from triage.playbooks import PlaybookSet
from triage.sources.files import FileSource
from triage.store import anchor as anchoring
from triage.store.workspace import Workspace
from triage.tabletop import report

from . import conftest
from .conftest import Cli
from .test_evidence import FakeClock, Month
from .test_tabletop import FixedClock, _scripted

GOLDEN = Path(__file__).resolve().parent / "golden"
CORPUS = Path(__file__).resolve().parent / "corpus"
UPDATE = os.environ.get("TRIAGE_UPDATE_GOLDEN") == "1"
# Fixed seeds: the same key signs the same bytes the same way (Ed25519 is deterministic).
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture(autouse=True)
def fixed_ids(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    ids = (uuid.UUID(int=n) for n in range(1, 1000))
    monkeypatch.setattr(uuid, "uuid4", lambda: next(ids))
    monkeypatch.setattr(conftest, "_counter", iter(range(1, 10**9)))  # make_alert's doc ids
    yield
    clock.set_clock(None)


def _compare(got: dict[str, bytes], folder: Path) -> None:
    if UPDATE:
        for name, data in got.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
    want = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert sorted(got) == sorted(want), "files differ from the golden ones"
    for name in sorted(got):
        assert got[name] == want[name], f"{name} differs from {folder.name}/{name}"


def _month(tmp_path: Path, playbooks: PlaybookSet, ws_location: str | Path) -> Month:
    fc = FakeClock()
    clock.set_clock(fc)
    ws = Workspace.create(ws_location)
    key_path = tmp_path / "keys" / "anchor.key"
    anchoring.generate_key(key_path)
    m = Month(ws, playbooks, fc, key_path)
    m.key = KEY
    m.script()
    # and real documents of every format, ingested in November as received (November's pack)
    fc.at(11, 10, 9)
    from triage.commands import Commands

    cmds = Commands(ws, playbooks, "poller")
    for path in sorted(CORPUS.glob("*/*")):
        cmds.ingest_records(FileSource(str(path)).records())
    fc.at(12, 2, 9)
    return m


@pytest.mark.parametrize(("month", "folder"), [("2026-10", "pack"), ("2026-11", "pack-corpus")])
def test_the_evidence_pack_of_a_fixed_month(
    tmp_path: Path, playbooks: PlaybookSet, month: str, folder: str, ws_location: str | Path
) -> None:
    """The same bytes from either backend."""
    m = _month(tmp_path, playbooks, ws_location)
    req = ExportRequest(month=month, out=tmp_path / "pack", key=KEY, actor="secops")
    path = export_pack(m.ws, req).path
    verdict = verify_pack(path, anchoring.public_raw(KEY.public_key()))
    assert verdict.ok, verdict.problems
    got = {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}
    _compare(got, GOLDEN / folder)


def test_triage_show_of_every_alert(
    tmp_path: Path, playbooks: PlaybookSet, cli: Cli, ws_location: str | Path
) -> None:
    m = _month(tmp_path, playbooks, ws_location)
    ids = [i for (i,) in m.ws.conn.execute("SELECT id FROM alerts ORDER BY id")]
    m.ws.close()
    shown = []
    for alert_id in ids:
        result = cli("--db", str(ws_location), "show", str(alert_id))
        assert result.exit_code == 0, result.output
        shown.append(result.output)
    as_json = cli("--db", str(ws_location), "show", str(ids[0]), "--json")
    got = {"show.txt": "".join(shown).encode(), "show-1.json": as_json.output.encode()}
    json.loads(as_json.output)
    _compare(got, GOLDEN / "show")


def test_the_minutes_of_a_scripted_exercise(tmp_path: Path, playbooks: PlaybookSet) -> None:
    fixed = FixedClock(datetime(2026, 10, 5, 9, 0, tzinfo=UTC))
    clock.set_clock(fixed)
    ws = _scripted(tmp_path, playbooks, fixed)
    written = report.write(ws, tmp_path / "minutes")
    got = {p.name: p.read_bytes() for p in (written.markdown, written.html)}
    _compare(got, GOLDEN / "minutes")


def test_a_pack_of_format_version_1_still_verifies(tmp_path: Path) -> None:
    """Version 1's log.csv carries every payload whole; the verifier still rebuilds each of
    its rows from log.jsonl with version 1's definition, so a changed row is still caught."""
    v1 = GOLDEN / "pack-format-1"
    assert json.loads((v1 / "manifest.json").read_text())["version"] == 1
    trusted = anchoring.public_raw(KEY.public_key())
    report = verify_pack(v1, trusted)
    assert report.ok, report.problems
    assert report.events_checked == 35 and report.files_checked == 14
    copy = shutil.copytree(v1, tmp_path / "v1")
    rows = (copy / "log.csv").read_bytes().split(b"\r\n")
    assert rows[0] == b"seq,ts,actor,action,target,exercise,payload,prev_hash,hash"
    rows[1] = rows[1].replace(b",bob,", b",eve,", 1)
    (copy / "log.csv").write_bytes(b"\r\n".join(rows))
    assert verify_pack(copy, trusted).problems == [
        "log.csv: SHA-256 differs from the manifest: the file was changed",
        "log.csv row 2 (event 3): differs from log.jsonl",
    ]
