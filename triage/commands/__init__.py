"""The command layer: the only way state changes. Each command validates, then appends
its event (which updates the projections) in one transaction."""

from triage.commands.ingest import IngestResult
from triage.commands.service import Commands

__all__ = ["Commands", "IngestResult"]
