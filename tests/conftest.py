from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
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
PLAYBOOKS = ROOT / "triage" / "data" / "playbooks"
SAMPLES = ROOT / "triage" / "data" / "sample_logs"


@pytest.fixture(scope="session")
def playbooks() -> PlaybookSet:
    return PlaybookSet.from_directory(PLAYBOOKS)


# The PostgreSQL server of the tests (``scripts/pg-server start``; ``.ci/run`` starts it): every
# workspace of a test is a schema of its own in this database, dropped afterwards.
PG_URL = os.environ.get("TRIAGE_TEST_PG", "")
PG_MISSING = (
    "PostgreSQL is not running for the tests (TRIAGE_TEST_PG unset; start it with scripts/pg-server start)"
)
BACKENDS = ["sqlite", "postgresql"]


def drop_pg_schema(location: str) -> None:
    import psycopg

    from triage.store.backend.postgres import split_url

    url, schema = split_url(location)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def pg_location() -> Iterator[str]:
    """A PostgreSQL workspace location nobody has used (the schema does not exist yet)."""
    if not PG_URL:
        pytest.skip(PG_MISSING)
    import secrets  # not uuid: tests fix uuid4 to make workspace ids repeatable

    location = f"{PG_URL}?schema=t_{secrets.token_hex(6)}"
    yield location
    drop_pg_schema(location)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test on a new workspace runs on each backend, except snapshot tests: a snapshot is
    one file per screen, taken on a file (tests/test_postgres.py compares the backends' screens)."""
    if "ws_location" in metafunc.fixturenames and "snap_compare" not in metafunc.fixturenames:
        metafunc.parametrize("ws_location", BACKENDS, indirect=True)


@pytest.fixture
def ws_location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a new workspace goes, on each backend in turn: a file, then a PostgreSQL schema."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return tmp_path / "ws.db"
    return str(request.getfixturevalue("pg_location"))


@pytest.fixture
def ws(ws_location: str | Path) -> Iterator[Workspace]:
    w = Workspace.create(ws_location)
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

    def __init__(self, db: Path | str, analyst: str = "alice") -> None:
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
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ws_location: str | Path) -> Cli:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("TRIAGE_CONFIG", raising=False)
    return Cli(ws_location)


@pytest.fixture
def tui_ws(ws_location: str | Path, playbooks: PlaybookSet) -> Iterator[Workspace]:
    """A fixed queue for the terminal app's tests (see tests/tui_helpers.py), on each backend."""
    from .tui_helpers import build_workspace

    w = build_workspace(ws_location, playbooks)
    yield w
    w.close()


# -- real search servers (scripts/search-servers), shared by the integration tests ------------

SCRIPT = ROOT / "scripts" / "search-servers"
KINDS = ("opensearch", "elasticsearch")
ENV = {"opensearch": "TRIAGE_TEST_OPENSEARCH_URL", "elasticsearch": "TRIAGE_TEST_ELASTICSEARCH_URL"}
# Elasticsearch runs with security on (a file-realm user); OpenSearch's test zip has no security plugin.
ES_USER, ES_PASSWORD = "TRIAGE_TEST_ELASTICSEARCH_USER", "TRIAGE_TEST_ELASTICSEARCH_PASSWORD"
AUTH: dict[str, str] = {}  # base URL -> Authorization header for the test's own requests


def _script(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="session")
def servers() -> Iterator[dict[str, str]]:
    urls = {k: os.environ[ENV[k]] for k in KINDS if os.environ.get(ENV[k])}
    missing = [k for k in KINDS if k not in urls]
    # nodes already running (another test run, a developer) are used and left running
    already = {ln.split()[0] for ln in _script("status").stdout.splitlines() if " running " in ln}
    ours = [k for k in missing if k not in already]
    if missing:
        proc = _script("start", *missing)
        if proc.returncode == 3:
            pytest.skip(proc.stderr.strip() or "Java or Maven is missing")
        assert proc.returncode == 0, f"search servers did not start:\n{proc.stdout}\n{proc.stderr}"
        for line in proc.stdout.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] in missing:
                urls[parts[0]] = parts[1]
        # the credentials of the secured Elasticsearch node, as the script gives them
        for line in _script("env").stdout.splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            if key.startswith("TRIAGE_TEST_ELASTICSEARCH_") and not key.endswith("_URL"):
                os.environ.setdefault(key, value)
    if "elasticsearch" in urls:
        user, password = os.environ.get(ES_USER, ""), os.environ.get(ES_PASSWORD, "")
        assert user and password, f"{ES_USER} and {ES_PASSWORD} must be set with {ENV['elasticsearch']}"
        AUTH[urls["elasticsearch"]] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    yield urls
    if ours:
        _script("stop", *ours, timeout=120)
