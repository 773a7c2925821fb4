"""Text fields that apply keys in the order they were typed.

Textual's ``Input`` and ``TextArea`` insert a character as soon as its key reaches them, but
run their own bound keys (backspace, the arrows, ctrl+u, enter, ...) only once the key has
travelled up to the app and back. Keys that arrive together (a fast typist, a slow machine, a
terminal over SSH that sends a burst) are then applied out of order: ``b a backspace c``
gives ``ba``, and ctrl+u followed at once by a reason erases the reason (Textualize/textual
#6605). These fields run their own bindings as the key arrives, where a character would go.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget
from textual.widgets import Input, TextArea


async def run_own_binding(widget: Widget, event: events.Key) -> None:
    """Run ``widget``'s own (not priority) binding for the key, as the app would later. Once
    one has run, the app sees the key no more, so the binding does not run twice."""
    for binding in widget._bindings.key_to_bindings.get(event.key, ()):
        if not binding.priority and await widget.app.run_action(binding.action, widget):
            event.stop()
            event.prevent_default()
            return


# Textual calls each class's ``_on_key`` in turn, this one first; a binding run here stops the
# event's default (the next class's handler) and its bubbling, and any other key goes on to
# the field's own handler as before.


class EntryInput(Input):
    """A one-line field; see the module."""

    async def _on_key(self, event: events.Key) -> None:
        await run_own_binding(self, event)


class EntryArea(TextArea):
    """A text area; see the module."""

    async def _on_key(self, event: events.Key) -> None:
        await run_own_binding(self, event)
