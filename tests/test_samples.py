"""The bundled sample_logs (triage/data/): real formats that ingest cleanly and exercise every playbook."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from triage.commands import Commands, IngestResult
from triage.config import bundled
from triage.domain.states import Disposition
from triage.playbooks import PlaybookSet
from triage.sources.files import FileSource
from triage.store.workspace import Workspace
from triage.tabletop.scenario import load as load_scenario

from .conftest import PLAYBOOKS, ROOT, SAMPLES

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
    assert total.quarantined == 0 and total.present >= 2
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
    assert again.records == again.present == total.records


def test_the_committed_files_are_the_bundled_ones_and_where_the_generator_writes() -> None:
    assert bundled("sample_logs") == SAMPLES and bundled("playbooks") == PLAYBOOKS
    generator = runpy.run_path(str(ROOT / "scripts" / "make_sample_logs.py"))  # defines, writes nothing
    assert generator["SAMPLE_LOGS"] == SAMPLES


def test_the_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_sample_logs.py"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for path in _files():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), f"{path.name} differs"
    committed = sorted(p.relative_to(SAMPLES) for p in (SAMPLES / "scenarios").rglob("*") if p.is_file())
    written = sorted(p.relative_to(tmp_path) for p in (tmp_path / "scenarios").rglob("*") if p.is_file())
    assert committed == written
    for rel in committed:
        assert (tmp_path / rel).read_bytes() == (SAMPLES / rel).read_bytes(), f"{rel} differs"


SCENARIOS = ("ransomware-precursor", "leaked-cloud-key", "insider-exfiltration")


def test_the_scenarios_are_the_expected_folders() -> None:
    assert sorted(p.name for p in (SAMPLES / "scenarios").iterdir()) == sorted(SCENARIOS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_scenario_loads_and_mixes_true_positives_with_noise(
    name: str, cmds: Commands, ws: Workspace
) -> None:
    scenario = load_scenario(SAMPLES / "scenarios" / name)
    assert scenario.spec.id == name and scenario.skipped == []
    assert 30 <= len(scenario.alerts) <= 200
    assert len({a.alert.profile for a in scenario.alerts}) >= 2  # several real formats
    expected = [scenario.spec.expected_for(a.facts())[0] for a in scenario.alerts]
    assert all(e is not None for e in expected)
    true_pos = sum(e is not None and e == (Disposition.TRUE_POSITIVE,) for e in expected)
    assert 10 <= true_pos <= len(expected) // 2, "true positives hidden among more noise"
    for rule in scenario.spec.escalations:
        assert any(rule.match.matches(a.facts()) for a in scenario.alerts), rule.name
    assert len(scenario.spec.injects) >= 4 and scenario.spec.injects[0].at.total_seconds() == 0
    # every recorded alert ingests cleanly, once
    result = cmds.ingest_records(a.record for a in scenario.alerts)
    assert (result.ingested, result.present, result.quarantined) == (len(scenario.alerts), 0, 0)
