"""Status, severity and playbook filters over the queue, and its search box (a query)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Select

from triage.domain.alert import Severity
from triage.queue import STATUS_VIEWS
from triage.tui.widgets.entry import EntryInput

DEBOUNCE_S = 0.25


class FilterBar(Horizontal):
    """Posts ``Changed`` when the analyst changes a filter (typing waits for a pause), and
    ``Done`` when the search box is left with enter (applied) or escape (cleared)."""

    DEFAULT_CLASSES = "filter-bar"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "clear_search", "Clear search", show=False)]
    STATUS_LABELS: ClassVar[dict[str, str]] = {
        "open": "Open",
        "mine": "Mine",
        "unassigned": "Unassigned",
        "new": "New",
        "acknowledged": "Acknowledged",
        "closed": "Closed",
        "all": "All",
    }

    class Changed(Message):
        def __init__(self, status: str, severity: str | None, playbook: str | None, text: str) -> None:
            super().__init__()
            self.status = status
            self.severity = severity
            self.playbook = playbook
            self.text = text

    class Done(Message):
        """The analyst is done with the search box (``applied``: with enter, else cleared)."""

        def __init__(self, applied: bool) -> None:
            super().__init__()
            self.applied = applied

    def __init__(self, playbooks: list[str], *, status: str = "open", id: str | None = None) -> None:
        super().__init__(id=id)
        self._playbooks = playbooks
        self._status = status
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Select(
            [(Text(self.STATUS_LABELS[s]), s) for s in STATUS_VIEWS],
            value=self._status,
            allow_blank=False,
            id="filter-status",
            compact=True,
        )
        yield Select(
            [(Text(s.value), s.value) for s in Severity],
            prompt="any severity",
            id="filter-severity",
            compact=True,
        )
        yield Select(
            [(Text(p), p) for p in self._playbooks],
            prompt="any playbook",
            id="filter-playbook",
            compact=True,
        )
        yield EntryInput(placeholder="/ query: host:web-01 severity>=high", id="filter-text", compact=True)

    def values(self) -> tuple[str, str | None, str | None, str]:
        def chosen(widget_id: str) -> str | None:
            value = self.query_one(widget_id, Select).value
            return value if isinstance(value, str) else None

        status = chosen("#filter-status") or "open"
        return status, chosen("#filter-severity"), chosen("#filter-playbook"), self.query_one(Input).value

    def _post(self) -> None:
        self._timer = None
        self.post_message(self.Changed(*self.values()))

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._post()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_S, self._post)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._post()
        self.post_message(self.Done(applied=True))

    def action_clear_search(self) -> None:
        search = self.query_one("#filter-text", Input)
        if self._timer is not None:
            self._timer.stop()
        if search.value:
            search.value = ""
            self._post()
        self.post_message(self.Done(applied=False))

    def cycle(self, which: str) -> None:
        """Step the status, severity or playbook filter to its next choice (a keyboard shortcut)."""
        values: list[object]
        if which == "status":
            values = list(STATUS_VIEWS)
        elif which == "severity":
            values = [Select.NULL, *(s.value for s in Severity)]
        else:
            values = [Select.NULL, *self._playbooks]
        select: Select[str] = self.query_one(f"#filter-{which}", Select)
        index = values.index(select.value) if select.value in values else -1
        select.value = values[(index + 1) % len(values)]  # type: ignore[assignment]
