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
    "triage.sources.profiles",
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
