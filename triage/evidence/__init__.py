"""The monthly evidence pack: export it, sign it off, verify it.

Core code: no UI toolkit here (the CLI in ``triage.cli.evidence`` is a thin shell)."""

from triage.evidence.export import ExportRequest, ExportResult, export_pack
from triage.evidence.period import Period, month_period, parse_month
from triage.evidence.verify import PackReport, verify_pack

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
