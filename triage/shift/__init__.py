"""What one shift hands to the next: the handover report, built from the projections and the
log over a window of time, in Markdown or JSON."""

from triage.shift.handover import Handover, build_handover, handover_file
from triage.shift.render import handover_json, handover_markdown

__all__ = ["Handover", "build_handover", "handover_file", "handover_json", "handover_markdown"]
