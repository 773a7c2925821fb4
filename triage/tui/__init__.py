"""The analyst's terminal app (Textual): a thin shell over the command layer and the queries."""

from triage.tui.app import TriageApp

__all__ = ["TriageApp"]
