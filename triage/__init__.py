"""triage: SIEM alert triage with a tamper-evident investigation log."""

__version__ = "0.1.0"
