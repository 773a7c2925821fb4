"""The raw source document as a foldable tree; every label is escaped text, never markup.

``y`` copies the highlighted value (a branch: as JSON), ``Y`` the whole document; ``enter`` on
a host, user, address or hash pivots to the queue filtered to it (``triage.tui.pivot``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from triage.domain.hashes import document_hashes
from triage.text import printable
from triage.tui.messages import CopyRequested, PivotChosen
from triage.tui.pivot import pivot_query, value_text

MAX_NODES = 5000


@dataclass(frozen=True)
class RawNode:
    path: tuple[str, ...]  # the keys (and ``[i]`` indexes) from the document's root
    value: Any


class RawTree(Tree[RawNode]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "y", "copy_value", "Copy", key_display="y", tooltip="Copy the value (the clipboard and a file)"
        ),
        Binding(
            "Y",
            "copy_document",
            "Copy raw",
            key_display="Y",
            show=False,
            tooltip="Copy the whole raw document (the clipboard and a file)",
        ),
    ]

    def __init__(self, alert: Mapping[str, Any], *, id: str | None = None) -> None:
        super().__init__(Text("raw document"), id=id)
        self.show_root = False
        self.alert = alert  # its normalised fields name what a value is, for a pivot
        self.doc: Any = None
        self.hashes: frozenset[str] = frozenset()  # the document's: a pivot on one is hash:
        self._count = 0

    def load(self, doc: Any) -> None:
        self.clear()
        self.doc = doc
        self.hashes = frozenset(document_hashes(doc))
        self._count = 0
        self._add(self.root, doc, ())
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

    def _add(self, node: TreeNode[RawNode], value: Any, path: tuple[str, ...]) -> None:
        items: list[tuple[str, Any]]
        if isinstance(value, dict):
            items = [(str(k), v) for k, v in value.items()]
        elif isinstance(value, list):
            items = [(f"[{i}]", v) for i, v in enumerate(value)]
        else:
            node.add_leaf(self._label("value", value), data=RawNode(path, value))
            return
        for key, child in items:
            self._count += 1
            if self._count > MAX_NODES:
                node.add_leaf(Text(f"… more than {MAX_NODES} fields; see `triage show --raw`", style="dim"))
                return
            data = RawNode((*path, key), child)
            if isinstance(child, (dict, list)) and child:
                self._add(node.add(self._label(key, child), data=data), child, data.path)
            else:
                node.add_leaf(self._label(key, child), data=data)

    def _highlighted(self) -> RawNode | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def action_copy_value(self) -> None:
        item = self._highlighted()
        if item is None:
            self.notify("No value here to copy.", severity="warning")
            return
        self.post_message(CopyRequested(value_text(item.value), f"alert-{self.alert.get('id')}-value", "txt"))

    def action_copy_document(self) -> None:
        text = json.dumps(self.doc, indent=2, ensure_ascii=False)
        self.post_message(CopyRequested(text, f"alert-{self.alert.get('id')}-raw", "json"))

    @on(Tree.NodeSelected)
    def _pivot(self, event: Tree.NodeSelected[RawNode]) -> None:
        item = event.node.data
        if item is None or event.node.allow_expand:
            return  # a branch: enter folds it
        event.stop()
        query = pivot_query(item.path, item.value, self.alert, self.hashes)
        if query is None:
            self.notify("Enter pivots on a host, a user, an address or a hash.", severity="warning")
            return
        self.post_message(PivotChosen(query))
