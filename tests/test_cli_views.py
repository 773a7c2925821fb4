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
