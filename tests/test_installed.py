"""triage installed from its wheel runs outside the checkout: the bundled playbooks, tabletop
scenarios and sample alerts and the terminal app's stylesheet are package data in the wheel.

The wheel is built from a copy of exactly what the build reads (pyproject.toml, README.md,
triage/), so nothing in the checkout (a stale build/ folder, the editable install) can leak into
it, and installed into a fresh venv. Every command then runs from a temporary folder with a clean
environment: no PYTHONPATH, no TRIAGE_* variables, its own HOME.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from triage.playbooks import PlaybookSet

from .conftest import ROOT, SAMPLES
from .tmux_helpers import Tmux, needs_tmux

pytestmark = pytest.mark.slow  # builds a wheel (a few seconds, setuptools from PyPI or pip's cache)

SCENARIOS = ("insider-exfiltration", "leaked-cloud-key", "ransomware-precursor")
DATA = ROOT / "triage" / "data"


@dataclass
class Installed:
    wheel: Path
    venv: Path
    site: Path  # the venv's site-packages, where the wheel went
    run: Path  # the folder commands run in, outside the checkout
    env: dict[str, str]

    @property
    def triage(self) -> Path:
        return self.venv / "bin" / "triage"

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.triage), *args],
            cwd=self.run,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def _check(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, f"{proc.args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _build_wheel(work: Path) -> Path:
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "triage", src / "triage", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # pip builds in an isolated environment with the setuptools pyproject.toml asks for (from
    # pip's cache or PyPI), as `pip install`, pipx and `python -m build` do for a user.
    _check(
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--quiet",
                "--wheel-dir",
                str(work / "dist"),
                str(src),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )
    )
    (wheel,) = (work / "dist").glob("triage-*.whl")
    return wheel


def _make_venv(work: Path, wheel: Path) -> tuple[Path, Path]:
    """A fresh venv holding only the wheel, with triage's dependencies borrowed from the venv
    running the tests.

    Installing the dependencies again (textual, pydantic, cryptography, both search clients)
    would take far longer and need the network or a warm cache, and they are not what is under
    test. So the venv gets no pip and no dependencies; a .pth file appends this interpreter's
    site-packages to its sys.path, after its own site-packages, so the wheel's triage is the one
    imported. The .pth files in that borrowed folder (among them the editable install's finder,
    which would map `triage` back to the checkout) are not run: Python runs .pth files only in
    its own site-packages folders. `--system-site-packages` would not do: the dependencies are in
    the test venv, not in the system Python. The test checks triage comes from the new venv."""
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    borrowed = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "zz-triage-test-dependencies.pth").write_text("".join(f"{p}\n" for p in borrowed))
    # This pip installs into the new venv (pip >= 22.3): the wheel alone, from the file.
    _check(
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(python),
                "install",
                "--quiet",
                "--no-deps",
                "--no-index",
                str(wheel),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )
    )
    return venv, site


def _clean_env(venv: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIAGE_", "PYTHON", "VIRTUAL_ENV"))}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        TRIAGE_ANALYST="alice",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("installed")
    assert ROOT not in work.parents, "the test must run outside the checkout"
    wheel = _build_wheel(work)
    venv, site = _make_venv(work, wheel)
    run = work / "run"
    (run / "home").mkdir(parents=True)
    return Installed(wheel, venv, site, run, _clean_env(venv, run / "home"))


def test_the_wheel_carries_the_package_data(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as whl:
        names = set(whl.namelist())
    shipped = {n for n in names if n.startswith("triage/data/")}
    in_checkout = {
        f"triage/{p.relative_to(ROOT / 'triage').as_posix()}" for p in DATA.rglob("*") if p.is_file()
    }
    assert shipped == in_checkout
    assert {"triage/tui/app.tcss", "triage/py.typed"} <= names
    assert not any(n.startswith(("playbooks/", "sample_logs/", "tests/")) for n in names)


def test_triage_and_its_data_come_from_the_installed_wheel(installed: Installed) -> None:
    proc = _check(
        subprocess.run(
            [
                str(installed.venv / "bin" / "python"),
                "-c",
                "import triage, triage.config as c; print(triage.__file__);"
                " print(c.bundled('playbooks')); print(c.bundled('sample_logs'))",
            ],
            cwd=installed.run,
            env=installed.env,
            capture_output=True,
            text=True,
            check=False,
        )
    )
    for line in proc.stdout.splitlines():
        assert Path(line).is_relative_to(installed.site / "triage"), line


def test_demo_prints_the_queue_of_the_bundled_samples(installed: Installed) -> None:
    out = _check(installed("demo", "--print")).stdout
    assert "0 quarantined" in out
    assert re.search(r"^ID +SEVERITY +STATUS", out, re.M)
    assert re.search(r"^40 shown; \d+ new", out, re.M)


def test_playbooks_lists_the_bundled_playbooks(installed: Installed) -> None:
    out = _check(installed("playbooks")).stdout
    expected = PlaybookSet.from_directory(DATA / "playbooks").playbooks
    assert len(expected) >= 8
    listed = {line.split()[0] for line in out.splitlines()[1:]}
    assert listed == set(expected)


def test_tabletop_lists_and_resolves_the_bundled_scenarios(installed: Installed) -> None:
    out = _check(installed("tabletop", "list")).stdout
    assert [line.split(":")[0] for line in out.splitlines()] == list(SCENARIOS)
    assert "47 alerts" in _check(installed("tabletop", "check", "leaked-cloud-key")).stdout


def test_ingest_without_playbooks_uses_the_bundled_ones(installed: Installed, tmp_path: Path) -> None:
    env = {**installed.env, "TRIAGE_DB": str(tmp_path / "fresh.db")}
    _check(installed("init", env=env))
    sample = shutil.copy(SAMPLES / "ecs-generic.ndjson", tmp_path / "alerts.ndjson")
    out = _check(installed("ingest", str(sample), env=env)).stdout
    assert out.startswith("100 ingested") and "0 quarantined" in out
    queue = _check(installed("alerts", "--limit", "100", env=env)).stdout
    assert {"cloud-iam", "data-exfiltration", "phishing"} <= set(queue.split())


def test_imported_from_the_zipped_wheel_the_data_is_still_found(installed: Installed) -> None:
    """A zip on sys.path (a zipapp, a wheel used as is): importlib.resources reads the data
    from the archive and triage copies it out once."""
    env = {**installed.env, "PYTHONPATH": str(installed.wheel)}
    python = str(installed.venv / "bin" / "python")

    def triage(*args: str) -> str:
        proc = subprocess.run(
            [python, "-m", "triage", *args],
            cwd=installed.run,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        return _check(proc).stdout

    where = subprocess.run(
        [python, "-c", "import triage; print(triage.__file__)"],
        cwd=installed.run,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert ".whl" in where.stdout
    assert "cloud-iam" in triage("playbooks")
    assert "leaked-cloud-key: Leaked cloud access key" in triage("tabletop", "list")
    assert re.search(r"^40 shown", triage("demo", "--print"), re.M)


# -- the terminal app, in a real terminal -------------------------------------------------------


class AppTmux(Tmux):
    """The installed command in an 80x24 terminal, started from outside the checkout."""

    def start(self, installed: Installed, command: str, done: Path) -> None:
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in installed.env.items() if k in ENV_FOR_TMUX)
        unset = " ".join(
            sorted({k for k in os.environ if k.startswith(("TRIAGE_", "PYTHON"))} | {"COLUMNS", "LINES"})
        )
        cd = f"cd {shlex.quote(str(installed.run))}"
        line = f"{cd}; unset {unset}; env {env} {command}; echo $? > {done}; sleep 30"
        self("new-session", "-d", "-s", "app", "-x", "80", "-y", "24", line)


ENV_FOR_TMUX = (
    "PATH",
    "HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "TRIAGE_ANALYST",
    "PYTHONDONTWRITEBYTECODE",
)


def _exit_code(done: Path, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert done.exists(), "the command never finished"
    return done.read_text().strip()


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[AppTmux]:
    t = AppTmux(f"triage-installed-{os.getpid()}-{tmp_path.name}", "app", join_lines=True)
    yield t
    t("kill-server")


@needs_tmux
def test_demo_opens_the_terminal_app_at_80x24(installed: Installed, tmux: AppTmux, tmp_path: Path) -> None:
    done = tmp_path / "exit-code"
    tmux.start(installed, f"{shlex.quote(str(installed.triage))} demo", done)
    tmux.wait_for("RULE / TITLE")  # the queue's header; at 80 columns SEVERITY is cut to SEVERI
    screen = tmux.wait_for("open 455")  # the counts can be painted a moment after the table
    assert "triage  queue  analyst: alice" in screen

    def rows() -> list[str]:
        return [
            line
            for line in tmux.screen().splitlines()
            if re.search(r"\b(critical|high|medium|low|info\w*)\b", line)
        ]

    deadline = time.monotonic() + 30
    while len(rows()) < 5 and time.monotonic() < deadline:  # the sample alerts fill the queue
        time.sleep(0.2)
    assert len(rows()) >= 5, tmux.screen()
    tmux("send-keys", "-t", "app", "q")
    assert _exit_code(done) == "0"


@needs_tmux
def test_a_missing_stylesheet_is_one_line_and_exit_2(
    installed: Installed, tmux: AppTmux, tmp_path: Path
) -> None:
    db = tmp_path / "ws.db"
    _check(installed("init", env={**installed.env, "TRIAGE_DB": str(db)}))
    sheet = installed.site / "triage" / "tui" / "app.tcss"
    aside = sheet.with_suffix(".aside")
    sheet.rename(aside)
    try:
        done = tmp_path / "exit-code"
        tmux.start(
            installed, f"env TRIAGE_DB={shlex.quote(str(db))} {shlex.quote(str(installed.triage))} tui", done
        )
        assert _exit_code(done) == "2"
    finally:
        aside.rename(sheet)
    shown = [line for line in tmux.screen().splitlines() if line.strip()]
    assert len(shown) == 1, shown
    assert shown[0].startswith("triage: error:") and "stylesheet is missing" in shown[0]
