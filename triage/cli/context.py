"""What every command needs, opened lazily: settings, workspace, playbooks, command layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from triage.commands import Commands
from triage.config import (
    Settings,
    claimed_analyst,
    load_settings,
    resolve_analyst,
    resolve_db,
    resolve_playbooks,
)
from triage.playbooks import PlaybookSet
from triage.store.backend import is_postgres
from triage.store.workspace import Workspace


@dataclass
class Context:
    db_option: str | None = None
    analyst_option: str | None = None
    config_option: str | None = None
    playbooks_option: str | None = None
    _settings: Settings | None = None
    _ws: Workspace | None = None
    _playbooks: PlaybookSet | None = None
    _commands: Commands | None = None
    cleanup: list[Workspace] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(Path(self.config_option) if self.config_option else None)
        return self._settings

    @property
    def db_path(self) -> str | Path:
        return resolve_db(self.db_option, self.settings)

    @property
    def analyst(self) -> str:
        """Who acts: on PostgreSQL the role that connected (a name claimed must be that role's,
        unless the workspace's owner connected); on a file the name given, else the login."""
        if is_postgres(self.db_path):
            return self.ws.acting_as(claimed_analyst(self.analyst_option, self.settings))
        return resolve_analyst(self.analyst_option, self.settings)

    @property
    def ws(self) -> Workspace:
        if self._ws is None:
            self._ws = Workspace.open(self.db_path)
            self.cleanup.append(self._ws)
        return self._ws

    @property
    def playbooks(self) -> PlaybookSet:
        if self._playbooks is None:
            self._playbooks = PlaybookSet.from_directory(
                resolve_playbooks(self.playbooks_option, self.settings)
            )
        return self._playbooks

    @property
    def commands(self) -> Commands:
        if self._commands is None:
            self._commands = Commands(self.ws, self.playbooks, self.analyst)
        return self._commands

    def close(self) -> None:
        for ws in self.cleanup:
            ws.close()


pass_ctx = click.make_pass_decorator(Context)
