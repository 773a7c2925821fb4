"""The layers hold and the core never imports a UI toolkit (the TUI and CLI are thin shells over it).

The rules are the import-linter contracts in ``pyproject.toml``; these tests run them, check
that they name every part of ``triage`` (a new package cannot slip past them), and import the
whole core to see that no UI toolkit is loaded at run time either.
"""

from __future__ import annotations

import os
import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import triage

ROOT = Path(__file__).resolve().parent.parent
SHELLS = {"triage.cli", "triage.tui"}
NOT_LAYERED = {"triage.__main__", "triage.data"}  # the entry point (a shell) and package data


def _contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["type"]: c for c in config["tool"]["importlinter"]["contracts"]}


def _top_level() -> set[str]:
    return {f"triage.{m.name}" for m in pkgutil.iter_modules(triage.__path__)} - NOT_LAYERED


def test_the_import_contracts_are_kept() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([str(linter)], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "broken" in proc.stdout and " 0 broken" in proc.stdout


def test_the_layers_name_every_part_of_triage() -> None:
    layers = _contracts()["layers"]["layers"]
    assert isinstance(layers, list)
    named = [name for layer in layers for name in re.split(r"\s*[|:]\s*", layer)]
    assert len(named) == len(set(named)), "a module in two layers"
    assert set(named) == _top_level()
    assert layers[-2] == "triage.domain", "domain is the bottom of the product (only leaf modules below)"


def test_the_ui_toolkit_contract_names_the_whole_core() -> None:
    forbidden = _contracts()["forbidden"]
    assert set(forbidden["source_modules"]) == _top_level() - SHELLS  # type: ignore[arg-type]
    assert set(forbidden["forbidden_modules"]) == {"textual", "rich"}  # type: ignore[arg-type]


def _core_modules() -> list[str]:
    found = []
    for m in pkgutil.walk_packages(triage.__path__, "triage."):
        top = ".".join(m.name.split(".")[:2])
        if top not in SHELLS and top not in NOT_LAYERED:
            found.append(m.name)
    return sorted(found)


def test_core_imports_no_ui_toolkit() -> None:
    core = _core_modules()
    assert {"triage.mapping.registry", "triage.app.poller", "triage.store.anchor"} <= set(core)
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in core)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        + "print(','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def _triage_modules_loaded_by(module: str) -> set[str]:
    code = (
        f"import sys\nimport {module}\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('triage'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(proc.stdout.strip().split(","))


def test_the_pack_verifier_stands_alone() -> None:
    """An auditor verifies a pack without a workspace: the verifier loads neither the exporter
    nor the workspace store, and the pack format it shares with the exporter depends on
    nothing but the chain's encoding, ``triage.text`` (the characters a CSV cell shows
    escaped), the domain's event catalogue (the sign-off's action name) and its own manifest's
    definition (standard library only)."""
    pack = _triage_modules_loaded_by("triage.evidence.pack")
    allowed = {
        "triage.evidence",
        "triage.evidence.pack",
        "triage.evidence.manifest",
        "triage.store",
        "triage.store.chain",
        "triage.text",
    }
    assert {m for m in pack if not m.startswith("triage.domain")} <= {"triage", *allowed}
    loaded = _triage_modules_loaded_by("triage.evidence.verify")
    for forbidden in (
        "triage.evidence.export",
        "triage.store.workspace",
        "triage.commands",
        "triage.sources",
    ):
        assert not {m for m in loaded if m == forbidden or m.startswith(forbidden + ".")}, forbidden
