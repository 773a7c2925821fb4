"""A real terminal for the tests: a private tmux server, keys sent to it, its screen read back."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

needs_tmux = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (scripts/setup installs it)"
)


class Tmux:
    """One tmux server (``-L socket``) and the session the test runs its command in."""

    def __init__(self, socket: str, session: str, *, join_lines: bool = False) -> None:
        self.socket = socket
        self.session = session
        self.join_lines = join_lines  # -J: a wrapped line comes back as one

    def __call__(self, *args: str) -> str:
        proc = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=False)
        return proc.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", *(["-J"] if self.join_lines else []), "-t", self.session)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        shown = ""
        seen: list[str] = []  # each screen that differs from the one before, for the failure's story
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            if not seen or seen[-1] != shown:
                seen.append(shown)
            time.sleep(0.2)
        before = "".join(f"--- shown before it:\n{s}\n" for s in seen[-4:-1])
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{shown}\n{before}")
