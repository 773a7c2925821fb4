"""The monthly evidence pack: export it, sign it off, verify it.

Core code: no UI toolkit here (the CLI in ``triage.cli.evidence`` is a thin shell). The names
below are imported when first used, so that the verifier (``triage.evidence.verify``), which an
auditor runs without a workspace, loads neither the exporter nor the workspace store."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from triage.evidence.export import ExportRequest, ExportResult, export_pack
    from triage.evidence.period import Period, month_period, parse_month
    from triage.evidence.verify import PackReport, verify_pack

_WHERE = {
    "ExportRequest": "triage.evidence.export",
    "ExportResult": "triage.evidence.export",
    "export_pack": "triage.evidence.export",
    "Period": "triage.evidence.period",
    "month_period": "triage.evidence.period",
    "parse_month": "triage.evidence.period",
    "PackReport": "triage.evidence.verify",
    "verify_pack": "triage.evidence.verify",
}

__all__ = [
    "ExportRequest",
    "ExportResult",
    "PackReport",
    "Period",
    "export_pack",
    "month_period",
    "parse_month",
    "verify_pack",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
