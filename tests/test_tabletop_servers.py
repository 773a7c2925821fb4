"""A scenario replayed into a real OpenSearch index and polled into the exercise: the real
poller path end to end. The node comes from the session's ``servers`` fixture (conftest)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from triage.tabletop.scenario import load as load_scenario
from triage.tabletop.sinks import document_id

from .conftest import SAMPLES
from .test_poll_servers import index_ids, unique

pytestmark = pytest.mark.integration


@pytest.fixture
def opensearch_url(servers: dict[str, str]) -> str:
    return servers["opensearch"]


def _triage(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRIAGE_ANALYST": "poller", "TRIAGE_CONFIG": str(tmp / "config.toml")}
    env.pop("TRIAGE_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "triage", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_a_scenario_replayed_into_opensearch_arrives_once_through_the_poller(
    opensearch_url: str, tmp_path: Path
) -> None:
    base = unique("tt")
    drill = tmp_path / "drill.db"
    (tmp_path / "config.toml").write_text(
        "[[sources]]\n"
        f'name = "drill"\nkind = "opensearch"\nurls = ["{opensearch_url}"]\nindex = "{base}-*"\n'
        "page_size = 10\n",
        encoding="utf-8",
    )
    run = _triage(
        tmp_path,
        "tabletop", "run", "leaked-cloud-key", "--unlimited", "--quiet",
        "--exercise-id", "tt-e2e", "--workspace", str(drill),
        "--target", "opensearch", "--url", opensearch_url, "--index", base + "-{profile}",
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "replay finished: 47 alerts, 5 injects" in run.stdout

    scenario = load_scenario(SAMPLES / "scenarios" / "leaked-cloud-key")
    expected = {(f"{base}-{a.alert.profile}", document_id(a)) for a in scenario.alerts}
    assert len(expected) == len(scenario.alerts) == 47
    assert index_ids(opensearch_url, f"{base}-*") == expected  # what the replay wrote, read back directly

    poll = _triage(tmp_path, "--db", str(drill), "poll", "--once", "--json")
    assert poll.returncode == 0, poll.stderr
    (report,) = json.loads(poll.stdout)
    assert report["ingested"] == 47 and report["quarantined"] == 0 and report["pages"] >= 5

    conn = sqlite3.connect(drill)
    try:
        stored = [tuple(r) for r in conn.execute("SELECT index_name, doc_id FROM alerts")]
        assert len(stored) == len(set(stored)) and set(stored) == expected  # every alert, once
        tags = {json.loads(b)["exercise"] for (b,) in conn.execute("SELECT body FROM events")}
        assert tags == {"tt-e2e"}  # polled alerts land in the exercise, tagged
        profiles = dict(conn.execute("SELECT profile, count(*) FROM alerts GROUP BY 1").fetchall())
        assert profiles == {"ecs": 32, "wazuh": 15}
    finally:
        conn.close()

    again = _triage(tmp_path, "--db", str(drill), "poll", "--once", "--json")
    assert json.loads(again.stdout)[0]["ingested"] == 0
    # replaying the same scenario into the same indices writes nothing twice
    rerun = _triage(
        tmp_path,
        "tabletop", "run", "leaked-cloud-key", "--unlimited", "--quiet",
        "--workspace", str(tmp_path / "b.db"),
        "--target", "opensearch", "--url", opensearch_url, "--index", base + "-{profile}",
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert index_ids(opensearch_url, f"{base}-*") == expected
    report_run = _triage(tmp_path, "tabletop", "report", str(drill), "--out", str(tmp_path / "minutes"))
    assert report_run.returncode == 0, report_run.stderr
    assert "47 alerts replayed" in (tmp_path / "minutes" / "minutes-tt-e2e.md").read_text()
