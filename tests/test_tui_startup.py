"""`triage tui` on a missing or broken setup: one line on stderr and a non-zero exit, never a
traceback printed by Textual followed by exit 0."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
from textual.app import App

from triage.cli import tui
from triage.cli.tui import AppFailed, check_terminal_app, run_guarded
from triage.errors import ConfigError, WorkspaceError

from .test_cli import _run


class Crashing(App[None]):
    """An app that stops on an error nobody handles, as a bug or a broken install would."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def on_mount(self) -> None:
        raise self.error


class FakeTerminal:
    def isatty(self) -> bool:
        return True


def _one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("triage: error:"), stderr
    return lines[0]


def test_tui_without_a_terminal_says_so_in_one_line(tmp_path: Path) -> None:
    assert _run(tmp_path, "init").returncode == 0
    proc = _run(tmp_path, "tui")  # stdin, stdout and stderr are pipes here
    assert proc.returncode == 2
    assert "needs a terminal" in _one_error_line(proc.stderr)


def test_tui_without_a_workspace_says_so_in_one_line(tmp_path: Path) -> None:
    proc = _run(tmp_path, "tui")
    assert proc.returncode == 2
    assert "no workspace at" in _one_error_line(proc.stderr)


def test_a_missing_stylesheet_is_a_setup_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", FakeTerminal())
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    check_terminal_app()  # the checkout has it
    monkeypatch.setattr(tui, "STYLESHEET", "no-such-stylesheet.tcss")
    with pytest.raises(ConfigError, match="stylesheet is missing from this installation"):
        check_terminal_app()


def test_an_unhandled_error_in_the_app_is_raised_as_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(
        AppFailed, match=r"stopped on an error: RuntimeError: boom \(set TRIAGE_DEBUG"
    ) as info:
        run_guarded(Crashing(RuntimeError("boom\nwith a second line")), headless=True)
    assert info.value.exit_code == 70 and "second line" not in str(info.value)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "boom" not in err  # Textual's traceback is kept aside


def test_with_triage_debug_the_traceback_is_shown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRIAGE_DEBUG", "1")
    with pytest.raises(AppFailed):
        run_guarded(Crashing(RuntimeError("boom")), headless=True)
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.parametrize(
    "error", [WorkspaceError("the workspace went away"), sqlite3.OperationalError("disk I/O error")]
)
def test_triage_and_database_errors_keep_their_own_message(error: Exception) -> None:
    with pytest.raises(type(error), match=str(error)):
        run_guarded(Crashing(error), headless=True)


def test_an_app_that_quits_normally_raises_nothing() -> None:
    class Quits(App[None]):
        def on_mount(self) -> None:
            self.exit()

    run_guarded(Quits(), headless=True)
