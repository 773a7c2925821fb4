"""Sources of alerts: files and, behind the same interface, search clusters."""
