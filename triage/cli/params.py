"""Click parameter types and options shared by the CLI commands (ids, dispositions, severities,
`--json`), so every command checks its arguments the same way and says what it expects."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from triage.clock import parse_duration
from triage.domain.states import ANALYST_DISPOSITIONS
from triage.store.backend import is_postgres

F = TypeVar("F", bound=Callable[..., Any])

_ID_RE = re.compile(r"^(?:[A-Za-z]+-?)?#?(\d{1,12})$")


class IdType(click.ParamType):
    """``17``, ``#17``, ``A-17`` or ``INC-3``."""

    def __init__(self, what: str) -> None:
        self.name = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        m = _ID_RE.match(str(value).strip())
        if not m:
            self.fail(f"{value!r} is not an {self.name} id (a number such as 17)", param, ctx)
        return int(m.group(1))


ALERT_ID = IdType("alert")
INCIDENT_ID = IdType("incident")
DISPOSITION = click.Choice([d.value for d in ANALYST_DISPOSITIONS])
SEVERITY = click.Choice(["critical", "high", "medium", "low", "informational"], case_sensitive=False)

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
expect_option = click.option(
    "--expect-seq",
    type=int,
    default=None,
    help="Refuse if the alert changed since this event sequence number (optimistic concurrency).",
)


class RenamedOption(click.Option):
    """An option whose ``old`` spellings still work (existing scripts) but are left out of
    ``--help``, which shows only the current name."""

    def __init__(self, *args: Any, old: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.old = old

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        shown, self.opts = self.opts, [o for o in self.opts if o not in self.old]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = shown


def signing_key_option(help_text: str) -> Callable[[F], F]:
    """``--signing-key`` (``signing_key`` in the config file); ``--key`` is its old spelling."""
    return click.option(
        "--signing-key", "--key", "key_path", cls=RenamedOption, old=("--key",), help=help_text
    )


class WorkspaceParam(click.ParamType):
    """A workspace to open: a ``postgresql://`` URL as written, or a file that exists."""

    name = "WORKSPACE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str | Path:
        if isinstance(value, Path):
            value = str(value)
        if is_postgres(value):
            return str(value)
        return click.Path(exists=True, dir_okay=False, path_type=Path).convert(value, param, ctx)  # type: ignore[return-value]


WORKSPACE = WorkspaceParam()


class DurationType(click.ParamType):
    """``8h``, ``30m``, ``14d`` or a number of seconds, as a ``timedelta``."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, timedelta):
            return value
        try:
            return parse_duration(int(value) if str(value).isdigit() else str(value))
        except ValueError:
            name = param.opts[0] if param is not None and param.opts else "--duration"
            self.fail(f"{value!r} is not a duration (e.g. {name} 8h, {name} 30m, {name} 14d)", param, ctx)


DURATION = DurationType()
