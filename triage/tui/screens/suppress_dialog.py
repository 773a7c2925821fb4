"""A suppression rule made from an alert: its query (the alert's rule and host to start with),
a reason and how long it lasts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Label

from triage.clock import parse_duration
from triage.query import quote as quoted
from triage.text import printable
from triage.tui.screens.dialog import Dialog
from triage.tui.widgets.entry import EntryInput

DEFAULT_EXPIRY = "14d"


@dataclass(frozen=True)
class SuppressForm:
    query: str
    reason: str
    expires: timedelta


def query_for(alert: dict[str, Any]) -> str:
    """What the rule matches to start with: the alert's rule and host (a field whose text holds
    characters shown escaped is left out: the analyst types what they mean)."""
    parts = []
    for field, value in (("rule", alert.get("rule_name")), ("host", alert.get("host"))):
        if value and printable(value, single_line=True) == value:
            parts.append(f"{field}:{quoted(value)}")
    return " ".join(parts)


class SuppressDialog(Dialog[SuppressForm]):
    def __init__(self, title: Text, query: str) -> None:
        super().__init__(title)
        self.query_text = query

    def body(self) -> ComposeResult:
        yield Label(Text("Query (the alerts it closes as they arrive)"))
        yield EntryInput(value=self.query_text, id="suppress-query")
        yield Label(Text("Reason (at least 20 characters: the auditor reads it)"))
        yield EntryInput(placeholder="why these alerts need no one's attention", id="suppress-reason")
        yield Label(Text("Expires after"))
        yield EntryInput(value=DEFAULT_EXPIRY, placeholder="14d, 48h", id="suppress-expires")

    def result(self) -> SuppressForm | None:
        query = self.query_one("#suppress-query", Input).value.strip()
        reason = self.query_one("#suppress-reason", Input).value.strip()
        expires = self.query_one("#suppress-expires", Input).value.strip()
        if not query:
            self.fail("A query is required")
            return None
        if not reason:
            self.fail("A reason is required")
            return None
        try:
            length = parse_duration(expires)
        except ValueError:
            self.fail(f"{expires or 'nothing'} is not a duration (14d, 48h)")
            return None
        return SuppressForm(query, reason, length)
