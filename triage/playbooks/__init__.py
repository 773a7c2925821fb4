"""Playbooks: match rules, ordered steps, required steps and time targets."""

from triage.playbooks.loader import PlaybookSet, from_dict, from_file
from triage.playbooks.model import Match, Playbook, Step, Target

__all__ = ["Match", "Playbook", "PlaybookSet", "Step", "Target", "from_dict", "from_file"]
