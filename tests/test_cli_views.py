"""`triage alerts` with a query, a saved view, and grouped."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from triage.commands import Commands
from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace

from .conftest import Cli, make_alert


@pytest.fixture
def filled(cli: Cli, playbooks: PlaybookSet) -> list[int]:
    ws = Workspace.create(cli.db)
    try:
        cmds = Commands(ws, playbooks, "alice")
        ids = cmds.ingest(
            [
                make_alert(severity="high", host="web-01", user="alice", src_ip="10.1.2.3"),
                make_alert(severity="critical", host="web-02", rule_name="ET SCAN Nmap", title="Port scan"),
                make_alert(severity="low", host="db-01", src_ip="192.168.1.9", techniques=("T1078",)),
                make_alert(
                    severity="medium",
                    host="web-01",
                    fired_at=datetime(2026, 10, 2, 9, 0, tzinfo=UTC),
                    title="[bold red]markup[/] in a title",
                ),
            ]
        ).alert_ids
        cmds.assign(ids[1], "bob")
        cmds.close(ids[2], "false_positive", "lab", override="lab host")
    finally:
        ws.close()
    return ids


def _ids(cli: Cli, *args: str) -> list[int]:
    return [a["id"] for a in cli.json("alerts", *args)]


def test_query_option_filters_the_listing(cli: Cli, filled: list[int]) -> None:
    assert _ids(cli, "--query", "host:web-01") == [filled[0], filled[3]]
    assert _ids(cli, "--query", "severity>=high -assignee:bob") == [filled[0]]
    assert _ids(cli, "--query", 'rule:"ET SCAN*"') == [filled[1]]
    assert _ids(cli, "--query", "src_ip:10.0.0.0/8 OR src_ip:192.168.0.0/16") == [filled[0]]
    # the status filter and the query both apply
    assert _ids(cli, "--status", "all", "--query", "src_ip:192.168.0.0/16") == [filled[2]]
    assert _ids(cli, "--status", "all", "-q", "technique:T1078 status:closed") == [filled[2]]
    result = cli("alerts", "--query", "host:web-01")
    assert result.exit_code == 0
    assert "2 shown; 2 new, 0 acknowledged, 0 closed" in result.stdout
    assert "[bold red]markup[/] in a title" in result.stdout


def test_a_malformed_query_is_one_line_and_a_usage_error(cli: Cli, filled: list[int]) -> None:
    result = cli("alerts", "--query", "severity>=hgh host:web-01")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "triage: error: --query 'severity>=hgh host:web-01': column 11: unknown severity 'hgh'"
        " (use critical, high, medium, low, informational)"
    ]
    result = cli("alerts", "--query", "(host:web-01")
    assert result.exit_code == 2
    assert "column 1: this parenthesis is never closed" in result.stderr


def test_query_text_with_control_characters_is_escaped_in_the_error(
    cli: Cli, filled: list[int], tmp_path: Path
) -> None:
    result = cli("alerts", "--query", "host:\x1b[31m (")
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr
    assert "\\x1b" in result.stderr


def _config(tmp_path: Path, body: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(body)
    return str(path)


def test_a_saved_view_gives_its_query_and_sort(cli: Cli, filled: list[int], tmp_path: Path) -> None:
    cfg = _config(
        tmp_path,
        '[[views]]\nname = "web"\nquery = "host:web-*"\nsort = "severity asc"\n'
        '[[views]]\nname = "by-fired"\nquery = ""\nsort = "age asc"\n',
    )
    web = [a["id"] for a in cli.json("--config", cfg, "alerts", "--view", "web")]
    assert web == [filled[3], filled[0], filled[1]]  # medium, high, critical
    assert [
        a["id"] for a in cli.json("--config", cfg, "alerts", "--view", "web", "--query", "-user:alice")
    ] == [
        filled[3],
        filled[1],
    ]
    assert [a["id"] for a in cli.json("--config", cfg, "alerts", "--view", "by-fired")] == [
        filled[0],
        filled[1],
        filled[3],
    ]
    result = cli("--config", cfg, "alerts", "--view", "nope")
    assert result.exit_code == 2
    assert "no view named 'nope' in the config file (known: web, by-fired)" in result.stderr
    result = cli("--config", cfg, "alerts", "--view", "web", "--query", "host:")
    assert result.exit_code == 2
    assert "--query 'host:': column 6: expected a value after 'host:'" in result.stderr


def test_group_by_prints_groups_with_counts_worst_severity_and_first_due(cli: Cli, filled: list[int]) -> None:
    groups = cli.json("alerts", "--group-by", "host")
    assert [(g["key"], g["count"], g["worst"]) for g in groups] == [
        ("web-02", 1, "critical"),
        ("web-01", 2, "high"),
    ]
    assert all(g["by"] == "host" and g["first_due"] for g in groups)
    assert [(g["key"], g["count"]) for g in cli.json("alerts", "--status", "all", "--group-by", "host")] == [
        ("web-02", 1),
        ("web-01", 2),
        ("db-01", 1),
    ]
    result = cli("alerts", "--group-by", "rule", "--query", "-host:web-02")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["RULE", "ALERTS", "WORST", "FIRST", "DUE"]
    assert lines[1].split()[:5] == ["SSH", "Brute", "Force", "2", "high"]
    assert lines[-1] == "1 of 1 groups shown; 2 alerts in all"
    result = cli("alerts", "--group-by", "colour")
    assert result.exit_code == 2 and "'colour' is not one of" in result.stderr
