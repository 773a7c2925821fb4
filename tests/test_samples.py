"""The bundled sample_logs/: real formats that ingest cleanly and exercise every playbook."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from triage.commands import Commands, IngestResult
from triage.playbooks import PlaybookSet
from triage.sources.files import FileSource
from triage.store.workspace import Workspace

from .conftest import ROOT, SAMPLES

EXPECTED_PROFILE = {
    "elastic-security-alerts.ndjson": "elastic",
    "elastic-legacy-signals.json": "elastic-legacy",
    "wazuh-alerts.json": "wazuh",
    "suricata-eve.json": "suricata",
    "opensearch-findings.ndjson": "opensearch",
    "ecs-generic.ndjson": "ecs",
}


def _files() -> list[Path]:
    return sorted(p for p in SAMPLES.iterdir() if p.suffix in (".json", ".ndjson"))


def test_the_samples_are_the_expected_files() -> None:
    assert [p.name for p in _files()] == sorted(EXPECTED_PROFILE)


@pytest.mark.parametrize("name", sorted(EXPECTED_PROFILE))
def test_each_sample_ingests_cleanly_with_its_profile(name: str, cmds: Commands, ws: Workspace) -> None:
    result = cmds.ingest_records(FileSource(str(SAMPLES / name)).records())
    assert result.quarantined == 0, result.problems
    assert result.ingested >= 25
    profiles = {p for (p,) in ws.conn.execute("SELECT DISTINCT profile FROM alerts")}
    assert profiles == {EXPECTED_PROFILE[name]}
    # every alert has what an analyst needs to start: a title, a time and something to pivot on
    missing = ws.conn.execute(
        "SELECT count(*) FROM alerts WHERE title = ''"
        " OR (host IS NULL AND user_name IS NULL AND src_ip IS NULL AND rule_name IS NULL)"
    ).fetchone()[0]
    assert missing == 0


def test_every_playbook_gets_alerts_and_noise_and_duplicates_are_there(
    cmds: Commands, ws: Workspace, playbooks: PlaybookSet
) -> None:
    total = IngestResult()
    for path in _files():
        total.add(cmds.ingest_records(FileSource(str(path)).records()))
    assert total.quarantined == 0 and total.duplicates >= 2
    per_playbook = dict(ws.conn.execute("SELECT playbook_id, count(*) FROM alerts GROUP BY 1").fetchall())
    for pb in playbooks.playbooks:
        assert per_playbook.get(pb, 0) >= 5, f"playbook {pb} gets {per_playbook.get(pb, 0)} sample alerts"
    severities = {s for (s,) in ws.conn.execute("SELECT DISTINCT severity FROM alerts")}
    assert severities == {"critical", "high", "medium", "low", "informational"}
    # benign noise: the weekly scanner and the authorised pentest appear among the alerts
    ips = {ip for (ip,) in ws.conn.execute("SELECT DISTINCT src_ip FROM alerts")}
    assert {"198.51.100.10", "203.0.113.200"} <= ips
    again = IngestResult()
    for path in _files():
        again.add(cmds.ingest_records(FileSource(str(path)).records()))
    assert again.ingested == 0 and again.duplicates == total.ingested + total.duplicates


def test_the_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_sample_logs.py"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for path in _files():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), f"{path.name} differs"
