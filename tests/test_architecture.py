"""The core never imports a UI toolkit (the TUI and CLI are thin shells over it)."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "triage.domain",
    "triage.store.workspace",
    "triage.store.verify",
    "triage.store.anchor",
    "triage.commands",
    "triage.sources.files",
    "triage.mapping",
    "triage.playbooks",
    "triage.queries",
    "triage.queue",
    "triage.clock",
    "triage.text",
    "triage.errors",
    "triage.config",
    "triage.evidence",
    "triage.evidence.export",
    "triage.evidence.verify",
    "triage.tabletop.scenario",
    "triage.tabletop.replay",
    "triage.tabletop.exercise",
    "triage.tabletop.sinks",
    "triage.tabletop.report",
]


def test_core_imports_no_ui_toolkit() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
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
    nothing but the chain's encoding (and ``triage.text``, the stdlib-only definition of the
    characters a CSV cell shows escaped)."""
    pack = _triage_modules_loaded_by("triage.evidence.pack")
    allowed = {"triage.evidence", "triage.evidence.pack", "triage.store", "triage.store.chain", "triage.text"}
    assert pack <= {"triage", *allowed}
    loaded = _triage_modules_loaded_by("triage.evidence.verify")
    for forbidden in (
        "triage.evidence.export",
        "triage.store.workspace",
        "triage.commands",
        "triage.sources",
    ):
        assert not {m for m in loaded if m == forbidden or m.startswith(forbidden + ".")}, forbidden
