"""The command palette reaches every action of the screen it was opened on (and the app's)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.binding import ActiveBinding, Binding
from textual.command import DiscoveryHit, Hit, Hits
from textual.dom import DOMNode
from textual.system_commands import SystemCommandsProvider


class ActionsProvider(SystemCommandsProvider):
    """One provider, so the order is fixed: the actions, then Textual's own commands (theme, keys...)."""

    def _actions(self) -> Iterator[tuple[str, str, DOMNode, str]]:
        """The screen's own actions first, then the app's, then those of the focused widget
        (scrolling, paging: generic, and many)."""
        seen: set[tuple[int, str]] = set()

        def own(node: DOMNode) -> set[str]:
            return {b.action for b in type(node).BINDINGS if isinstance(b, Binding)}

        screen_own, app_own = own(self.screen), own(self.app)

        def rank(item: tuple[str, ActiveBinding]) -> int:
            node, action = item[1].node, item[1].binding.action
            if node is self.screen and action in screen_own:
                return 0
            return 1 if node is self.app and action in app_own else 2

        for key, active in sorted(self.screen.active_bindings.items(), key=rank):
            binding = active.binding
            if not binding.description or (id(active.node), binding.action) in seen:
                continue
            seen.add((id(active.node), binding.action))
            keys = self.app.get_key_display(binding)
            yield binding.tooltip or binding.description, f"key: {keys or key}", active.node, binding.action

    async def discover(self) -> Hits:
        for title, help_text, node, action in self._actions():
            yield DiscoveryHit(title, partial(self.app.run_action, action, node), help=help_text)
        async for hit in super().discover():
            yield hit

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, node, action in self._actions():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self.app.run_action, action, node),
                    help=help_text,
                )
        async for hit in super().search(query):
            yield hit
