"""Notifications: who is told what, once. ``rules`` decides which notifications the log and
the targets' clock call for, ``channels`` sends them (webhook, email) and ``runner`` reads the
log from each notify target's cursor, retries, and records every one as an event."""

from triage.app.notify.rules import Notice
from triage.app.notify.runner import Notifier, NotifierBusy, NotifyResult

__all__ = ["Notice", "Notifier", "NotifierBusy", "NotifyResult"]
