"""The app's search box takes the query language; what it finds is what gets acted on."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace
from triage.tui.screens.queue import QueueScreen
from triage.tui.widgets.alert_table import AlertTable
from triage.tui.widgets.counts_bar import CountsBar

from .tui_helpers import last_action, make_app, screen_text, settle, type_text

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
