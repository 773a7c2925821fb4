"""Where the workspace and the analyst come from, and config errors that say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.config import Settings, load_settings, resolve_analyst, resolve_db
from triage.errors import ConfigError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("TRIAGE_DB", "TRIAGE_ANALYST", "TRIAGE_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def test_db_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "cfg" / "triage" / "config.toml"
    assert resolve_db(None, load_settings()) == tmp_path / "data" / "triage" / "workspace.db"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('db = "team.db"\n')
    assert resolve_db(None, load_settings()) == cfg.parent / "team.db"  # relative to the file
    monkeypatch.setenv("TRIAGE_DB", "/srv/env.db")
    assert resolve_db(None, load_settings()) == Path("/srv/env.db")
    assert resolve_db("/srv/flag.db", load_settings()) == Path("/srv/flag.db")
    # a team's workspace: the URL exactly as written (a path would fold its "//")
    url = "postgresql://triage@db.internal:5432/soc?schema=blue&sslmode=verify-full"
    assert resolve_db(url, load_settings()) == url
    monkeypatch.delenv("TRIAGE_DB")
    cfg.write_text(f'db = "{url}"\n')
    assert resolve_db(None, load_settings()) == url


def test_analyst_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    assert resolve_analyst(None, Settings()) == getpass.getuser()
    assert resolve_analyst(None, Settings(analyst="cfg")) == "cfg"
    monkeypatch.setenv("TRIAGE_ANALYST", "env")
    assert resolve_analyst(None, Settings(analyst="cfg")) == "env"
    assert resolve_analyst("flag", Settings(analyst="cfg")) == "flag"


def test_unknown_key_is_refused_with_file_and_field(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('db = "x.db"\nanlyst = "bob"\n')
    with pytest.raises(ConfigError) as exc:
        load_settings(cfg)
    msg = str(exc.value)
    assert str(cfg) in msg and "anlyst: unknown setting" in msg and "analyst" in msg


def test_bad_toml_and_bad_types(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("db = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(cfg)
    cfg.write_text("analyst = 5\n")
    with pytest.raises(ConfigError, match="analyst: Input should be a valid string"):
        load_settings(cfg)


def test_explicit_missing_config_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings()
