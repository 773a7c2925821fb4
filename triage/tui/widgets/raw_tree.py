"""The raw source document as a foldable tree; every label is escaped text, never markup."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from triage.text import printable

MAX_NODES = 5000


class RawTree(Tree[None]):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("raw document"), id=id)
        self.show_root = False
        self._count = 0

    def load(self, doc: Any) -> None:
        self.clear()
        self._count = 0
        self._add(self.root, doc)
        self.root.expand()
        for child in self.root.children:
            child.expand()

    def _label(self, key: str, value: Any) -> Text:
        label = Text(printable(key, single_line=True, limit=200), style="bold")
        if isinstance(value, dict):
            label.append(f" {{{len(value)}}}", style="dim")
        elif isinstance(value, list):
            label.append(f" [{len(value)}]", style="dim")
        else:
            label.append(": ")
            shown = "null" if value is None else (str(value).lower() if isinstance(value, bool) else value)
            style = "green" if isinstance(value, str) else "cyan"
            label.append(printable(shown, single_line=True, limit=2000), style=style)
        return label

    def _add(self, node: TreeNode[None], value: Any) -> None:
        items: list[tuple[str, Any]]
        if isinstance(value, dict):
            items = [(str(k), v) for k, v in value.items()]
        elif isinstance(value, list):
            items = [(f"[{i}]", v) for i, v in enumerate(value)]
        else:
            node.add_leaf(self._label("value", value))
            return
        for key, child in items:
            self._count += 1
            if self._count > MAX_NODES:
                node.add_leaf(Text(f"… more than {MAX_NODES} fields; see `triage show --raw`", style="dim"))
                return
            if isinstance(child, (dict, list)) and child:
                self._add(node.add(self._label(key, child)), child)
            else:
                node.add_leaf(self._label(key, child))
