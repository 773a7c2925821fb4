"""Where the exercise stands: scenario, scenario time, speed, pause, alerts, the next inject."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from triage.tabletop.scenario import format_offset
from triage.text import printable
from triage.tui.exercise import ExerciseControl, speed_label

HINTS = "P pause  N next alert  J next inject  > skip 5 min  +/- speed  T injects"
TICK_S = 0.5  # scenario time moves on screen while the replay plays


class ExerciseBar(Static):
    DEFAULT_CLASSES = "exercise-bar"

    def __init__(self, control: ExerciseControl, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.control = control

    def on_mount(self) -> None:
        self.show_status()
        self.set_interval(TICK_S, self.show_status)

    def show_status(self) -> None:
        c = self.control
        replay = c.replay
        line = Text()
        line.append(" EXERCISE ", style="bold reverse")
        line.append(" ")
        line.append(printable(c.title, single_line=True, limit=40), style="bold")
        line.append(f"  {format_offset(replay.position_s)} / {format_offset(replay.duration_s)}")
        line.append(f"  {speed_label(replay.speed)}")
        if c.failure is not None:
            line.append("  failed", style="bold red")
        elif c.finished is not None:
            line.append("  stopped" if c.finished.stopped else "  finished", style="bold")
        elif replay.paused:
            line.append("  ‖ paused", style="bold yellow")
        else:
            line.append("  ▶ playing", style="green")
        line.append(f"  alerts {c.delivered}/{c.total_alerts}")
        nxt = c.next_inject()
        injects = f"  injects {len(c.injects)}/{len(c.inject_times)}"
        line.append(injects + (f", next {nxt[1]}" if nxt else ""))
        line.append("\n")
        line.append(HINTS, style="dim")
        self.update(line)
