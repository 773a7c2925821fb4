"""What an analyst reads on a shift: sort labels, the severity column, times with their zone,
notes with their line breaks, who closed an alert, and how long ago an alert fired."""

from __future__ import annotations

import re

import pytest

from triage.commands import Commands
from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace
from triage.tui.messages import AlertChosen
from triage.tui.widgets.alert_table import AlertTable
from triage.tui.widgets.counts_bar import CountsBar

from .tui_helpers import NOW, make_app, screen_text, settle, type_text

pytestmark = pytest.mark.asyncio

STORED_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")  # the log's own spelling, not for people
SHOWN_TS = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")


def table_of(app: object) -> AlertTable:
    return app.screen.query_one("#alerts", AlertTable)  # type: ignore[attr-defined, no-any-return]


def line_of(app: object, alert_id: int) -> str:
    rows = [line for line in screen_text(app).splitlines() if line.startswith(f"  {alert_id} ")]  # type: ignore[arg-type]
    assert len(rows) == 1, rows
    return rows[0]


async def test_the_sort_shows_its_human_label(tui_ws: Workspace, playbooks: PlaybookSet) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(160, 36)) as pilot:
        await settle(pilot)
        seen = set()
        for _ in range(10):
            await pilot.press("s")
            await settle(pilot)
            seen.add(str(app.screen.query_one("#counts", CountsBar).render()).split("sort: ")[1])
        assert "source IP ▼" in seen or "source IP ▲" in seen
        assert not any("src_ip" in label or "_" in label for label in seen), seen


@pytest.mark.parametrize(("width", "shown"), [(160, "informational"), (80, "info ")])
async def test_informational_is_never_cut_short(
    width: int, shown: str, tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(width, 36)) as pilot:
        await settle(pilot)
        line = line_of(app, 5)  # alert 5 is informational
        assert shown in line and "informat " not in line, line


async def test_times_are_shown_in_one_format_with_their_zone(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    Commands(tui_ws, playbooks, "bob").note(1, "Failures from one /24 only.\nChecked the VPN logs too.")
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("slash", "number_sign", "1", "enter", "enter")
        await settle(pilot)
        overview = screen_text(app)
        assert "fired        2026-10-01 12:00:00 UTC" in overview
        assert "ingested     2026-10-01 11:55:01 UTC" in overview
        await pilot.press("4")
        await settle(pilot)
        timeline = screen_text(app)
        for text in (overview, timeline):
            assert not STORED_TS.search(text), text
        assert len(SHOWN_TS.findall(timeline)) == 2


async def test_a_note_keeps_its_line_breaks_in_the_timeline_and_stays_escaped(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    Commands(tui_ws, playbooks, "bob").note(1, "first line\nsecond \x1b[31mline")
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("slash", "number_sign", "1", "enter", "enter", "4")
        await settle(pilot)
        lines = screen_text(app).splitlines()
        first = next(i for i, line in enumerate(lines) if "note: first line" in line)
        assert "\\n" not in lines[first]
        assert lines[first + 1].strip() == "second \\x1b[31mline"
        # under the event's text, not at the margin
        assert lines[first + 1].index("second") == lines[first].index("bob")


async def test_the_queue_shows_who_closed_an_alert(tui_ws: Workspace, playbooks: PlaybookSet) -> None:
    Commands(tui_ws, playbooks, "bob").close(3, "false_positive", "scan", override="no steps apply")
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press(*["f"] * 6)  # the "all" view
        await settle(pilot)
        line = line_of(app, 3)
        assert "closed" in line and "by bob" in line, line


async def test_age_since_fired_in_the_detail_and_in_the_queue(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    """Alert 4 fired 21 minutes before T0 and arrived 5 minutes before it; the app's clock
    stands at T0 + 20 minutes: 25m since it arrived, 41m since it fired."""
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = table_of(app)
        assert re.search(r"\bAGE\b", screen_text(app).splitlines()[table.region.y])
        assert " 24m " in line_of(app, 4)
        await pilot.press("t")
        await settle(pilot)
        assert "FIRED" in screen_text(app).splitlines()[table.region.y]
        assert " 41m " in line_of(app, 4)
        await pilot.press("t")
        await settle(pilot)
        assert " 24m " in line_of(app, 4)
        await type_text(pilot, "/#4\n")
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "(41m ago)" in text and "(24m ago)" in text
    assert NOW.minute == 20


async def test_a_duplicate_and_its_original_name_each_other(
    tui_ws: Workspace, playbooks: PlaybookSet
) -> None:
    Commands(tui_ws, playbooks, "bob").close(5, "duplicate", "the same scan", duplicate_of=4)
    app = make_app(tui_ws, playbooks)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.post_message(AlertChosen(5))
        await settle(pilot)
        assert "duplicate of 4" in screen_text(app)
        await pilot.press("escape")
        app.post_message(AlertChosen(4))
        await settle(pilot)
        assert "duplicates   #5" in screen_text(app)
