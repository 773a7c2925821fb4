"""Textual's footer, rebuilt only when the keys it shows change.

Textual's ``Footer`` recomposes (a key widget per binding, each styled anew) after every change
of the screen's bindings, once per change: focus moving from widget to widget, a tab shown,
a screen pushed. A tab switch in the alert detail made it recompose four to eleven times, most
of the switch's time, although the keys shown stayed the same. This one recomposes once for
a burst of changes, and not at all when the shown keys are what it already shows.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    def __init__(self, *, compact: bool = False, id: str | None = None) -> None:
        super().__init__(compact=compact, id=id)
        self._composed: tuple[Any, ...] | None = None  # the keys shown, as composed
        self._pending = False  # a recompose is asked for after the next refresh

    def _shown(self) -> tuple[Any, ...]:
        """What ``compose`` shows: each shown binding, whether enabled, its tooltip, and the
        command palette's key."""
        active = self.screen.active_bindings
        shown = tuple((b, enabled, tip) for _, b, enabled, tip in active.values() if b.show)
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        return (shown, palette[1:] if palette else None, self.show_command_palette)

    def compose(self) -> ComposeResult:
        self._composed = self._shown() if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._pending:
            self._pending = True
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._pending = False
        if self.is_attached and self._shown() != self._composed:
            await self.recompose()
