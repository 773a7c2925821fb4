"""The Raw tab: copy a value or the whole document (the clipboard and a file), and pivot from a
host, user, address or hash (Raw or Overview) to the queue filtered to exactly those alerts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, OptionList

from triage.commands import Commands
from triage.playbooks import PlaybookSet
from triage.query import parse, quote
from triage.store.workspace import Workspace
from triage.tui import TriageApp
from triage.tui.pivot import pivot_query
from triage.tui.screens.alert_detail import AlertDetailScreen
from triage.tui.screens.pivot_picker import PivotPicker
from triage.tui.screens.queue import QueueScreen
from triage.tui.widgets.alert_table import AlertTable
from triage.tui.widgets.raw_tree import RawTree

from .conftest import make_alert
from .tui_helpers import HOSTILE, HOSTILE_TITLE, make_app, settle

HOSTILE_ID = 13  # tests/tui_helpers.build_workspace: the last alert ingested
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def app_for(ws: Workspace, playbooks: PlaybookSet, folder: Path) -> tuple[TriageApp, list[str]]:
    """The app, its copies into ``folder``, and what it sent to the clipboard."""
    app = make_app(ws, playbooks)
    app.screenshots = folder
    copied: list[str] = []
    real = app.copy_to_clipboard

    def record(text: str) -> None:
        copied.append(text)
        real(text)

    app.copy_to_clipboard = record  # type: ignore[method-assign]
    return app, copied


async def open_raw(pilot: Any, app: TriageApp, alert_id: int) -> RawTree:
    app.push_screen(AlertDetailScreen(app.backend, alert_id))
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    return app.screen.query_one("#raw", RawTree)


async def to_path(pilot: Any, tree: RawTree, path: tuple[str, ...]) -> None:
    def walk(node: Any) -> Any:
        for child in node.children:
            if child.data is not None and child.data.path == path:
                return child
            found = walk(child)
            if found is not None:
                return found
        return None

    node = walk(tree.root)
    assert node is not None, path
    parent = node.parent
    while parent is not None:  # unfold down to it, as the analyst would
        parent.expand()
        parent = parent.parent
    await pilot.pause()
    tree.move_cursor(node)
    await pilot.pause()
    assert tree.cursor_node is node


def shown_ids(app: TriageApp) -> list[int]:
    screen = app.screen
    assert isinstance(screen, QueueScreen)
    return sorted(r.id for r in screen.queue.page(screen.view, 0, 100))


@pytest.mark.asyncio
async def test_copy_a_value_and_the_whole_document(
    tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app, copied = app_for(tui_ws, playbooks, tmp_path / "shots")
    async with app.run_test(size=(80, 24)) as pilot:
        tree = await open_raw(pilot, app, HOSTILE_ID)
        await to_path(pilot, tree, (HOSTILE["click"], "nested"))
        await pilot.press("y")
        await settle(pilot)
        assert copied == [HOSTILE["osc52"]]  # the exact value, escape sequence included
        (saved,) = (tmp_path / "shots").iterdir()
        assert saved.name.startswith(f"alert-{HOSTILE_ID}-value-") and saved.suffix == ".txt"
        assert saved.read_text(encoding="utf-8") == HOSTILE["osc52"]
        await pilot.press("Y")
        await settle(pilot)
        assert len(copied) == 2
        document = {"message": HOSTILE_TITLE, HOSTILE["click"]: {"nested": HOSTILE["osc52"]}}
        assert json.loads(copied[1]) == document
        (raw,) = (tmp_path / "shots").glob("*.json")
        assert raw.name.startswith(f"alert-{HOSTILE_ID}-raw-")
        assert raw.read_text(encoding="utf-8") == copied[1]
        await to_path(pilot, tree, ("message",))
        await pilot.press("y")
        await settle(pilot)
        assert copied[2] == HOSTILE_TITLE
        assert len(list((tmp_path / "shots").glob("*.txt"))) == 2  # a second copy, a second file


@pytest.mark.asyncio
async def test_the_copy_notification_names_the_file(
    tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app, _ = app_for(tui_ws, playbooks, tmp_path / "shots")
    told: list[str] = []
    real = app.notify

    def record(message: str, **kw: Any) -> None:
        told.append(message)
        real(message, **kw)

    app.notify = record  # type: ignore[method-assign]
    async with app.run_test(size=(120, 36)) as pilot:
        tree = await open_raw(pilot, app, 2)
        await to_path(pilot, tree, ("host", "name"))
        await pilot.press("y")
        await settle(pilot)
        (saved,) = (tmp_path / "shots").iterdir()
        assert saved.read_text(encoding="utf-8") == "web-01"
        assert told == [f"to the clipboard and to {saved.resolve()}"]


@pytest.mark.asyncio
async def test_enter_on_a_host_in_the_raw_tab_shows_exactly_its_alerts(
    tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    Commands(tui_ws, playbooks, "bob").close(5, "false_positive", "noise", override="test")
    app, _ = app_for(tui_ws, playbooks, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = await open_raw(pilot, app, 2)
        await to_path(pilot, tree, ("host", "name"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.query_one("#filter-text", Input).value == 'host:"web-01"'
        assert shown_ids(app) == [2, 5, 8, 11]  # every status: alert 5 is closed
        assert app.screen.query_one("#alerts", AlertTable).count == 4
        assert app.screen.focused is app.screen.query_one("#alerts", AlertTable)


@pytest.mark.asyncio
async def test_a_hostile_host_cannot_widen_the_pivot(
    tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    sneaky = 'x" OR -host:"nothing*'
    cmds = Commands(tui_ws, playbooks, "poller")
    (alert_id,) = cmds.ingest(
        [make_alert(doc_id="sneaky", host=sneaky, raw={"host": {"name": sneaky}})]
    ).alert_ids
    cmds.ingest([make_alert(doc_id="near", host="x", raw={})])
    app, _ = app_for(tui_ws, playbooks, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = await open_raw(pilot, app, alert_id)
        await to_path(pilot, tree, ("host", "name"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert shown_ids(app) == [alert_id]


@pytest.mark.asyncio
async def test_enter_on_a_hash_finds_the_alerts_whose_document_holds_it(
    tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    """Not the alerts that only name it in a title or a rule name (a free word would find those,
    and none of the others)."""
    cmds = Commands(tui_ws, playbooks, "poller")
    ids = cmds.ingest(
        [
            make_alert(doc_id="h1", title="Malware on web-01", raw={"file": {"hash": {"sha256": SHA}}}),
            make_alert(doc_id="h2", title="Known bad file", rule_name=f"Hash {SHA}", raw={}),
            make_alert(
                doc_id="h3", title="EICAR", raw={"process": {"parent": {"hash": {"sha256": SHA.upper()}}}}
            ),
            make_alert(doc_id="h4", title="Suricata file", raw={"fileinfo": {"sha256": SHA[:-1] + "0"}}),
        ]
    ).alert_ids
    app, _ = app_for(tui_ws, playbooks, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = await open_raw(pilot, app, ids[0])
        await to_path(pilot, tree, ("file", "hash", "sha256"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.query_one("#filter-text", Input).value == f"hash:{SHA}"
        assert shown_ids(app) == [ids[0], ids[2]]


@pytest.mark.asyncio
async def test_p_in_the_overview_offers_the_documents_hashes(
    tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    cmds = Commands(tui_ws, playbooks, "poller")
    ids = cmds.ingest(
        [
            make_alert(doc_id="o1", host="ws-7", raw={"process": {"hash": {"sha256": SHA}}}),
            make_alert(doc_id="o2", host="ws-8", raw={"dll": [{"hash": {"sha256": SHA}}]}),
        ]
    ).alert_ids
    app, _ = app_for(tui_ws, playbooks, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(AlertDetailScreen(app.backend, ids[0]))
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PivotPicker)
        assert [(label, query) for label, _, query in picker.pivots][-1] == ("hash", f"hash:{SHA}")
        await pilot.press("end", "enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert shown_ids(app) == ids


@pytest.mark.asyncio
async def test_enter_on_something_else_does_not_pivot(
    tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app, _ = app_for(tui_ws, playbooks, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = await open_raw(pilot, app, 2)
        await to_path(pilot, tree, ("event", "kind"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AlertDetailScreen)


@pytest.mark.asyncio
async def test_p_in_the_overview_pivots_on_the_alerts_user(
    tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    app, _ = app_for(tui_ws, playbooks, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(AlertDetailScreen(app.backend, 3))  # web-02, carol, 203.0.113.2
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PivotPicker)
        assert [label for label, _, _ in picker.pivots] == ["host", "user", "src_ip"]
        assert picker.query_one("#pivot-list", OptionList).has_focus
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.query_one("#filter-text", Input).value == 'user:"carol"'
        assert shown_ids(app) == [3, 6, 9, 12]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("host", "name"), "web-09", 'host:"web-09"'),
        (("agent", "hostname"), "dc-1", 'host:"dc-1"'),
        (("user", "name"), "eve", 'user:"eve"'),
        (("source", "ip"), "198.51.100.7", 'src_ip:"198.51.100.7"'),
        (("destination", "address"), "10.0.0.1", 'dst_ip:"10.0.0.1"'),
        (("observer", "ip"), "10.0.0.2", '(src_ip:"10.0.0.2" OR dst_ip:"10.0.0.2")'),
        (  # not a hash of the document's (the hashes given below): a phrase
            ("process", "hash", "md5"),
            "d41d8cd98f00b204e9800998ecf8427f",
            '"d41d8cd98f00b204e9800998ecf8427f"',
        ),
        (
            ("process", "hash", "md5"),
            "D41D8CD98F00B204E9800998ECF8427E",
            "hash:d41d8cd98f00b204e9800998ecf8427e",
        ),
        (("event", "kind"), "alert", None),
        (("host", "os", "name"), "Linux", None),
        (("n",), 3, None),
        (("flag",), True, None),
        (("host", "name"), 'a"b*c', 'host:"a\\"b\\*c"'),
    ],
)
def test_what_a_raw_value_pivots_to(path: tuple[str, ...], value: object, expected: str | None) -> None:
    hashes = frozenset({"d41d8cd98f00b204e9800998ecf8427e"})
    query = pivot_query(path, value, {"host": "web-01", "user_name": "bob"}, hashes)
    assert query == expected
    if query is not None:
        parse(query)  # always a query the language reads


def test_a_quoted_value_is_one_literal_term() -> None:
    for value in ('x" OR host:*', "a\\", "*", "(", "-x", 'say "hi"', "\x1b[31m"):
        q = parse(f"host:{quote(value)}")
        assert q.matches({"host": value}) and not q.matches({"host": value + "y"})
