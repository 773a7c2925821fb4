"""Tabletop exercises: ``triage tabletop list|check|run|report``."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Literal

import click

from triage.cli.context import Context, pass_ctx
from triage.cli.params import WORKSPACE
from triage.cli.tui import check_terminal_app, on_a_terminal, run_guarded
from triage.clock import format_ts
from triage.config import bundled, data_dir
from triage.errors import ArgumentError, CommandRejected, ScenarioError, WorkspaceError
from triage.store.backend import is_postgres, redact
from triage.store.workspace import KIND_EXERCISE, Workspace
from triage.tabletop import report as minutes_report
from triage.tabletop.exercise import Exercise, default_exercise_id
from triage.tabletop.replay import (
    AlertsReplayed,
    InjectDue,
    Listener,
    Replay,
    ReplayEvent,
    ReplayFinished,
    ReplayPaused,
    ReplayResumed,
    ReplayStarted,
    SkippedAhead,
    SpeedChanged,
)
from triage.tabletop.scenario import SCENARIO_FILE, Scenario, format_offset, parse_offset
from triage.tabletop.scenario import load as load_scenario
from triage.tabletop.sinks import PROFILE_PLACEHOLDER, IndexSink
from triage.text import printable

CONTROLS = "p pause, r resume, n next alert, i next inject, +5m skip ahead, s 60 speed, q stop"


def scenarios_dir() -> Path:
    return bundled("sample_logs") / "scenarios"


def resolve_scenario(value: str) -> Path:
    """A scenario folder (or its scenario.yaml), or the name of a bundled scenario."""
    path = Path(value).expanduser()
    if path.exists():
        return path
    bundled_path = scenarios_dir() / value
    if (bundled_path / SCENARIO_FILE).exists():
        return bundled_path
    known = ", ".join(sorted(p.name for p in scenarios_dir().glob("*") if (p / SCENARIO_FILE).exists()))
    raise ScenarioError(
        [f"{value}: no such scenario folder, and no bundled scenario of that name (bundled: {known})"]
    )


def _say(text: str) -> None:
    click.echo(printable(text, single_line=True))


@click.group("tabletop")
def tabletop_group() -> None:
    """Tabletop exercises: replay a recorded attack into an isolated exercise, then write minutes."""


@tabletop_group.command("list")
def list_cmd() -> None:
    """List the bundled scenarios."""
    for folder in sorted(scenarios_dir().glob("*")):
        if (folder / SCENARIO_FILE).exists():
            s = load_scenario(folder)
            _say(f"{s.spec.id}: {s.spec.title} ({len(s.alerts)} alerts, {format_offset(s.duration_s)})")


@tabletop_group.command("check")
@click.argument("scenario")
def check_cmd(scenario: str) -> None:
    """Load SCENARIO and report every problem (file:line: field: problem) or what it holds."""
    s = load_scenario(resolve_scenario(scenario))
    for line in s.skipped:
        click.echo(f"skipped: {printable(line, single_line=True)}", err=True)
    profiles = sorted({a.alert.profile for a in s.alerts})
    _say(
        f"{s.spec.id}: {len(s.alerts)} alerts ({', '.join(profiles)}) over {format_offset(s.duration_s)},"
        f" {len(s.spec.injects)} injects, {len(s.spec.expected)} expectations,"
        f" {len(s.spec.escalations)} expected escalations, {len(s.skipped)} lines skipped"
    )


def _participants(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        who, sep, role = value.partition("=")
        if not sep or not who.strip() or not role.strip():
            raise ArgumentError(f"--participant {value!r}: write NAME=ROLE, e.g. alice=incident-commander")
        out[who.strip()] = role.strip()
    return out


def _printer(quiet: bool) -> Listener:
    def hear(event: ReplayEvent) -> None:
        match event:
            case ReplayStarted():
                _say(
                    f"replaying {event.alerts} alerts and {event.injects} injects over"
                    f" {format_offset(event.duration_s)} at "
                    + ("full speed" if event.speed == 0 else f"{event.speed:g}x")
                )
            case AlertsReplayed():
                if not quiet:
                    for a in event.alerts:
                        _say(f"[{event.label}] alert: {a.alert.severity.value:<13} {a.alert.title}")
                for problem in event.delivery.problems:
                    click.echo(f"triage: {printable(problem, single_line=True)}", err=True)
            case InjectDue():
                click.echo("")
                _say(f"=== INJECT {event.label} ===")
                click.echo(printable(event.text))
                click.echo("")
            case ReplayPaused():
                _say(f"[{format_offset(event.at_s)}] paused")
            case ReplayResumed():
                _say(f"[{format_offset(event.at_s)}] resumed")
            case SkippedAhead():
                _say(f"skipped ahead from {format_offset(event.from_s)} to {format_offset(event.to_s)}")
            case SpeedChanged():
                _say(f"speed now {'full' if event.speed == 0 else f'{event.speed:g}x'}")
            case ReplayFinished():
                state = "stopped" if event.stopped else "finished"
                at = format_offset(event.at_s)
                _say(f"[{at}] replay {state}: {event.alerts} alerts, {event.injects} injects")

    return hear


def _controls(replay: Replay) -> None:
    """Read control lines from a terminal while the replay runs (a daemon thread)."""
    for raw in sys.stdin:
        line = raw.strip().lower()
        try:
            if line == "p":
                replay.pause()
            elif line == "r":
                replay.resume()
            elif line == "n":
                replay.skip_ahead(to="alert")
            elif line == "i":
                replay.skip_ahead(to="inject")
            elif line.startswith("+"):
                replay.skip_ahead(parse_offset("T" + line).total_seconds())
            elif line.startswith("s "):
                replay.set_speed(float(line[2:]))
            elif line == "q":
                replay.stop()
                return
            elif line:
                click.echo(f"controls: {CONTROLS}", err=True)
        except (ValueError, ArgumentError, CommandRejected) as exc:
            click.echo(f"triage: {printable(exc, single_line=True)}", err=True)


@tabletop_group.command("run")
@click.argument("scenario")
@click.option(
    "--speed",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="How much faster than recorded (30: an hour in two minutes); 0 plays it as fast as possible.",
)
@click.option("--unlimited", is_flag=True, help="As fast as possible (same as --speed 0).")
@click.option("--exercise-id", help="Exercise id (default: tt-<scenario>-<UTC date and time>).")
@click.option(
    "--workspace",
    "workspace_path",
    help="The exercise's own workspace file, created new (default: exercises/<id>.db in the data directory).",
)
@click.option(
    "--participant",
    "participants",
    multiple=True,
    help="NAME=ROLE: who holds which of the scenario's roles (repeatable).",
)
@click.option(
    "--target",
    type=click.Choice(["elasticsearch", "opensearch"]),
    help="Write the alerts into a search index instead, for the poller to pick up.",
)
@click.option("--url", help="The search server for --target (e.g. http://127.0.0.1:9200).")
@click.option(
    "--index",
    help="Index for --target; {profile} in the name gives each format its own index (tt-drill-{profile}).",
)
@click.option("--quiet", "-q", is_flag=True, help="Do not print each alert (injects are always shown).")
@click.option(
    "--no-tui",
    "--print",
    "no_tui",
    is_flag=True,
    help="Print the replay instead of opening the terminal app (the default when not on a terminal).",
)
@pass_ctx
def run_cmd(
    c: Context,
    scenario: str,
    speed: float,
    unlimited: bool,
    exercise_id: str | None,
    workspace_path: str | None,
    participants: tuple[str, ...],
    target: Literal["elasticsearch", "opensearch"] | None,
    url: str | None,
    index: str | None,
    quiet: bool,
    no_tui: bool,
) -> None:
    """Replay SCENARIO (a folder, or a bundled scenario's name) as an exercise.

    The exercise gets its own workspace (kind exercise, every event tagged with its id),
    never the production one; triage it there (`triage --db EXERCISE.db ...` or the
    terminal app), then write the minutes with `triage tabletop report`. Alerts keep
    their recorded relative timing, scaled by --speed.

    On a terminal the exercise opens in the terminal app, on the exercise workspace:
    injects pop up when due (T lists them again), P pauses and resumes, N and J skip to
    the next alert or inject, > skips five minutes, + and - change the speed; leaving
    the app stops the replay. With --no-tui (or --target, or output not to a terminal)
    the replay is printed instead; type a control and Enter: p pause, r resume, n next
    alert, i next inject, +5m skip ahead, s 60 set the speed, q stop. Ctrl-C stops cleanly.
    """
    if target is not None and (not url or not index):
        raise ArgumentError("--target needs --url and --index")
    if target is None and (url or index):
        raise ArgumentError("--url and --index go with --target elasticsearch|opensearch")
    loaded: Scenario = load_scenario(resolve_scenario(scenario))
    for line in loaded.skipped:
        click.echo(f"triage: skipped {printable(line, single_line=True)}", err=True)
    ex_id = exercise_id or default_exercise_id(loaded)
    if workspace_path and is_postgres(workspace_path):
        which = "is the production workspace; " if workspace_path == str(c.db_path) else ""
        raise WorkspaceError(
            f"{redact(workspace_path)} {which}an exercise runs in a workspace file of its own"
        )
    path = Path(workspace_path).expanduser() if workspace_path else data_dir() / "exercises" / f"{ex_id}.db"
    sink = IndexSink(target, url, index) if target and url and index else None
    if not no_tui and sink is None and on_a_terminal():
        _run_in_app(c, loaded, path, ex_id, 0.0 if unlimited else speed, _participants(participants))
        return
    exercise = Exercise.create(
        loaded,
        path,
        exercise_id=ex_id,
        playbooks=c.playbooks,
        speed=0.0 if unlimited else speed,
        listener=_printer(quiet),
        participants=_participants(participants),
        sink=sink,
        target=f"{target} {url} {index}" if target else None,
        production=c.db_path,
    )
    replay = exercise.replay
    _say(f"exercise {ex_id} in {path}")
    if sys.stdin.isatty():
        click.echo(f"controls: {CONTROLS}", err=True)
        threading.Thread(target=_controls, args=(replay,), daemon=True).start()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        if replay.finished:
            raise KeyboardInterrupt
        click.echo("triage: stopping the replay", err=True)
        replay.stop()

    previous = signal.signal(signal.SIGINT, _stop)
    failed = 0
    try:
        for event in replay.events():
            if isinstance(event, AlertsReplayed):
                failed += event.delivery.failed
    finally:
        signal.signal(signal.SIGINT, previous)
        exercise.close()
        if sink is not None:
            sink.close()
    if target and index:
        pattern = index.replace(PROFILE_PLACEHOLDER, "*")
        _say(
            f"alerts written to {target} {url} index {index}; poll them into the exercise with a"
            f" [[sources]] entry (kind = {target!r}, index = {pattern!r})"
            f" and `triage --db {path} poll --once`"
        )
    _say(f"next: triage it with `triage --db {path} ...`, then `triage tabletop report {path}`")
    if failed:
        raise click.exceptions.Exit(1)


def _run_in_app(
    c: Context, scenario: Scenario, path: Path, ex_id: str, speed: float, participants: dict[str, str]
) -> None:
    """The exercise in the terminal app: the app reads and writes the exercise workspace as
    the analyst, while its worker thread plays the replay into it."""
    from triage.commands import Commands
    from triage.tui import TriageApp  # Textual is loaded only when the app runs
    from triage.tui.exercise import ExerciseControl

    check_terminal_app()
    exercise = Exercise.create(
        scenario,
        path,
        exercise_id=ex_id,
        playbooks=c.playbooks,
        speed=speed,
        participants=participants,
        production=c.db_path,
    )
    exercise.close()  # the worker that plays it opens its own connection
    control = ExerciseControl(exercise)
    with Workspace.open(path) as ws:
        app = TriageApp(
            ws,
            Commands(ws, c.playbooks, c.analyst),
            c.playbooks,
            c.analyst,
            exercise=control,
            screenshots=c.settings.screenshots,
        )
        try:
            run_guarded(app)
        finally:
            control.stop()
            control.done.wait(30)  # the end of the exercise is logged before we go
    _say(f"exercise {ex_id} in {path}")
    if control.finished is not None:
        state = "stopped" if control.finished.stopped else "finished"
        _say(f"replay {state}: {control.finished.alerts} alerts, {control.finished.injects} injects")
    _say(f"next: triage it with `triage --db {path} tui`, then `triage tabletop report {path}`")


@tabletop_group.command("report")
@click.argument("exercise_workspace", type=WORKSPACE)
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Directory (default: .)."
)
@click.option(
    "--record-in",
    "record_in",
    type=WORKSPACE,
    help="The production workspace: record there that the exercise was held, with the minutes' SHA-256.",
)
@pass_ctx
def report_cmd(c: Context, exercise_workspace: Path, out_dir: Path | None, record_in: Path | None) -> None:
    """Write the after-action minutes of an exercise (Markdown and HTML).

    Participants and roles, the timeline of alerts, injects and actions, time to acknowledge
    and close per alert, dispositions against the expected ones, missed escalations,
    skipped playbook steps, and a score with what to improve. With --record-in, the
    production log gets one exercise.recorded event, so the month's evidence pack lists
    the exercise (keep the Markdown minutes in the directory given to --exercises-dir).
    """
    with Workspace.open(exercise_workspace) as ws:
        written = minutes_report.write(ws, out_dir or Path("."))
    m = written.minutes
    _say(f"minutes of {m.exercise}: {written.markdown} and {written.html}; score {m.score:g}/100")
    _say(f"sha256 {written.sha256}")
    if record_in is None:
        return
    with Workspace.open(record_in) as prod:
        if prod.kind == KIND_EXERCISE:
            raise WorkspaceError(
                f"{prod.display} is an exercise workspace; --record-in takes the production one"
            )
        from triage.commands import Commands

        event = Commands(prod, c.playbooks, c.analyst).record_exercise(
            m.exercise, m.spec.title, format_ts(m.started_at), format_ts(m.ended_at), written.sha256, m.score
        )
    _say(f"recorded in {record_in} (event {event.seq})")


COMMANDS = [tabletop_group]
