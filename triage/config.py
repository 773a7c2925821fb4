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
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from triage import tomldoc
from triage.errors import ConfigError, QuerySyntaxError
from triage.query import parse
from triage.queue import SORT_KEYS
from triage.sources.search import SearchSourceConfig
from triage.store.backend import is_postgres
from triage.store.backend.postgres import split_url
from triage.text import printable


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


def config_dir() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / "triage"


def data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / "triage"


class ViewConfig(BaseModel):
    """A saved view (``[[views]]``): a name, a query (``triage.query``) and a sort, a column of
    the queue (``SORT_KEYS``) and ``asc`` or ``desc`` (``"due asc"``)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    query: str = ""
    sort: str = "severity desc"

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("a view needs a name")
        if printable(v, single_line=True) != v:
            raise ValueError("a view's name must be plain text (no control or invisible characters)")
        return v

    @field_validator("query")
    @classmethod
    def _query(cls, v: str) -> str:
        try:
            parse(v)
        except QuerySyntaxError as exc:
            raise ValueError(str(exc)) from None
        return v

    @field_validator("sort")
    @classmethod
    def _sort(cls, v: str) -> str:
        parse_sort(v)
        return v

    @property
    def order(self) -> tuple[str, bool]:
        """The sort column and whether it is descending."""
        return parse_sort(self.sort)


def parse_sort(text: str) -> tuple[str, bool]:
    """``"due"``, ``"due asc"``, ``"severity desc"``: a column of the queue and a direction
    (without one, the column's own: newest and most severe first, else ascending)."""
    parts = text.split()
    if not parts or len(parts) > 2 or parts[0] not in SORT_KEYS:
        raise ValueError(f"sort {text!r}: write a column ({', '.join(SORT_KEYS)}) and asc or desc")
    if len(parts) == 1:
        return parts[0], parts[0] in ("severity", "age")
    if parts[1] not in ("asc", "desc"):
        raise ValueError(f"sort {text!r}: the direction is asc or desc")
    return parts[0], parts[1] == "desc"


NOTIFY_EVENTS = ("breach", "due_soon", "assigned", "critical", "escalated")
NotifyEvent = Literal["breach", "due_soon", "assigned", "critical", "escalated"]


class NotifyTarget(BaseModel):
    """A ``[[notify]]`` table: where notifications go and which ones. Secrets (a webhook URL's
    token, the SMTP password) are read from the environment variables it names, when sending
    starts; they are never logged, stored or printed."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    kind: Literal["webhook", "email"]
    events: list[NotifyEvent] = Field(min_length=1)
    due_soon_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    # webhook: a JSON POST with a Slack/Teams-compatible ``text`` field
    url: str | None = None
    url_env: str | None = None
    # email: SMTP with STARTTLS
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    ca_certs: Path | None = None
    username_env: str | None = None
    password_env: str | None = None
    sender: str | None = Field(default=None, alias="from")
    to: list[str] = Field(default_factory=list)
    analysts: dict[str, str] = Field(default_factory=dict)  # analyst -> address, for ``assigned``
    # delivery
    timeout: float = Field(default=10.0, gt=0, le=300)
    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff: float = Field(default=1.0, ge=0, le=300)  # seconds before the second attempt, doubling

    @model_validator(mode="after")
    def _complete(self) -> NotifyTarget:
        if self.kind == "webhook":
            if (self.url is None) == (self.url_env is None):
                raise ValueError(f"notify target {self.name}: a webhook needs url or url_env (one of them)")
        else:
            if not self.smtp_host or not self.sender:
                raise ValueError(f"notify target {self.name}: email needs smtp_host and from")
            if not self.to and not self.analysts:
                raise ValueError(f"notify target {self.name}: email needs to (addresses) or analysts (a map)")
            if (self.username_env is None) != (self.password_env is None):
                raise ValueError(f"notify target {self.name}: give username_env and password_env together")
            if self.username_env is not None and not self.starttls:
                raise ValueError(f"notify target {self.name}: credentials are only sent after STARTTLS")
        return self

    def webhook_url(self) -> str:
        """The webhook's URL, read from the environment when ``url_env`` names it."""
        if self.url is not None:
            return self.url
        assert self.url_env is not None
        value = os.environ.get(self.url_env, "").strip()
        if not value:
            raise ConfigError(f"notify target {self.name}: environment variable {self.url_env} is not set")
        return value

    def credentials(self) -> tuple[str, str] | None:
        if self.username_env is None or self.password_env is None:
            return None
        user, password = os.environ.get(self.username_env), os.environ.get(self.password_env)
        if not user or password is None:
            missing = self.username_env if not user else self.password_env
            raise ConfigError(f"notify target {self.name}: environment variable {missing} is not set")
        return user, password


class Settings(BaseModel):
    """The config file (TOML). Unknown keys are refused so a typo is never silently ignored."""

    model_config = ConfigDict(extra="forbid")

    db: str | None = None  # a file, or a postgresql:// URL (see triage.store.backend)
    analyst: str | None = None
    playbooks: Path | None = None
    signing_key: Path | None = None
    public_key: Path | None = None
    anchor_file: Path | None = None
    screenshots: Path | None = None  # the terminal app's screenshots (default: the workspace's folder)
    timezone: str = "UTC"
    sources: list[SearchSourceConfig] = Field(default_factory=list)
    views: list[ViewConfig] = Field(default_factory=list)

    notify: list[NotifyTarget] = Field(default_factory=list)
    suppression_max_days: int = Field(default=90, ge=1, le=366)  # the longest a suppression rule may last

    @field_validator("notify")
    @classmethod
    def _unique_targets(cls, v: list[NotifyTarget]) -> list[NotifyTarget]:
        names = [t.name for t in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"notify target names must be unique; repeated: {', '.join(dupes)}")
        return v

    @field_validator("sources", "views")
    @classmethod
    def _unique_names(cls, v: list[Any]) -> list[Any]:
        names = [s.name for s in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"names must be unique; repeated: {', '.join(dupes)}")
        return v

    def view(self, name: str) -> ViewConfig:
        for v in self.views:
            if v.name == name:
                return v
        known = ", ".join(v.name for v in self.views) or "none saved"
        raise ConfigError(f"no view named {name!r} in the config file (known: {known})")

    def source(self, name: str) -> SearchSourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sources) or "none configured"
        raise ConfigError(f"no source named {name!r} in the config file (known: {known})")

    @field_validator("playbooks", "signing_key", "public_key", "anchor_file", "screenshots")
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
                nested: dict[str, type[BaseModel]] = {
                    "sources": SearchSourceConfig,
                    "views": ViewConfig,
                    "notify": NotifyTarget,
                }
                model = nested.get(str(err["loc"][0]), Settings) if len(err["loc"]) > 1 else Settings
                known = ", ".join(f.alias or k for k, f in model.model_fields.items())
                parts.append(f"{path}: {field}: unknown setting (known settings: {known})")
            else:
                parts.append(f"{path}: {field}: {err['msg']}")
        raise ConfigError("; ".join(parts)) from None
    # Relative paths in the file are relative to the file.
    base = path.parent
    settings.sources = [_rebase_source(src, base) for src in settings.sources]
    for target in settings.notify:
        if target.ca_certs is not None:
            ca = target.ca_certs.expanduser()
            target.ca_certs = ca if ca.is_absolute() else base / ca
    if settings.db is not None and not is_postgres(settings.db):
        db = Path(settings.db).expanduser()
        settings.db = str(db if db.is_absolute() else base / db)
    for name in ("playbooks", "signing_key", "public_key", "anchor_file", "screenshots"):
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


def resolve_db(cli_value: str | None, settings: Settings) -> str | Path:
    """The workspace: a file path, or a ``postgresql://`` URL kept as written."""
    for value in (cli_value, os.environ.get("TRIAGE_DB"), settings.db):
        if value:
            return value if is_postgres(value) else Path(value).expanduser()
    return data_dir() / "workspace.db"


def claimed_analyst(cli_value: str | None, settings: Settings) -> str | None:
    """The analyst named by ``--analyst``, ``TRIAGE_ANALYST`` or the config file (None: none)."""
    for value in (cli_value, os.environ.get("TRIAGE_ANALYST"), settings.analyst):
        if value and value.strip():
            return value.strip()
    return None


def resolve_analyst(cli_value: str | None, settings: Settings) -> str:
    claimed = claimed_analyst(cli_value, settings)
    if claimed:
        return claimed
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


def anchor_file_path(cli_value: str | None, settings: Settings, db: str | Path) -> Path:
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get("TRIAGE_ANCHOR_FILE")
    if env:
        return Path(env).expanduser()
    if settings.anchor_file:
        return settings.anchor_file
    if isinstance(db, str) and is_postgres(db):  # a team's workspace: the data folder of this host
        return data_dir() / f"{postgres_schema(db)}.anchors.jsonl"
    db = Path(db)
    return db.with_name(db.name + ".anchors.jsonl")


def postgres_schema(url: str) -> str:
    return split_url(url)[1]


# -- saved views: written back to the config file -------------------------------------------


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (``triage.tomldoc``); a lone surrogate is refused."""
    try:
        return tomldoc.toml_string(text)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


@dataclass(frozen=True)
class SavedViews:
    """The ``[[views]]`` of one config file, read fresh each time, and how one is added."""

    path: Path

    def load(self) -> list[ViewConfig]:
        return load_settings(self.path).views if self.path.exists() else []

    def save(self, view: ViewConfig) -> None:
        """Append ``view`` as a ``[[views]]`` table at the end of the file and leave every other
        byte as it was; the file is checked before (it must load) and after (it must load with
        this view added and nothing else changed), and replaced in one rename."""
        text, before = self._read()
        if any(v.name == view.name for v in before):
            raise ConfigError(f"{self.path}: a view named {view.name!r} is saved already (pick another name)")
        sep = "" if not text or text.endswith("\n") else "\n"
        block = (
            f"\n[[views]]\nname = {toml_string(view.name)}\nquery = {toml_string(view.query)}\n"
            f"sort = {toml_string(view.sort)}\n"
        )
        self._write(text, text + sep + block, [*before, view], "add the view to")

    def rename(self, name: str, new_name: str) -> None:
        """Give the view ``name`` the name ``new_name``: its ``name = ...`` line rewritten, every
        other byte as it was (checked as ``save`` checks)."""
        text, before = self._read()
        index = self._index(before, name)
        renamed = ViewConfig(name=new_name, query=before[index].query, sort=before[index].sort)
        if any(v.name == new_name for v in before):
            raise ConfigError(f"{self.path}: a view named {new_name!r} is saved already (pick another name)")
        spans = tomldoc.array_tables(text, "views")
        new = (
            tomldoc.with_key(text, spans[index], "name", toml_string(new_name))
            if len(spans) == len(before)
            else None
        )
        views = [*before[:index], renamed, *before[index + 1 :]]
        self._write(text, new, views, "rename the view in")

    def delete(self, name: str) -> None:
        """Remove the view ``name``: its ``[[views]]`` table's lines, every other byte as it was."""
        text, before = self._read()
        index = self._index(before, name)
        spans = tomldoc.array_tables(text, "views")
        new = tomldoc.without_table(text, spans[index]) if len(spans) == len(before) else None
        self._write(text, new, [*before[:index], *before[index + 1 :]], "delete the view from")

    def _read(self) -> tuple[str, list[ViewConfig]]:
        if not self.path.exists():
            return "", []
        return self.path.read_text(encoding="utf-8"), load_settings(self.path).views

    def _index(self, views: list[ViewConfig], name: str) -> int:
        for i, v in enumerate(views):
            if v.name == name:
                return i
        raise ConfigError(f"{self.path}: no view named {name!r}")

    def _write(self, text: str, new: str | None, views: list[ViewConfig], what: str) -> None:
        """Replace the file's ``text`` with ``new`` if it loads with exactly ``views`` and every
        other setting as it was."""
        path = self.path
        try:
            if new is None:
                raise ValueError("its [[views]] tables are not written one per header")
            data = tomllib.loads(new)
            after = Settings.model_validate(data)
        except (tomllib.TOMLDecodeError, ValidationError, ValueError) as exc:
            raise ConfigError(f"{path}: cannot {what} this file ({exc}); do it by hand") from None
        old_data = tomllib.loads(text)
        old_data.pop("views", [])
        if (
            after.views != views
            or data.pop("views", []) != [v.model_dump() for v in views]
            or data != old_data
        ):
            raise ConfigError(f"{path}: to {what} this file would change other settings; do it by hand")
        try:
            tomldoc.replace_file(path, new)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot write: {exc}") from None
