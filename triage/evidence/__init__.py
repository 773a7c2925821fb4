"""The monthly evidence pack: export it, sign it off, verify it.

Core code: no UI toolkit here (the CLI in ``triage.cli.evidence`` is a thin shell)."""
