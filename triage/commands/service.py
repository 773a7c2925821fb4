"""The command layer's front: every state change, for one actor over one workspace.

``Commands`` is thin: each concept lives in its own module (alerts, incidents, sources and
ingest, sign-offs and exercise records, an exercise's own events, shift handovers) on a shared base.
"""

from __future__ import annotations

from triage.commands.alerts import AlertCommands
from triage.commands.base import MAX_NAME, MAX_TEXT, CommandBase
from triage.commands.exercises import ExerciseCommands
from triage.commands.incidents import IncidentCommands
from triage.commands.notifications import NotificationCommands
from triage.commands.shift import ShiftCommands
from triage.commands.signoff import SignoffCommands
from triage.commands.sources import SourceCommands
from triage.commands.suppressions import SuppressionCommands

__all__ = ["MAX_NAME", "MAX_TEXT", "CommandBase", "Commands"]


class Commands(
    SourceCommands,
    AlertCommands,
    IncidentCommands,
    SignoffCommands,
    ExerciseCommands,
    ShiftCommands,
    NotificationCommands,
    SuppressionCommands,
):
    """Every state change in triage, for one actor over one workspace."""
