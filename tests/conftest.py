from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from triage.cli.main import main
from triage.commands import Commands
from triage.domain.alert import Alert
from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOKS = ROOT / "playbooks"
SAMPLES = ROOT / "sample_logs"


@pytest.fixture(scope="session")
def playbooks() -> PlaybookSet:
    return PlaybookSet.from_directory(PLAYBOOKS)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    w = Workspace.create(tmp_path / "ws.db")
    yield w
    w.close()


@pytest.fixture
def cmds(ws: Workspace, playbooks: PlaybookSet) -> Commands:
    return Commands(ws, playbooks, "alice")


_counter = iter(range(1, 10**9))


def make_alert(**overrides: Any) -> Alert:
    n = next(_counter)
    fields: dict[str, Any] = {
        "source": "test",
        "profile": "ecs",
        "index": "alerts-test",
        "doc_id": f"doc-{n}",
        "rule_name": "SSH Brute Force",
        "rule_id": "r-1",
        "title": "SSH Brute Force",
        "severity": "high",
        "fired_at": datetime(2026, 10, 1, 12, 0, tzinfo=UTC),
        "host": "web-01",
        "user": "root",
        "src_ip": "203.0.113.9",
        "techniques": ("T1110",),
        "raw": {"n": n},
    }
    fields.update(overrides)
    return Alert(**fields)


def ingest_one(cmds: Commands, **overrides: Any) -> int:
    result = cmds.ingest([make_alert(**overrides)])
    assert result.ingested == 1
    return result.alert_ids[0]


def event_count(ws: Workspace) -> int:
    return int(ws.conn.execute("SELECT count(*) FROM events").fetchone()[0])


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}
)
@click.pass_context
def _entry(ctx: click.Context) -> None:
    main(list(ctx.args))


class Cli:
    """Runs `triage` in-process through its real entry point (error handling included)."""

    def __init__(self, db: Path, analyst: str = "alice") -> None:
        self.db = db
        self.analyst = analyst

    def __call__(self, *args: str, input: str | None = None, analyst: str | None = None) -> Result:
        runner = CliRunner()
        env: dict[str, str | None] = {
            "TRIAGE_DB": str(self.db),
            "TRIAGE_ANALYST": analyst or self.analyst,
            "TRIAGE_CONFIG": None,
        }
        return runner.invoke(_entry, list(args), env=env, input=input, catch_exceptions=False)

    def json(self, *args: str, analyst: str | None = None) -> Any:
        result = self(*args, "--json", analyst=analyst)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("TRIAGE_CONFIG", raising=False)
    return Cli(tmp_path / "cli.db")


@pytest.fixture
def tui_ws(tmp_path: Path, playbooks: PlaybookSet) -> Iterator[Workspace]:
    """A fixed queue for the terminal app's tests (see tests/tui_helpers.py)."""
    from .tui_helpers import build_workspace

    w = build_workspace(tmp_path / "tui.db", playbooks)
    yield w
    w.close()
