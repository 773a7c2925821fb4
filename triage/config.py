"""Where things are: the workspace, the signing key, the anchor file, the playbooks.

Precedence for the workspace: ``--db``, then ``TRIAGE_DB``, then the config file, then
the per-user default. For the analyst: ``--analyst``, ``TRIAGE_ANALYST``, the OS user.
"""

from __future__ import annotations

import atexit
import functools
import getpass
import os
import shutil
import tempfile
import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from triage.errors import ConfigError
from triage.sources.search import SearchSourceConfig


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


def config_dir() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / "triage"


def data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / "triage"


class Settings(BaseModel):
    """The config file (TOML). Unknown keys are refused so a typo is never silently ignored."""

    model_config = ConfigDict(extra="forbid")

    db: Path | None = None
    analyst: str | None = None
    playbooks: Path | None = None
    signing_key: Path | None = None
    public_key: Path | None = None
    anchor_file: Path | None = None
    screenshots: Path | None = None  # the terminal app's screenshots (default: the workspace's folder)
    timezone: str = "UTC"
    sources: list[SearchSourceConfig] = Field(default_factory=list)

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, v: list[SearchSourceConfig]) -> list[SearchSourceConfig]:
        names = [s.name for s in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {', '.join(dupes)}")
        return v

    def source(self, name: str) -> SearchSourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sources) or "none configured"
        raise ConfigError(f"no source named {name!r} in the config file (known: {known})")

    @field_validator("db", "playbooks", "signing_key", "public_key", "anchor_file", "screenshots")
    @classmethod
    def _expand(cls, v: Path | None) -> Path | None:
        return v.expanduser() if v is not None else None


def default_config_path() -> Path:
    env = os.environ.get("TRIAGE_CONFIG")
    return Path(env) if env else config_dir() / "config.toml"


def load_settings(path: Path | None = None) -> Settings:
    explicit = path is not None or bool(os.environ.get("TRIAGE_CONFIG"))
    path = path or default_config_path()
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: config file not found")
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(top level)"
            if err["type"] == "extra_forbidden":
                model = SearchSourceConfig if err["loc"][0] == "sources" else Settings
                known = ", ".join(model.model_fields)
                parts.append(f"{path}: {field}: unknown setting (known settings: {known})")
            else:
                parts.append(f"{path}: {field}: {err['msg']}")
        raise ConfigError("; ".join(parts)) from None
    # Relative paths in the file are relative to the file.
    base = path.parent
    settings.sources = [_rebase_source(src, base) for src in settings.sources]
    for name in ("db", "playbooks", "signing_key", "public_key", "anchor_file", "screenshots"):
        value = getattr(settings, name)
        if value is not None and not value.is_absolute():
            setattr(settings, name, base / value)
    return settings


def _rebase_source(src: SearchSourceConfig, base: Path) -> SearchSourceConfig:
    changes = {}
    for name in ("credentials_file", "ca_certs"):
        value = getattr(src, name)
        if value is not None:
            value = value.expanduser()
            changes[name] = value if value.is_absolute() else base / value
    return src.model_copy(update=changes)


def resolve_db(cli_value: str | None, settings: Settings) -> Path:
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get("TRIAGE_DB")
    if env:
        return Path(env).expanduser()
    if settings.db is not None:
        return settings.db
    return data_dir() / "workspace.db"


def resolve_analyst(cli_value: str | None, settings: Settings) -> str:
    for value in (cli_value, os.environ.get("TRIAGE_ANALYST"), settings.analyst):
        if value and value.strip():
            return value.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        raise ConfigError("cannot tell who you are: pass --analyst NAME or set TRIAGE_ANALYST") from None


def resolve_playbooks(cli_value: str | None, settings: Settings) -> Path:
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get("TRIAGE_PLAYBOOKS")
    if env:
        return Path(env).expanduser()
    if settings.playbooks is not None:
        return settings.playbooks
    return bundled("playbooks")


BUNDLED = ("playbooks", "sample_logs")


@functools.cache
def bundled(name: str) -> Path:
    """The folder ``name`` (``playbooks`` or ``sample_logs``) of the data shipped inside the
    package, ``triage/data/``: the same files in a checkout, an editable install and a wheel.

    Found through ``importlib.resources``. Installed by pip or pipx the package is a folder
    and this is its path; imported from a zip archive, the files are copied once to a
    temporary folder (removed at exit), since playbooks, scenarios and samples are read as files.
    """
    if name not in BUNDLED:
        raise ValueError(f"no bundled folder {name!r} (known: {', '.join(BUNDLED)})")
    folder = resources.files("triage").joinpath("data", name)
    if isinstance(folder, Path):
        return folder
    if not folder.is_dir():
        raise ConfigError(f"{folder}: the bundled {name} are missing from this installation of triage")
    copy = Path(tempfile.mkdtemp(prefix=f"triage-{name}-"))
    atexit.register(shutil.rmtree, copy, ignore_errors=True)
    _copy_tree(folder, copy)
    return copy


def _copy_tree(source: Traversable, target: Path) -> None:
    for entry in source.iterdir():
        if entry.is_dir():
            (target / entry.name).mkdir()
            _copy_tree(entry, target / entry.name)
        else:
            (target / entry.name).write_bytes(entry.read_bytes())


def signing_key_path(cli_value: str | None, settings: Settings) -> Path:
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get("TRIAGE_SIGNING_KEY")
    if env:
        return Path(env).expanduser()
    return settings.signing_key or config_dir() / "anchor.key"


def anchor_file_path(cli_value: str | None, settings: Settings, db: Path) -> Path:
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get("TRIAGE_ANCHOR_FILE")
    if env:
        return Path(env).expanduser()
    return settings.anchor_file or db.with_name(db.name + ".anchors.jsonl")
