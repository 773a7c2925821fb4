"""The command line: help everywhere, JSON for scripts, one-line errors, a full analyst flow."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from triage.cli.main import cli as triage_cli
from triage.commands import Commands
from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace

from .conftest import Cli, _entry
from .test_profiles import ELASTIC_HIT, WAZUH

REQUIRED = {
    "init", "ingest", "alerts", "show", "assign", "ack", "note", "step", "escalate",
    "close", "reopen", "log", "verify", "anchor",
}  # fmt: skip


def test_required_commands_exist() -> None:
    assert set(triage_cli.commands) >= REQUIRED


@pytest.mark.parametrize("name", sorted(triage_cli.commands))
def test_every_command_has_help(cli: Cli, name: str) -> None:
    command = triage_cli.commands[name]
    assert command.help and command.help.strip(), f"{name} has no help text"
    result = cli(name, "--help")
    assert result.exit_code == 0
    assert "Usage: triage" in result.stdout
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts} has no help"


def test_top_level_help(cli: Cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0 and "tamper-evident" in result.stdout


def _run(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRIAGE_DB": str(tmp_path / "p.db"), "TRIAGE_ANALYST": "alice"}
    env.pop("TRIAGE_DEBUG", None)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "cfg")
    return subprocess.run(
        [sys.executable, "-m", "triage", *args],
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("alerts",), "no workspace at"),
        (("ack", "1"), "no workspace at"),
    ],
)
def test_errors_are_one_line_without_traceback(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    proc = _run(tmp_path, *args)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("triage: error:") and message in lines[0]


def test_refusals_and_bad_files_are_one_line(tmp_path: Path) -> None:
    assert _run(tmp_path, "init").returncode == 0
    for args, code, message in [
        (("ack", "7"), 4, "no alert 7"),
        (("close", "7", "-d", "true_positive", "-r", "x"), 4, "no alert 7"),
        (("--config", str(tmp_path / "missing.toml"), "alerts"), 2, "config file not found"),
        (("--playbooks", str(tmp_path), "alerts"), 0, ""),
        (("ingest", str(tmp_path)), 1, "is a directory (give --recursive"),
    ]:
        proc = _run(tmp_path, *args)
        assert proc.returncode == code, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        if message:
            assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and message in proc.stderr, args
    not_a_db = tmp_path / "junk.db"
    not_a_db.write_text("hello")
    proc = _run(tmp_path, "--db", str(not_a_db), "alerts")
    assert (
        proc.returncode == 2 and "is not a triage workspace" in proc.stderr and "Traceback" not in proc.stderr
    )


def test_analyst_flow_through_the_cli(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    path = tmp_path / "a.ndjson"
    path.write_text(json.dumps(ELASTIC_HIT) + "\n" + json.dumps(WAZUH) + "\n")
    assert cli.json("ingest", str(path))["ingested"] == 2
    alerts = cli.json("alerts")
    assert {a["playbook_id"] for a in alerts} == {"brute-force"}
    a = next(x["id"] for x in alerts if x["profile"] == "elastic")
    assert cli.json("assign", str(a), "bob")["payload"]["assignee"] == "bob"
    assert cli.json("ack", str(a), analyst="bob")["action"] == "alert.acknowledged"
    assert [x["id"] for x in cli.json("alerts", "--assignee", "bob")] == [a]
    assert [x["id"] for x in cli.json("alerts", "--mine", analyst="bob")] == [a]
    assert len(cli.json("alerts", "--unassigned")) == 1
    assert cli.json("alerts", "--severity", "critical") == []
    note = cli("note", str(a), "-", input="line one\nline two\n")
    assert note.exit_code == 0
    for step in ("validate", "check-success", "scope", "document"):
        assert cli("step", f"A-{a}", step, "--note", "done").exit_code == 0
    esc = cli.json("escalate", str(a), "--title", "Spray against DC")
    incident = esc["payload"]["incident"]
    assert cli.json("incident", str(incident))["alerts"][0]["id"] == a
    assert cli.json("severity", str(a), "critical", "--reason", "DC")["payload"]["to"] == "critical"
    closed = cli.json("close", str(a), "-d", "true_positive", "-r", "confirmed spray", analyst="bob")
    assert closed["actor"] == "bob"
    assert cli.json("reopen", str(a), "-r", "more")["action"] == "alert.reopened"
    shown = cli.json("show", str(a))
    assert shown["raw"] == ELASTIC_HIT
    actions = [e["action"] for e in shown["timeline"]]
    assert actions == [
        "alert.ingested", "alert.assigned", "alert.acknowledged", "alert.noted",
        "alert.step_completed", "alert.step_completed", "alert.step_completed", "alert.step_completed",
        "alert.escalated", "alert.severity_changed", "alert.closed", "alert.reopened",
    ]  # fmt: skip
    assert shown["timeline"][3]["payload"]["text"] == "line one\nline two"
    text = cli("show", str(a)).stdout
    assert "[x] validate (required)" in text and "closed as true_positive: confirmed spray" in text
    log = [json.loads(line) for line in cli("log", "--json", "--alert", str(a)).stdout.splitlines()]
    assert [e["action"] for e in log] == actions
    assert cli("log", "--since", "2000-01-01", "--until", "2000-01-02").stdout == ""
    assert cli("verify").exit_code == 0
    assert cli("rebuild", "--check").exit_code == 0


def test_demo_runs_on_the_bundled_samples(cli: Cli) -> None:
    result = cli("demo", "--print")
    assert result.exit_code == 0, result.output
    assert "0 quarantined" in result.stdout
    assert re.search(r"^ID +SEVERITY +STATUS", result.stdout, re.M)
    assert re.search(r"^40 shown; \d+ new", result.stdout, re.M)


def test_python_dash_m(tmp_path: Path) -> None:
    proc = _run(tmp_path, "--version")
    assert proc.returncode == 0 and "triage" in proc.stdout


def test_times_people_read_have_one_format_with_the_zone(cli: Cli, tmp_path: Path) -> None:
    """show, incident, log and the app (tests/test_tui_shift.py) print times the same way;
    --json keeps the stored timestamps."""
    assert cli("init").exit_code == 0
    path = tmp_path / "a.ndjson"
    path.write_text(json.dumps(ELASTIC_HIT) + "\n")
    assert cli.json("ingest", str(path))["ingested"] == 1
    incident = cli.json("escalate", "1", "--title", "Spray")["payload"]["incident"]
    stored = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
    shown = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
    for args in (("show", "1"), ("incident", str(incident)), ("log",)):
        text = cli(*args).stdout
        assert not stored.search(text), text
        assert shown.search(text), text
    assert stored.search(cli("show", "--json", "1").stdout)


def test_close_as_a_duplicate_of_another_alert(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    path = tmp_path / "a.ndjson"
    path.write_text(json.dumps(ELASTIC_HIT) + "\n" + json.dumps(WAZUH) + "\n")
    assert cli.json("ingest", str(path))["ingested"] == 2
    refused = cli("close", "2", "-d", "false_positive", "-r", "noise", "--of", "1")
    assert refused.exit_code == 3 and "only a duplicate" in refused.stderr
    done = cli("close", "2", "-d", "duplicate", "-r", "same spray", "--of", "1")  # no override needed
    assert done.exit_code == 0 and "closed as duplicate of 1" in done.stdout
    assert "  duplicate of: 1" in cli("show", "2").stdout
    assert "    duplicates: 2" in cli("show", "1").stdout
    assert "closed as duplicate of #1: same spray" in cli("log", "--alert", "2").stdout


def test_an_incident_is_edited_and_noted_from_the_cli(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    path = tmp_path / "a.ndjson"
    path.write_text(json.dumps(ELASTIC_HIT) + "\n")
    assert cli.json("ingest", str(path))["ingested"] == 1
    incident = cli.json("escalate", "1", "--title", "Spray")["payload"]["incident"]
    done = cli(
        "incident", str(incident), "--title", "Spray on SSO", "--severity", "low",
        "--description", "From one /24", "--note", "Called the SSO team",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert f"incident {incident} updated" in done.stdout and "note added" in done.stdout
    assert cli("incident", str(incident), "--note", "-", input="line one\nline two\n").exit_code == 0
    shown = cli.json("incident", str(incident))
    assert shown["incident"]["title"] == "Spray on SSO" and shown["incident"]["severity"] == "low"
    assert shown["incident"]["description"] == "From one /24" and shown["incident"]["notes"] == 2
    actions = [e["action"] for e in shown["timeline"]]
    assert actions == ["alert.escalated", "incident.updated", "incident.noted", "incident.noted"]
    assert shown["timeline"][-1]["payload"]["text"] == "line one\nline two"
    text = cli("incident", str(incident)).stdout
    assert "description: From one /24" in text and "note: Called the SSO team" in text
    assert cli("incident", "99", "--note", "x").exit_code == 4


def test_triage_sources_shows_the_cursor_as_people_read_times(tmp_path: Path, playbooks: PlaybookSet) -> None:
    db = tmp_path / "ws.db"
    with Workspace.create(db) as ws:
        Commands(ws, playbooks, "poller").ingest_polled(
            [], source="siem", profile=None, cursor_ms=1790000000000
        )
    config = tmp_path / "config.toml"
    config.write_text(
        '[[sources]]\nname = "siem"\nkind = "opensearch"\nurls = ["http://localhost:9"]\nindex = "x"\n'
    )
    result = CliRunner().invoke(
        _entry, ["--db", str(db), "--config", str(config), "sources"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "2026-09-21 14:13:20 UTC" in result.stdout, result.stdout
    assert "T14:13" not in result.stdout


def test_severity_and_escalate_take_several_alerts(cli: Cli, tmp_path: Path) -> None:
    """One event per alert; without --incident the first alert opens the incident, the rest join it."""
    assert cli("init").exit_code == 0
    path = tmp_path / "a.ndjson"
    path.write_text(json.dumps(ELASTIC_HIT) + "\n" + json.dumps(WAZUH) + "\n")
    assert cli.json("ingest", str(path))["ingested"] == 2
    done = cli("severity", "1", "2", "low", "--reason", "lab hosts", "--json")
    assert done.exit_code == 0, done.stderr
    events = _documents(done.stdout)
    assert [(e["target"], e["action"], e["payload"]["to"]) for e in events] == [
        ("alert:1", "alert.severity_changed", "low"),
        ("alert:2", "alert.severity_changed", "low"),
    ]
    assert {e["payload"]["reason"] for e in events} == {"lab hosts"}
    assert cli("severity", "1", "--reason", "x").exit_code == 2  # the severity is missing
    done = cli("escalate", "2", "1", "--title", "Spray", "--json")
    assert done.exit_code == 0, done.stderr
    first, second = _documents(done.stdout)
    assert first["target"] == "alert:2" and first["payload"]["new_incident"]["title"] == "Spray"
    assert second["target"] == "alert:1" and "new_incident" not in second["payload"]
    assert first["payload"]["incident"] == second["payload"]["incident"]
    shown = cli.json("incident", str(first["payload"]["incident"]))
    assert sorted(a["id"] for a in shown["alerts"]) == [1, 2]
    again = cli("escalate", "1", "--incident", str(first["payload"]["incident"]))
    assert again.exit_code == 3 and "already in incident" in again.stderr


def _documents(text: str) -> list[Any]:
    """The JSON documents a command printed one after another."""
    decoder, out, i = json.JSONDecoder(), [], 0
    while i < len(text.rstrip()):
        doc, end = decoder.raw_decode(text, i)
        out.append(doc)
        i = end
        while i < len(text) and text[i].isspace():
            i += 1
    return out
