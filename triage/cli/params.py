from __future__ import annotations

import re
from typing import Any

import click

from triage.domain.states import Disposition

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
DISPOSITION = click.Choice([d.value for d in Disposition])
SEVERITY = click.Choice(["critical", "high", "medium", "low", "informational"], case_sensitive=False)

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
expect_option = click.option(
    "--expect-seq",
    type=int,
    default=None,
    help="Refuse if the alert changed since this event sequence number (optimistic concurrency).",
)
