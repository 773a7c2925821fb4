"""The terminal app. It is built from injected parts and routes messages; screens decide."""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.worker import get_current_worker

from triage import clock as wall
from triage.clock import utc_now
from triage.commands import Commands
from triage.commands.suppressions import DEFAULT_MAX_DAYS
from triage.config import SavedViews, data_dir
from triage.errors import TriageError
from triage.playbooks import PlaybookSet
from triage.shift import build_handover, handover_file, handover_markdown
from triage.store.backend import DatabaseError
from triage.store.backend.postgres import Listener
from triage.store.workspace import Workspace
from triage.tabletop.replay import AlertsReplayed, InjectDue, ReplayEvent, ReplayFinished
from triage.tabletop.scenario import format_offset
from triage.text import printable
from triage.tui.backend import Backend
from triage.tui.collector import CHECK_EVERY, IdleCollector
from triage.tui.exercise import ExerciseControl, speed_label
from triage.tui.messages import (
    AlertChosen,
    CopyRequested,
    ExerciseAdvanced,
    ExerciseFailed,
    IncidentChosen,
    PivotChosen,
    WorkspaceAdvanced,
)
from triage.tui.palette import ActionsProvider
from triage.tui.screens.alert_detail import AlertDetailScreen
from triage.tui.screens.confirm_dialog import ConfirmDialog
from triage.tui.screens.help import HelpScreen
from triage.tui.screens.incident_detail import IncidentDetailScreen
from triage.tui.screens.incidents import IncidentsScreen
from triage.tui.screens.injects import InjectsScreen
from triage.tui.screens.queue import QueueScreen
from triage.tui.widgets.exercise_bar import ExerciseBar
from triage.tui.widgets.inject_list import InjectList

LISTEN_WAIT_S = 0.5  # how long the listener thread waits before it looks whether to stop
HANDOVER_SHIFT = timedelta(hours=8)
DETAIL = "alert-detail"  # the installed alert detail screen

# Exercise mode only (an app without an exercise neither shows nor runs them).
EXERCISE_BINDINGS: list[BindingType] = [
    Binding("P", "exercise_pause", "Pause/resume", show=False, tooltip="Exercise: pause/resume"),
    Binding("N", "exercise_skip('alert')", "Next alert", show=False, tooltip="Exercise: next alert"),
    Binding("J", "exercise_skip('inject')", "Next inject", show=False, tooltip="Exercise: next inject"),
    Binding(
        "greater_than_sign",
        "exercise_skip_by",
        "Skip 5 min",
        show=False,
        tooltip="Exercise: skip 5 min",
    ),
    Binding("plus", "exercise_faster", "Faster", show=False, tooltip="Exercise: faster"),
    Binding("minus", "exercise_slower", "Slower", show=False, tooltip="Exercise: slower"),
    Binding("T", "injects", "Injects", show=False, tooltip="Exercise: injects so far"),
]
EXERCISE_ACTIONS = frozenset(
    ("exercise_pause", "exercise_skip", "exercise_skip_by", "exercise_faster", "exercise_slower", "injects")
)


class TriageApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "triage"
    # Screens get the class -short on a terminal of fewer than 30 rows (app.tcss tightens them).
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]  # noqa: RUF012 (Textual declares it a list)
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {ActionsProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,f1", "help", "Help"),
        Binding("i", "incidents", "Incidents", show=False, tooltip="Incidents"),
        Binding("H", "handover", "Handover", show=False, tooltip="Write the handover of the last 8 hours"),
        Binding("q", "quit", "Quit"),
        Binding("f2", "screenshot", "Screenshot", show=False, tooltip="Screenshot: save the screen as SVG"),
        *EXERCISE_BINDINGS,
    ]

    def __init__(
        self,
        ws: Workspace,
        commands: Commands,
        playbooks: PlaybookSet,
        analyst: str,
        clock: Callable[[], datetime] = utc_now,
        *,
        poll_interval: float = 1.0,
        cursor_blink: bool = True,
        exercise: ExerciseControl | None = None,
        views: SavedViews | None = None,
        suppression_max_days: int = DEFAULT_MAX_DAYS,
        screenshots: Path | None = None,
    ) -> None:
        super().__init__()
        if exercise is not None:
            clock = exercise.clock  # in an exercise every time shown is scenario time
        self._wall_clock = wall.current_clock()
        # Where screenshots go: a folder that exists (the workspace's), never an assumed ~/Downloads.
        if screenshots is None:
            screenshots = ws.path.resolve().parent if ws.path is not None else data_dir() / "screenshots"
        self.screenshots = screenshots
        self.backend = Backend(ws, commands, playbooks, analyst, clock, exercise, views, suppression_max_days)
        self.exercise = exercise
        self.collector = IdleCollector()
        self.poll_interval = poll_interval
        self.cursor_blink = cursor_blink
        self.head = ws.head()[0]

    def on_mount(self) -> None:
        if self.exercise is not None:
            # One clock: what the analyst does is stamped in scenario time too, so ages,
            # targets and the minutes never mix it with the wall clock.
            self._wall_clock = wall.current_clock()
            wall.set_clock(self.exercise.clock)
        self.push_screen(QueueScreen(self.backend))
        # What is here once the queue is up (Python, Textual, the styles, the queue) lives as
        # long as the app: out of the collector's way, a full collection takes a tenth of the
        # time (it walked all of it, about 100 ms at 100,000 alerts, in one screen in three).
        self.call_after_refresh(gc.freeze)
        self.collector.start()  # and the full passes over the rest wait for the analyst to pause
        self.set_interval(CHECK_EVERY, self.collector.tick)
        if self.poll_interval > 0:
            listener = self.backend.ws.listener()
            if listener is not None:  # PostgreSQL tells us; nothing polls the database
                self.listen_for_heads(listener)
            else:
                self.set_interval(self.poll_interval, self.check_head)
        if self.exercise is not None:
            self.play_exercise(self.exercise)

    def on_unmount(self) -> None:
        self.collector.stop()
        gc.unfreeze()  # collectable again (a process may start another app)
        if self.exercise is not None:
            self.exercise.stop()  # the worker records the exercise's end and returns
            self.exercise.done.wait(10)  # in scenario time, before the wall clock is back
            wall.set_clock(self._wall_clock)

    async def action_quit(self) -> None:
        """Leaving an exercise asks first (the replay stops, the exercise ends)."""
        if self.exercise is None:
            await super().action_quit()
            return
        if isinstance(self.screen, ConfirmDialog):
            return
        over = self.exercise.finished is not None or self.exercise.failure is not None
        question = Text(
            "The exercise is over; its workspace stays for the report."
            if over
            else "The replay stops here and the exercise ends: it cannot be resumed."
        )

        def answered(leave: bool | None) -> None:
            if leave:
                self.exit()

        self.push_screen(ConfirmDialog(Text("Leave the exercise?", style="bold"), question), answered)

    @work(thread=True, group="listen", exit_on_error=False)
    def listen_for_heads(self, listener: Listener) -> None:
        """Waits for the heads other processes announce; each one heard goes to the UI thread."""
        worker = get_current_worker()
        try:
            while not worker.is_cancelled:
                heard = listener.wait(LISTEN_WAIT_S)
                if heard is not None and not worker.is_cancelled:
                    self.call_from_thread(self.heard_head, heard)
        finally:
            listener.close()

    def heard_head(self, head: int) -> None:
        """A head announced; a listener that lost its connection says -1: look at the log then,
        so no notification missed meanwhile goes unnoticed."""
        if head < 0:
            self.check_head()
        elif head > self.head:
            self.head = head
            self.screen.post_message(WorkspaceAdvanced(head))

    def check_head(self) -> None:
        """One indexed look at the log's last event: when another process (a poller, a
        colleague) or one of our workers appended, the screen on top reads again."""
        head = self.backend.ws.head()[0]
        if head != self.head:
            self.head = head
            self.screen.post_message(WorkspaceAdvanced(head))

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """Save the screen as SVG (the F2 key, the palette's Screenshot) and say where."""
        folder = Path(path) if path else self.screenshots
        try:
            folder.mkdir(parents=True, exist_ok=True)
            saved = Path(self.save_screenshot(filename, str(folder), time_format)).resolve()
        except OSError as exc:
            self.notify(
                printable(f"{folder}: {exc.strerror or exc}"),
                title="The screenshot was not saved",
                severity="error",
                timeout=10,
                markup=False,
            )
            return None
        self.notify(printable(str(saved)), title="Screenshot saved", timeout=10, markup=False)
        return str(saved)

    def on_copy_requested(self, message: CopyRequested) -> None:
        """Copy to the terminal's clipboard (OSC 52, where the terminal allows it) and, always,
        to a file in the screenshots folder, and say where."""
        self.copy_to_clipboard(message.text)
        stamp = self.backend.clock().strftime("%Y%m%d-%H%M%S")
        try:
            self.screenshots.mkdir(parents=True, exist_ok=True)
            path, n = self.screenshots / f"{message.name}-{stamp}.{message.suffix}", 1
            while path.exists():
                n += 1
                path = self.screenshots / f"{message.name}-{stamp}-{n}.{message.suffix}"
            path.write_text(message.text, encoding="utf-8")
        except OSError as exc:
            problem = printable(f"copied to the clipboard only: {self.screenshots}: {exc.strerror or exc}")
            self.notify(problem, title="Copied", severity="warning", timeout=10, markup=False)
            return
        where = printable(str(path.resolve()))
        self.notify(f"to the clipboard and to {where}", title="Copied", timeout=10, markup=False)

    def on_pivot_chosen(self, message: PivotChosen) -> None:
        """The queue, filtered by the query (every status), on top again."""
        queues = [s for s in self.screen_stack if isinstance(s, QueueScreen)]
        if not queues:
            return
        while self.screen is not queues[0]:
            self.pop_screen()
        queues[0].pivot(message.query)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.collector.active()
        await super().on_event(event)

    async def on_alert_chosen(self, message: AlertChosen) -> None:
        """The alert's detail: the one detail screen kept installed, shown again for this
        alert (its widgets are built once); a second one when it is already open below (an
        alert opened from another's related alerts)."""
        self.collector.active()  # an alert is being opened, by a key or by a link
        if not self.is_screen_installed(DETAIL):
            self.install_screen(AlertDetailScreen(self.backend, message.alert_id), DETAIL)
            self.push_screen(DETAIL)
            return
        detail = self.get_screen(DETAIL)
        if detail in self.screen_stack or not isinstance(detail, AlertDetailScreen):
            self.push_screen(AlertDetailScreen(self.backend, message.alert_id))
            return
        await detail.show(message.alert_id)
        self.push_screen(detail)

    def on_incident_chosen(self, message: IncidentChosen) -> None:
        self.push_screen(IncidentDetailScreen(self.backend, message.incident_id))

    def action_incidents(self) -> None:
        if not isinstance(self.screen, IncidentsScreen):
            self.push_screen(IncidentsScreen(self.backend))

    def action_handover(self) -> None:
        """Write the handover of the last 8 hours beside the workspace and say where."""
        now = self.backend.clock()
        h = build_handover(self.backend.ws, until=now, length=HANDOVER_SHIFT, written_by=self.backend.analyst)
        ws_path = self.backend.ws.path
        folder = (ws_path.parent if ws_path is not None else data_dir()) / "handovers"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = handover_file(folder, now)
            path.write_text(handover_markdown(h), encoding="utf-8")
        except OSError as exc:
            problem = printable(f"The handover could not be written: {exc}")
            self.notify(problem, severity="error", markup=False)
            return
        counts = h.counts()
        self.notify(
            printable(
                f"{counts['still_open']} open, {counts['breached']} breached, "
                f"{counts['due_next_shift']} due next shift: written to {path}"
            ),
            title="Handover of the last 8h",
            timeout=15,
            markup=False,
        )

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    # -- exercise mode ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in EXERCISE_ACTIONS:
            return self.exercise is not None
        return True

    @work(thread=True, group="exercise", exit_on_error=False)
    def play_exercise(self, control: ExerciseControl) -> None:
        """Plays the replay into the exercise workspace; every event comes back as a message."""

        def tell(event: ReplayEvent) -> None:
            self.post_message(ExerciseAdvanced(event))  # thread-safe; widgets are left alone here

        try:
            control.play(tell)
        except TriageError as exc:
            self.post_message(ExerciseFailed(str(exc)))
        except DatabaseError as exc:
            self.post_message(ExerciseFailed(str(exc)))

    def on_exercise_advanced(self, message: ExerciseAdvanced) -> None:
        assert self.exercise is not None
        event = message.event
        self.exercise.heard(event)
        if isinstance(event, InjectDue):
            self.notify(
                printable(event.text),
                title=f"Inject {format_offset(event.at_s)} (T: all injects)",
                timeout=30,
                markup=False,
            )
        elif isinstance(event, AlertsReplayed):
            self.check_head()
        elif isinstance(event, ReplayFinished):
            state = "stopped" if event.stopped else "finished"
            self.notify(f"Replay {state}: {event.alerts} alerts, {event.injects} injects", markup=False)
        self._show_exercise()

    def on_exercise_failed(self, message: ExerciseFailed) -> None:
        assert self.exercise is not None
        self.exercise.failure = message.problem
        self.notify(
            printable(message.problem), title="The replay stopped", severity="error", timeout=30, markup=False
        )
        self._show_exercise()

    def _show_exercise(self) -> None:
        for screen in self.screen_stack:
            for bar in screen.query(ExerciseBar):
                bar.show_status()
            for injects in screen.query(InjectList):
                injects.show_injects()

    def action_exercise_pause(self) -> None:
        if self.exercise is not None:
            self.exercise.toggle_pause()
            self._show_exercise()

    def action_exercise_skip(self, what: str) -> None:
        if self.exercise is not None:
            self.exercise.skip_to(what)

    def action_exercise_skip_by(self) -> None:
        if self.exercise is not None:
            self.exercise.skip_by()

    def action_exercise_faster(self) -> None:
        if self.exercise is not None:
            self.notify(f"Replay speed: {speed_label(self.exercise.faster())}", timeout=2)

    def action_exercise_slower(self) -> None:
        if self.exercise is not None:
            self.notify(f"Replay speed: {speed_label(self.exercise.slower())}", timeout=2)

    def action_injects(self) -> None:
        if self.exercise is not None and not isinstance(self.screen, InjectsScreen):
            self.push_screen(InjectsScreen(self.exercise))
