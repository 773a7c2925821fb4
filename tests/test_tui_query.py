"""The app's search box takes the query language, and saved views; what they show is what gets acted on."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input

from triage.clock import format_ts
from triage.commands import Commands
from triage.config import SavedViews, ViewConfig
from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace
from triage.tui import TriageApp
from triage.tui.screens.prompt_dialog import PromptDialog
from triage.tui.screens.queue import QueueScreen
from triage.tui.screens.view_picker import ViewPicker
from triage.tui.widgets.alert_table import AlertTable
from triage.tui.widgets.counts_bar import CountsBar
from triage.tui.widgets.filter_bar import DEBOUNCE_S

from .tui_helpers import KEYS, NOW, last_action, make_app, screen_text, settle, type_text

pytestmark = pytest.mark.asyncio


async def test_a_query_in_the_search_box_and_a_bulk_action_on_what_it_found(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.query_one("#alerts", AlertTable)
        await pilot.press("slash")
        await type_text(pilot, "host:web-01 severity>=high")
        await pilot.press("enter")
        await settle(pilot)
        rows = table._window
        assert table.count == len(rows) > 0
        assert all(r.host == "web-01" and r.severity in ("critical", "high") for r in rows)
        ids = sorted(r.id for r in rows)
        expected = sorted(
            r[0]
            for r in tui_ws.conn.execute(
                "SELECT id FROM alerts WHERE host = 'web-01' AND severity IN ('critical', 'high')"
            )
        )
        assert ids == expected
        for _ in rows:
            await pilot.press("space")
        await pilot.press("a")  # acknowledge every alert the query found: one event each
        await settle(pilot)
        for alert_id in ids:
            event = last_action(tui_ws, alert_id)
            assert event.action == "alert.acknowledged" and event.actor == "alice"
        others = tui_ws.conn.execute("SELECT count(*) FROM alerts WHERE status = 'acknowledged'").fetchone()[
            0
        ]
        assert others == len(ids)


async def test_keys_in_one_burst_after_slash_all_go_to_the_search_box(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    """A paste: the keys are all in the app's queue before it handles the first ("/"), so
    none may reach the table (where "e" escalates and "s" sorts); a "/" in the box is text."""
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        await settle(pilot)
        table = screen.query_one("#alerts", AlertTable)
        search = screen.query_one("#filter-text", Input)
        sort = screen.view.sort
        query = "/src_ip:203.0.113.0/28 severity>=high"
        for ch in query:
            app.post_message(events.Key(KEYS.get(ch, ch), ch))
        app.post_message(events.Key("enter", "\r"))
        await settle(pilot)
        await pilot.pause(DEBOUNCE_S * 2)  # nothing is left pending: enter applies at once
        assert search.value == screen.view.text == query[1:]
        assert screen.view.sort == sort
        assert app.screen is screen and app.focused is table  # no dialog, back on the table
        assert sorted(r.id for r in table._window) == [1, 2, 6, 7, 11, 12]  # 203.0.113.0-11, high+
        written = tui_ws.conn.execute("SELECT count(*) FROM events WHERE action <> 'alert.ingested'")
        assert written.fetchone()[0] == 0


async def test_a_query_that_cannot_be_read_says_where_and_keeps_the_box(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.query_one("#alerts", AlertTable)
        search = screen.query_one("#filter-text", Input)
        before = table.count
        await pilot.press("slash")
        await type_text(pilot, "severity>=hgh")
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused is search  # stays to be fixed
        assert search.has_class("-invalid")
        assert table.count == before  # the last good query still applies
        assert "column 11: unknown severity 'hgh'" in str(screen.query_one("#counts", CountsBar).render())
        assert "column 11" in screen_text(app)
        await pilot.press("backspace", "backspace", "backspace")
        await type_text(pilot, "critical")
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused is table and not search.has_class("-invalid")
        assert table.count == 4 and all(r.severity == "critical" for r in table._window)


def views_app(ws: Workspace, playbooks: PlaybookSet, config: Path) -> TriageApp:
    return TriageApp(
        ws,
        Commands(ws, playbooks, "alice"),
        playbooks,
        "alice",
        lambda: NOW,
        poll_interval=0,
        cursor_blink=False,
        views=SavedViews(config),
    )


VIEWS = """\
# the team's views
analyst = "alice"

[[views]]
name = "ssh"
query = 'rule:"SSH*"'
sort = "host asc"

[[views]]
name = "critical web"
query = "severity:critical host:web-*"
sort = "id desc"
"""


async def test_the_view_picker_applies_a_view_and_acting_on_it_is_logged(
    tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(VIEWS)
    app = views_app(tui_ws, playbooks, config)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.query_one("#alerts", AlertTable)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ViewPicker)
        text = screen_text(app)
        assert "ssh" in text and "critical web" in text and "Save the current query" in text
        await pilot.press("down", "enter")  # the second view
        await settle(pilot)
        assert app.screen is screen
        assert screen.view.text == "severity:critical host:web-*"
        assert (screen.view.sort, screen.view.descending) == ("id", True)
        assert screen.query_one("#filter-text", Input).value == "severity:critical host:web-*"
        rows = table._window
        expected = [
            r[0]
            for r in tui_ws.conn.execute(
                "SELECT id FROM alerts WHERE severity = 'critical' AND host LIKE 'web-%' ORDER BY id DESC"
            )
        ]
        assert [r.id for r in rows] == expected and expected
        await pilot.press("m")  # take the first alert of the view
        await settle(pilot)
        event = last_action(tui_ws, expected[0])
        assert event.action == "alert.assigned" and event.payload["assignee"] == "alice"


async def test_saving_the_current_query_as_a_view(
    tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(VIEWS)
    app = views_app(tui_ws, playbooks, config)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        await pilot.press("slash")
        await type_text(pilot, "user:bob -severity:low")
        await pilot.press("enter", "S")  # applied, then the sort reversed
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("end", "enter")  # "+ Save the current query as a view"
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        await type_text(pilot, "bob now")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert config.read_text().startswith(VIEWS)
        saved = SavedViews(config).load()[-1]
        assert saved == ViewConfig(name="bob now", query="user:bob -severity:low", sort="severity asc")
        await pilot.press("V")  # the same name again is refused, and the file stays
        await settle(pilot)
        await type_text(pilot, "ssh")
        await pilot.press("enter")
        await settle(pilot)
        assert len(SavedViews(config).load()) == 3
        assert any("is saved already" in n.message for n in app._notifications)


async def test_breached_in_the_search_box_means_past_due_on_the_apps_clock(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)  # its clock is NOW, not the wall clock
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.query_one("#alerts", AlertTable)
        shown_over = {r.id for r in table._window if r.due is not None and r.due < format_ts(NOW)}
        assert 0 < len(shown_over) < table.count
        await pilot.press("slash")
        await type_text(pilot, "breached:true")
        await pilot.press("enter")
        await settle(pilot)
        assert {r.id for r in table._window} == shown_over
        assert "over" in screen_text(app)


async def test_the_view_picker_says_why_the_views_cannot_be_read(
    tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[views]]\nname = "broken"\nquery = "host:"\n')
    app = views_app(tui_ws, playbooks, config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ViewPicker)
        assert "views.0.query" in screen_text(app) and "column 6" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert config.read_text() == '[[views]]\nname = "broken"\nquery = "host:"\n'


async def test_a_view_renamed_and_deleted_from_the_picker(
    tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path
) -> None:
    """r renames the highlighted view, delete removes it (after a yes); the rest of the file,
    its comment and the other view, stays byte for byte."""
    config = tmp_path / "config.toml"
    config.write_text(VIEWS)
    app = views_app(tui_ws, playbooks, config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ViewPicker)
        await pilot.press("down", "r")  # the second view: "critical web"
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one(Input).value = "web criticals"
        await pilot.press("enter")
        await settle(pilot)
        assert "Renamed view critical web to web criticals" in [n.message for n in app._notifications]
        assert config.read_text() == VIEWS.replace('name = "critical web"', 'name = "web criticals"')

        await pilot.press("v")
        await settle(pilot)
        await pilot.press("delete")  # the first view: "ssh"
        await settle(pilot)
        assert "Remove the view ssh" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert "Deleted view ssh" in [n.message for n in app._notifications]
        expected = VIEWS.replace('name = "critical web"', 'name = "web criticals"')
        ssh = '\n[[views]]\nname = "ssh"\nquery = \'rule:"SSH*"\'\nsort = "host asc"\n'
        expected = expected.replace(ssh, "")
        assert config.read_text() == expected
        assert [v.name for v in SavedViews(config).load()] == ["web criticals"]
